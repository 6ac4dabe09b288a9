#!/bin/sh
# opsping ssh:// probes against a real OpenSSH sshd on loopback: host-key
# checks, every probe, values and thresholds, shell metacharacters, a
# server that never answers, 50 probes in one run.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/sbin/sshd ] || t_skip_all "openssh-server is not installed"
[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"
unset SSH_AUTH_SOCK SSH_AGENT_PID
t_sshd "$T_TMP/sshd" || t_skip_all "sshd did not start"
sp=$t_port
me=$(id -un)
url="ssh://$me@127.0.0.1:$sp"

cat >"$OPS_CONF" <<EOC
[ssh]
identity = $T_TMP/sshd/id_ed25519
agent = no
[probe "answer"]
command = echo 42
[probe "broken"]
command = "echo 'it is broken'; exit 2"
EOC

# field $2 (1-based) of the row named $1 in file $3
field() {
	awk -F '\t' -v n="$1" -v f="$2" '$2 == n { print $f }' "$3"
}

# --- unknown host key: refused, exit 3, nothing recorded as OK
t_exit "unknown host key: exit 3" 3 opsping --record "$url/disk"
cp .out unknown.out
cp .err unknown.err
t_grep "... the row is UNKNOWN" "$(printf '\tUNKNOWN\t')" unknown.out
t_grep "... the message shows the fingerprint" "SHA256:" unknown.out
t_grep "... and the fix" "--accept-new-hostkey" unknown.err
t_ok "... checks.tsv holds no OK row" test "$(awk -F '\t' '$4 == "OK"' "$OPS_DIR/checks.tsv" | wc -l)" = 0
t_exit "--accept-new-hostkey: exit 0" 0 opsping --accept-new-hostkey "$url/disk"
t_grep "... the key is now in ~/.ssh/known_hosts" "[127.0.0.1]:$sp ssh-ed25519 " "$HOME/.ssh/known_hosts"
t_exit "a second run needs no flag" 0 opsping "$url/disk"

# --- every probe
{
	printf 'name\ttarget\toptions\n'
	printf 'disk\t%s/disk\t\n' "$url"
	printf 'disk-root\t%s/disk=/\tcrit=100\n' "$url"
	printf 'disk-crit\t%s/disk\tcrit=0:0\n' "$url"
	printf 'mem\t%s/mem\t\n' "$url"
	printf 'load\t%s/load\twarn=1000 crit=1000\n' "$url"
	printf 'service\t%s/service=ssh.service\t\n' "$url"
	printf 'answer\t%s/exec=answer\t\n' "$url"
	printf 'answer-crit\t%s/exec=answer\tcrit=40\n' "$url"
	printf 'broken\t%s/exec=broken\t\n' "$url"
} >probes.tsv
opsping --targets probes.tsv >probes.out 2>probes.err
t_ok "a run of every probe ends" test -s probes.out
t_ok "disk: OK" test "$(field disk 4 probes.out)" = OK
field disk 6 probes.out >disk.value
t_ok "disk: value is the use %" grep -Eqx '[0-9]+' disk.value
t_ok "disk=/: same value" test "$(field disk 6 probes.out)" = "$(field disk-root 6 probes.out)"
t_ok "disk with crit=0:0: CRITICAL" test "$(field disk-crit 4 probes.out)" = CRITICAL
t_ok "mem: OK or WARNING or CRITICAL with a value" test -n "$(field mem 6 probes.out)"
t_ok "load: OK with a value" test "$(field load 4 probes.out)" = OK
t_ok "service: a result" test -n "$(field service 4 probes.out)"
t_ok "exec: the number is the value" test "$(field answer 6 probes.out)" = 42
t_ok "exec: OK" test "$(field answer 4 probes.out)" = OK
t_ok "exec: crit=40 makes 42 CRITICAL" test "$(field answer-crit 4 probes.out)" = CRITICAL
t_ok "exec: exit 2 is CRITICAL" test "$(field broken 4 probes.out)" = CRITICAL
t_ok "exec: its first line is the message" test "$(field broken 7 probes.out)" = "it is broken"
df_use=$(df -P / | awk 'NR == 2 { sub("%", "", $5); print $5 }')
t_ok "disk value equals local df (same machine)" test "$(field disk 6 probes.out)" = "$df_use"

# --- the nagios form carries the value as perfdata
t_exit "nagios: disk OK" 0 opsping --format nagios "$url/disk"
t_grep "perfdata value=USE;80;90" ";80;90" .out

# --- shell metacharacters never reach the remote side
t_exit "service= with ; is refused" 2 opsping "$url/service=x;touch /tmp/opsping-pwned-$$"
t_exit "service= with \$( ) is refused" 2 opsping "$url/service=\$(touch /tmp/opsping-pwned-$$)"
t_exit "exec= with a space is refused" 2 opsping "$url/exec=answer; touch /tmp/opsping-pwned-$$"
t_exit "disk= with a quote is refused" 2 opsping "$url/disk=/tmp/x'\$(touch /tmp/opsping-pwned-$$)'"
t_exit "exec= naming no [probe] is a usage error" 2 opsping "$url/exec=nosuch"
sleep 0.2
t_ok "... nothing ran" test ! -e "/tmp/opsping-pwned-$$"

# --- a server that accepts and never answers
t_start silent.port /usr/bin/python3 -c '
import socket, sys, os, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' silent.port
s0=$(date +%s%N)
t_exit "a silent server: CRITICAL, exit 1" 1 opsping --timeout 1500 "ssh://$me@127.0.0.1:$t_port/disk"
el=$((($(date +%s%N) - s0) / 1000000))
t_grep "... timed out" "timeout" .out
limit=4000
[ "${VALGRIND:-}" = 1 ] && limit=30000
t_ok "... within its deadline ($el ms)" test "$el" -le "$limit"

# --- 50 probes in one run
{
	printf 'name\ttarget\toptions\n'
	i=1
	while [ $i -le 50 ]; do
		case $((i % 3)) in
		0) p=disk ;;
		1) p=mem ;;
		*) p=load ;;
		esac
		printf 'p%d\t%s/%s\twarn=1000 crit=1000\n' "$i" "$url" "$p"
		i=$((i + 1))
	done
} >fifty.tsv
printf '[ssh]\nsessions-per-host = 10\n' >>"$OPS_CONF"
s0=$(date +%s%N)
opsping --no-header --targets fifty.tsv >fifty.out 2>fifty.err
el=$((($(date +%s%N) - s0) / 1000000))
echo "# 50 probes to one host over 10 sessions: $el ms"
t_ok "50 probes: 50 rows" test "$(wc -l <fifty.out)" = 50
t_ok "... all OK" test "$(awk -F '\t' '$4 == "OK"' fifty.out | wc -l)" = 50

t_done
