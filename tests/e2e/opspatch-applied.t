#!/bin/sh
# opspatch-check applied: the update-application list from dpkg.log and
# apt's history.log (real samples, this machine's own logs, gzip-rotated
# copies, a malformed line), appended to applied.tsv once, and read from
# a remote host over a real sshd on 127.0.0.1.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

D=$T_TOP/tests/data/patch
AP=$T_TMP/data/applied.tsv

# --- the samples: dpkg.log alone
t_ok "applied --log dpkg.log.sample" opspatch-check applied --log "$D/dpkg.log.sample"
cp .out sample.out
t_run "23 changes: 14 installs, 4 upgrades, 5 removals" \
	"awk -F'\\t' 'NR > 1 { print \$6 }' sample.out | sort | uniq -c | sed 's/^ *//'" "14 install
5 remove
4 upgrade
"
t_grep "an upgrade, to the second, in local time" "2025-06-24T14:36:25+09:00	$(hostname | cut -d. -f1)	libsystemd0	252.36-1~deb12u1	252.38-1~deb12u1	upgrade	dpkg" sample.out
t_lines "the store got the header and the 23 rows" 24 "$AP"

# --- with apt's history: the same changes get their command line
t_ok "applied with history.log too" opspatch-check applied --log "$D/dpkg.log.sample" --log "$D/apt-history.log.sample"
cp .out both.out
t_grep "the upgrade now names apt's command" "libsystemd0	252.36-1~deb12u1	252.38-1~deb12u1	upgrade	apt: apt-get -qqy upgrade" both.out
t_grep "a transaction dpkg.log no longer has gives its own rows" "tzdata	2025b-0+deb12u1	2025b-0+deb12u2	upgrade	apt: apt-get install -y tzdata" both.out
n_both=$(($(wc -l <both.out) - 1))
t_run "the store: each change once (source is not part of the key)" "wc -l <'$AP'" "$((n_both + 1))
"
t_ok "again: nothing new" opspatch-check applied --log "$D/dpkg.log.sample" --log "$D/apt-history.log.sample"
t_run "the store did not grow" "wc -l <'$AP'" "$((n_both + 1))
"

# --- gzip rotations read as the plain ones
gzip -c "$D/dpkg.log.sample" >dpkg.log.2.gz
gzip -c "$D/apt-history.log.sample" >history.log.1.gz
t_ok "gzip-rotated copies" opspatch-check -d "$T_TMP/gz" applied --log dpkg.log.2.gz --log history.log.1.gz
t_cmp "give the same list" both.out .out

# --- a malformed change line
printf '2025-06-24 14:36:25 upgrade libx:amd64 1.0\n' >bad.log
t_exit "a change line without its versions: exit 2" 2 opspatch-check -d "$T_TMP/bad" applied --log bad.log
t_grep "named with file and line" "bad.log:1: this host: not read: expected \"ACTION PACKAGE FROM TO\"" "$T_TMP/.err"

# --- this machine's own logs
if [ -r /var/log/dpkg.log ]; then
	t_ok "applied from /var/log (every rotation)" opspatch-check -d "$T_TMP/real" applied
	cp .out real.out
	for f in /var/log/dpkg.log*; do
		case $f in *.gz) zcat "$f" ;; *) cat "$f" ;; esac
	done | awk '$3 == "install" || $3 == "upgrade" || $3 == "remove" || $3 == "purge" {
		split($4, p, ":"); print p[1] "\t" $3 }' | sort >want.real
	awk -F'\t' 'NR > 1 { print $3 "\t" $6 }' real.out | sort >got.all
	t_ok "every change of the real dpkg.log is in the list" \
		sh -c "[ -z \"\$(comm -23 want.real got.all)\" ]"
	t_diag "$(wc -l <want.real) changes in dpkg.log, $(($(wc -l <real.out) - 1)) rows"
else
	t_pass "no /var/log/dpkg.log here"
fi

# --- a remote host
if [ -x /usr/sbin/sshd ] && [ -r /var/log/dpkg.log ] && t_sshd "$T_TMP/sshd"; then
	cat >"$OPS_CONF" <<EOF
[ssh]
identity = $T_TMP/sshd/id_ed25519
known-hosts = $T_TMP/known_hosts
agent = no
EOF
	t_ok "applied over SSH" opspatch-check -d "$T_TMP/remote" applied --accept-new-hostkey "ssh://$(id -un)@127.0.0.1:$t_port"
	cut -f1,3- .out >remote.cut
	cut -f1,3- real.out >real.cut
	t_cmp "the same list as read locally" real.cut remote.cut
	t_grep "the rows name the host" "	127.0.0.1	" "$T_TMP/remote/applied.tsv"
	t_exit "--log with a host is a usage error" 2 opspatch-check applied --log x "ssh://127.0.0.1:$t_port"
else
	t_pass "sshd not available: remote part skipped"
fi

t_done
