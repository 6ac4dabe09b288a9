# shellcheck shell=sh
# tests/lib.sh - the shell harness of the end-to-end tests (TAP)
# SPDX-License-Identifier: MIT
#
# Source it first: it makes a sandbox build/tests/tmp/NAME/ with its own
# HOME, data directory and configuration, fixes the clock (OPS_NOW), the
# time zone (Asia/Tokyo), the language (en) and the locale (C), and puts
# wrappers for bin/* first on PATH: each run is bounded by timeout(1) and,
# with VALGRIND=1, runs under valgrind.  Assertions print TAP lines;
# t_done prints the plan and exits with the number of failures.
#
#   t_ok DESC CMD...            CMD exits 0
#   t_exit DESC CODE CMD...     CMD exits CODE
#   t_cmp DESC EXPECTED ACTUAL  files are equal (diff shown as # lines)
#   t_mode DESC MODE FILE       permission bits are MODE (e.g. 0640)
#   t_lines DESC N FILE         FILE has N lines
#   t_run DESC 'ARGS' 'EXPECTED STDOUT' ['STDIN']   ARGS given to sh -c

set -u
T_TOP=$(cd "$(dirname "$0")/../.." && pwd)
T_NAME=$(basename "$0" .t)
T_TMP=$T_TOP/build/tests/tmp/$T_NAME
rm -rf "$T_TMP"
mkdir -p "$T_TMP/home" "$T_TMP/data" "$T_TMP/wrap"
cd "$T_TMP" || exit 1

export HOME="$T_TMP/home"
export OPS_DIR="$T_TMP/data"
: >"$T_TMP/ops.conf"
export OPS_CONF="$T_TMP/ops.conf"
export LC_ALL=C TZ=Asia/Tokyo OPS_LANG=en NO_COLOR=1 OPS_USER=tester
export OPS_NOW=2026-11-23T09:00:00+09:00
unset LANG LC_MESSAGES XDG_STATE_HOME XDG_CONFIG_HOME OPS_STRICT 2>/dev/null
T_TIMEOUT=${T_TIMEOUT:-120}

