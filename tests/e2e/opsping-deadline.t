#!/bin/sh
# One deadline per run: 10,000 targets that never answer each get exactly
# one CRITICAL row, and the run ends within its --timeout (plus start-up
# and output time).  ICMP silence comes from a private network namespace
# where the kernel ignores echo requests; TCP and HTTP silence from a
# listener whose accept queue is full, so the kernel drops further SYNs.
# Loopback only.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"

# Under valgrind everything is 20 to 50 times slower: the limits grow.
scale=1
[ "${VALGRIND:-}" = 1 ] && scale=20

# ms since the epoch
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# t_rows DESC N FILE: N rows, all CRITICAL, names distinct
t_rows() {
	t_all=$(wc -l <"$3" | tr -d ' ')
	t_crit=$(awk -F '\t' '$4 == "CRITICAL"' "$3" | wc -l | tr -d ' ')
	t_names=$(cut -f2 "$3" | sort -u | wc -l | tr -d ' ')
	if [ "$t_all" = "$2" ] && [ "$t_crit" = "$2" ] && [ "$t_names" = "$2" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "$t_all rows, $t_crit CRITICAL, $t_names names; expected $2"
		head -3 "$3" | sed 's/^/# /'
	fi
}

# t_within DESC START_MS LIMIT_MS
t_within() {
	t_el=$(($(now_ms) - $2))
	if [ "$t_el" -le $(($3 * scale)) ]; then
		t_pass "$1 ($t_el ms)"
	else
		t_fail "$1"
		t_diag "took $t_el ms, limit $3 ms"
	fi
}

awk 'BEGIN { print "name\ttarget\toptions"; for (x = 0; x < 40; x++) for (y = 1; y <= 250; y++) printf "h%d-%d\t127.0.%d.%d\t\n", x, y, x, y }' >icmp.tsv

if unshare -n true 2>/dev/null; then
	s=$(now_ms)
	unshare -n sh -c 'ip link set lo up &&
		echo 1 >/proc/sys/net/ipv4/icmp_echo_ignore_all &&
		exec opsping --no-header --timeout 2000 --targets icmp.tsv' >icmp.out 2>icmp.err
	rc=$?
	t_within "10,000 silent ICMP targets: the run ends by its deadline" "$s" 6000
	t_ok "... exit 1" test "$rc" = 1
	t_rows "... one CRITICAL row for each" 10000 icmp.out
	t_grep "... saying why" "no reply" icmp.out
else
	t_pass "# SKIP unshare -n is not permitted here"
	t_pass "# SKIP"
	t_pass "# SKIP"
	t_pass "# SKIP"
fi

# a listener that never accepts, its queue filled: further SYNs are dropped
t_start full.port /usr/bin/python3 -c '
import socket, sys, os, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)
p = s.getsockname()[1]
fill = []
for i in range(8):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", p))
    except BlockingIOError: pass
    fill.append(c)
time.sleep(0.5)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % p)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True: time.sleep(60)
' full.port
fp=$t_port
awk -v p="$fp" 'BEGIN { print "name\ttarget\toptions";
	for (i = 1; i <= 7000; i++) printf "t%d\ttcp://127.0.0.1:%d\t\n", i, p
	for (i = 1; i <= 3000; i++) printf "w%d\thttp://127.0.0.1:%d/x%d\t\n", i, p, i }' >mixed.tsv
s=$(now_ms)
opsping --no-header --timeout 2000 --jobs 256 --targets mixed.tsv >mixed.out 2>mixed.err
rc=$?
t_within "10,000 silent TCP and HTTP targets: the run ends by its deadline" "$s" 6000
t_ok "... exit 1" test "$rc" = 1
t_rows "... one CRITICAL row for each" 10000 mixed.out
grep -v '^==[0-9]*==' mixed.err >mixed.err2 # valgrind's notes
t_ok "... nothing on stderr" test ! -s mixed.err2

# a deadline shorter than a target's own timeout wins
printf 'name\ttarget\toptions\nslow\ttcp://127.0.0.1:%s\ttimeout=30s\n' "$fp" >one.tsv
s=$(now_ms)
t_exit "timeout=30s in a 500 ms run" 1 opsping --no-header --timeout 500 --targets one.tsv
t_within "... ends after about 500 ms" "$s" 3000

t_done
