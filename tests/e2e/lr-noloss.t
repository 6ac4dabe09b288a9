#!/bin/sh
# opslog-rotate never loses a line: a writer appends numbered lines at full
# speed while the log is rotated 20 times.  (a) create mode with a SIGHUP
# to the writer in postrotate and compress: every number is found exactly
# once; (b) copytruncate: the lines lost per rotation, measured for
# logrotate and opslog-rotate in the same run and reported against the
# target (at most 1/20 of logrotate's loss); asserted: fewer than
# logrotate's.
T_TIMEOUT=${T_TIMEOUT:-20}
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"
writer=$T_TOP/tests/helper/lr-writer.py
rounds=20

# writer_start DIR: the writer on DIR/app.log, its pid in $wpid
writer_start() {
	rm -f "$1/writer.pid"
	/usr/bin/python3 "$writer" write "$1/app.log" "$1/writer.pid" >"$1/writer.last" 2>"$1/writer.err" &
	wpid=$!
	t_pids="$t_pids $wpid"
	i=0
	while [ ! -s "$1/writer.pid" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}
writer_stop() {
	kill -TERM "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
}
# rotate ENGINE DIR: $rounds forced rotations 0.1 s apart; the number of
# runs that failed in $bad
rotate() {
	bad=0
	r=1
	while [ $r -le $rounds ]; do
		sleep 0.1
		if [ "$1" = logrotate ]; then
			timeout -k 5 30 logrotate -f -s "$2/state" "$2/conf" >>"$2/rotate.err" 2>&1
		else
			opslog-rotate -f -s "$2/state" "$2/conf" >>"$2/rotate.err" 2>&1
		fi || bad=$((bad + 1))
		r=$((r + 1))
	done
	sleep 0.1
}
# field NAME of the checker's output in file $2
field() {
	sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"
}

# ---- (a) create mode, SIGHUP in postrotate, compress
d=$T_TMP/create
mkdir -p "$d"
cat >"$d/conf" <<EOC
$d/app.log {
	rotate 30
	create 0644
	compress
	postrotate
		kill -HUP "\$(cat $d/writer.pid)"
	endscript
}
EOC
writer_start "$d"
t_ok "create: the writer started" test -s "$d/writer.pid"
rotate opslog-rotate "$d"
writer_stop
t_ok "create: $rounds runs of opslog-rotate -f succeeded" test "$bad" = 0
sed 's/^/# /' "$d/rotate.err" | head -10
t_ok "create: $rounds generations kept" test "$(find "$d" -name 'app.log.*' | wc -l)" = $rounds
t_ok "create: every number is found exactly once" \
	/usr/bin/python3 "$writer" check "$(cat "$d/writer.last")" "$d"/app.log*
t_diag "create: $(cat "$T_TMP/.out")"

# ---- (b) copytruncate: lines lost per rotation
engines=opslog-rotate
command -v logrotate >/dev/null 2>&1 && engines="logrotate $engines"
for eng in $engines; do
	d=$T_TMP/copytruncate-$eng
	mkdir -p "$d"
	printf '%s {\n\trotate 30\n\tcopytruncate\n}\n' "$d/app.log" >"$d/conf"
	writer_start "$d"
	rotate "$eng" "$d"
	writer_stop
	t_ok "copytruncate: $rounds runs of $eng -f succeeded" test "$bad" = 0
	sed 's/^/# /' "$d/rotate.err" | head -10
	/usr/bin/python3 "$writer" check "$(cat "$d/writer.last")" "$d"/app.log* >"$d/check" 2>&1
	t_diag "copytruncate, $eng: $(cat "$d/check")"
done
lr=$(field missing "$T_TMP/copytruncate-logrotate/check" 2>/dev/null)
ops=$(field missing "$T_TMP/copytruncate-opslog-rotate/check")
per() {
	awk -v n="${1:-0}" -v r=$rounds 'BEGIN { printf "%.1f", n / r }'
}
t_diag "copytruncate: lines lost per rotation: logrotate $(per "$lr"), opslog-rotate $(per "$ops")"
t_ok "copytruncate: opslog-rotate wrote no line twice" \
	test "$(field dup "$T_TMP/copytruncate-opslog-rotate/check")" = 0
t_ok "copytruncate: opslog-rotate damaged no line" \
	test "$(field garbled "$T_TMP/copytruncate-opslog-rotate/check")" = 0
# The loss depends on timing (how many lines land between the last copy
# and the truncation), so the 1/20 target is reported, not asserted (as
# speed targets are: make bench); what is asserted holds on any machine:
# the two-phase copy loses fewer lines than logrotate's one copy.
if ! command -v logrotate >/dev/null 2>&1; then
	t_pass "copytruncate: loss compared # SKIP logrotate is not installed"
elif [ -z "$lr" ] || [ -z "$ops" ]; then
	t_fail "copytruncate: both losses were measured"
elif [ "$lr" -eq 0 ]; then
	t_pass "copytruncate: loss compared # SKIP logrotate lost no line in this run"
else
	t_diag "copytruncate: opslog-rotate lost $ops lines, logrotate $lr: $(awk -v a="$ops" -v b="$lr" 'BEGIN { printf "1/%.0f", (a ? b / a : b) }') of logrotate's loss (target at most 1/20)"
	t_ok "copytruncate: opslog-rotate lost fewer lines than logrotate ($ops < $lr)" \
		test "$ops" -lt "$lr"
fi

t_done