# One wrapper per command: bounded in time, valgrind when asked.
for t_bin in "$T_TOP"/bin/*; do
	[ -x "$t_bin" ] || continue
	t_base=$(basename "$t_bin")
	if [ "${VALGRIND:-}" = 1 ]; then
		t_vg="valgrind -q --error-exitcode=99 --leak-check=full --run-libc-freeres=no --errors-for-leak-kinds=definite"
	else
		t_vg=
	fi
	printf '#!/bin/sh\nexec timeout -k 5 %s %s "%s" "$@"\n' \
		"$T_TIMEOUT" "$t_vg" "$t_bin" >"$T_TMP/wrap/$t_base"
	chmod +x "$T_TMP/wrap/$t_base"
done
PATH="$T_TMP/wrap:$T_TOP/build/tests:$PATH"
export PATH

t_n=0
t_failed=0

t_pass() {
	t_n=$((t_n + 1))
	echo "ok $t_n - $1"
}

t_fail() {
	t_n=$((t_n + 1))
	t_failed=$((t_failed + 1))
	echo "not ok $t_n - $1"
}

t_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

t_ok() {
	t_desc=$1
	shift
	if "$@" >"$T_TMP/.out" 2>"$T_TMP/.err"; then
		t_pass "$t_desc"
	else
		t_rc=$?
		t_fail "$t_desc"
		t_diag "exit $t_rc: $*"
		sed 's/^/# stderr: /' "$T_TMP/.err" | head -20
	fi
}

t_exit() {
	t_desc=$1
	t_want=$2
	shift 2
	"$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
	t_rc=$?
	if [ "$t_rc" -eq "$t_want" ]; then
		t_pass "$t_desc"
	else
		t_fail "$t_desc"
		t_diag "expected exit $t_want, got $t_rc: $*"
		sed 's/^/# stderr: /' "$T_TMP/.err" | head -20
	fi
}

t_cmp() {
	if cmp -s "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1"
		diff -u "$2" "$3" | head -40 | sed 's/^/# /'
	fi
}

t_mode() {
	t_got=$(stat -c %a "$3" 2>/dev/null)
	if [ "0$t_got" = "$2" ] || [ "$t_got" = "$2" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "mode of $3 is $t_got, expected $2"
	fi
}

t_lines() {
	t_got=$(wc -l <"$3" 2>/dev/null | tr -d ' ')
	if [ "$t_got" = "$2" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "$3 has $t_got lines, expected $2"
	fi
}

t_run() {
	printf '%s' "${4:-}" >"$T_TMP/.in"
	printf '%s' "$3" >"$T_TMP/.want"
	sh -c "$2" <"$T_TMP/.in" >"$T_TMP/.got" 2>"$T_TMP/.err"
	t_cmp "$1" "$T_TMP/.want" "$T_TMP/.got"
}

# Succeeds when a file contains a fixed string.
t_grep() {
	if grep -qF -- "$2" "$3"; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "\"$2\" not found in $3:"
		head -20 "$3" | sed 's/^/#   /'
	fi
}

t_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

t_done() {
	echo "1..$t_n"
	[ "$t_failed" -gt 254 ] && t_failed=254
	exit "$t_failed"
}

# Servers (HTTP, SMTP, sshd) started by a test: on loopback only, killed by
# pid when the test exits, however it exits.
#   t_start PORTFILE CMD...   run CMD in the background and wait (10 s at
#                             most) until it has written its port to
#                             PORTFILE; the port is then in $t_port ("" if
#                             it never came) and the pid in $t_pid
t_pids=
t_stop_all() {
	for t_p in $t_pids; do
		kill "$t_p" 2>/dev/null
	done
	for t_p in $t_pids; do
		wait "$t_p" 2>/dev/null
	done
	t_pids=
}
trap t_stop_all EXIT
trap 't_stop_all; exit 130' INT TERM

t_start() {
	t_pf=$1
	shift
	rm -f "$t_pf"
	"$@" >"$t_pf.log" 2>&1 &
	t_pid=$!
	t_pids="$t_pids $t_pid"
	t_i=0
	while [ ! -s "$t_pf" ] && [ "$t_i" -lt 100 ]; do
		kill -0 "$t_pid" 2>/dev/null || break
		sleep 0.1
		t_i=$((t_i + 1))
	done
	t_port=$(cat "$t_pf" 2>/dev/null)
	if [ -z "$t_port" ]; then
		t_diag "server did not start: $*"
		sed 's/^/# /' "$t_pf.log" | head -20
	fi
}

# A self-signed ECDSA certificate for 127.0.0.1 valid for $2 days, as
# $1.crt and $1.key.
t_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days "$2" -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost \
		-keyout "$1.key" -out "$1.crt" >/dev/null 2>&1
}

# A free TCP port on 127.0.0.1 (bound and released: a tiny race remains).
t_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# t_sshd DIR: a real OpenSSH sshd on 127.0.0.1 at a free high port, with
# its own configuration, host keys (DIR/host_ed25519, DIR/host_ecdsa) and
# a user key DIR/id_ed25519 (no passphrase) authorized for this user; the
# system's sshd and its files are not touched.  Sets $t_port and $t_pid;
# killed at exit like every t_start server.  Extra sshd_config lines may
# be given in $T_SSHD_EXTRA.
t_sshd() {
	t_sd=$1
	mkdir -p "$t_sd" /run/sshd
	chmod 700 "$t_sd"
	for t_k in ed25519 ecdsa; do
		[ -f "$t_sd/host_$t_k" ] ||
			ssh-keygen -q -t "$t_k" -N '' -C "host-$t_k" -f "$t_sd/host_$t_k"
	done
	[ -f "$t_sd/id_ed25519" ] ||
		ssh-keygen -q -t ed25519 -N '' -C test-user -f "$t_sd/id_ed25519"
	cp "$t_sd/id_ed25519.pub" "$t_sd/authorized_keys"
	t_hostkey=$(cut -d' ' -f2 "$t_sd/host_ed25519.pub")
	# a free port is only free until someone takes it: another test may
	# start its sshd on the same one at the same moment, so the server
	# that answers must show our host key, else try another port
	t_try=0
	while [ "$t_try" -lt 5 ]; do
		t_try=$((t_try + 1))
		t_port=$(t_free_port)
		cat >"$t_sd/sshd_config" <<EOC
Port $t_port
ListenAddress 127.0.0.1
HostKey $t_sd/host_ed25519
HostKey $t_sd/host_ecdsa
PidFile $t_sd/sshd.pid
AuthorizedKeysFile $t_sd/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxStartups 200
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel ERROR
${T_SSHD_EXTRA:-}
EOC
		/usr/sbin/sshd -D -e -f "$t_sd/sshd_config" 2>"$t_sd/sshd.log" &
		t_pid=$!
		t_pids="$t_pids $t_pid"
		t_i=0
		while [ "$t_i" -lt 50 ] && kill -0 "$t_pid" 2>/dev/null; do
			if ssh-keyscan -T 1 -t ed25519 -p "$t_port" 127.0.0.1 2>/dev/null |
				grep -qF "$t_hostkey"; then
				return 0
			fi
			t_i=$((t_i + 1))
			sleep 0.1
		done
		kill "$t_pid" 2>/dev/null
		wait "$t_pid" 2>/dev/null
	done
	t_diag "sshd did not start:"
	sed 's/^/# /' "$t_sd/sshd.log" | head -20
	t_port=
	return 1
}
