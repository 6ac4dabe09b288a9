#!/bin/sh
# make demo's script runs to the end and shows each step
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

t_ok "the demo runs to the end" "$T_TOP/contrib/demo/run"
cp .out demo.out && cp .err demo.err
t_grep "the demo closes the incident" "close approver: carol" demo.out
t_grep "the demo lists in Japanese" "受付済" demo.out
t_grep "the demo shows a refused move" "done is set by" demo.err
t_grep "the demo writes the Excel export" "UTF-8 with BOM" demo.out
t_grep "the demo records an opsping alert" "db	OK	CRITICAL" demo.out
t_grep "the alert opened a ticket" "db down" demo.out
t_grep "the demo shows the plugin form" "TCP CRITICAL - " demo.out
t_grep "the demo rotates and compresses" "access.log.1.gz" demo.out
t_grep "the demo restores with fallback" "restore www 20261122T013000: ok" demo.out
t_grep "the fallback gave the older content" "version 1" demo.out

t_done
