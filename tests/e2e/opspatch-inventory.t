#!/bin/sh
# opspatch-check vercmp and inventory: exit codes as dpkg --compare-versions;
# the local inventory against dpkg-query on this machine; a remote host
# over a real sshd on 127.0.0.1; software.tsv; an unreachable host keeps
# its earlier rows.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

INV=$T_TMP/data/inventory.tsv

# --- vercmp
t_exit "vercmp lt true: 0" 0 opspatch-check vercmp 1.0~rc1 lt 1.0
t_exit "vercmp lt false: 1" 1 opspatch-check vercmp 1.0 lt 1.0~rc1
t_exit "vercmp with dpkg's symbol <<" 0 opspatch-check vercmp 2.6.2 '<<' 2.6.10
t_exit "vercmp --rpm: caret after the base version" 0 opspatch-check vercmp --rpm 1.0^git1 gt 1.0
t_exit "vercmp --rpm: a missing release sorts lower" 0 opspatch-check vercmp --rpm 0:1.0 lt 0:1.0-1
t_exit "an unknown operator is a usage error" 2 opspatch-check vercmp 1 lesser 2
t_exit "a bad version: a warning, still an answer (as dpkg)" 0 opspatch-check vercmp a lt b
t_grep "the warning" "version 'a' has bad syntax: version number does not start with digit" "$T_TMP/.err"
t_run "vercmp --batch" "printf '1.0 lt 2.0\\n1.0~rc1\\tgt\\t1.0\\n\\n2:1 >= 1:9\\n' | opspatch-check vercmp --batch" "1.0	lt	2.0	yes
1.0~rc1	gt	1.0	no
2:1	>=	1:9	yes
"
t_exit "vercmp --batch: a bad line is exit 2" 2 sh -c "printf '1.0 lt\\n1 lt 2\\n' | opspatch-check vercmp --batch"
t_grep "named with its line" "(standard input):1: expected" "$T_TMP/.err"
t_grep "the good lines are still answered" "1	lt	2	yes" "$T_TMP/.out"

# --- local inventory against dpkg-query
command -v dpkg-query >/dev/null 2>&1 || t_skip_all "no dpkg-query"
t_ok "inventory of this host" opspatch-check inventory
t_ok "no output under cron" test ! -s "$T_TMP/.out"
t_grep "the header" "host	package	version	arch	source	collected	source_version	kind	cpe" "$INV"
dpkg-query -W -f='${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n' |
	awk -F'\t' '$1 == "installed" || $1 == "unpacked" || $1 == "half-configured" || $1 ~ /^triggers/ { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 }' |
	sort >want.tsv
awk -F'\t' 'NR > 1 && $8 == "dpkg" { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $7 }' "$INV" | sort >got.tsv
t_cmp "every package, version, arch, source and source version as dpkg-query says" want.tsv got.tsv
t_diag "$(wc -l <got.tsv) packages"
host=$(awk -F'\t' 'NR == 2 { print $1 }' "$INV")
t_run "the host is this machine's short name" "hostname | cut -d. -f1" "$host
"

# --- a status file given, and its errors
printf 'Package: x\nStatus: install ok installed\nno colon\n' >bad.status
t_exit "a malformed status file: exit 2 (bad input), named with its line" 2 opspatch-check inventory --status bad.status
t_grep "file and line" "bad.status:3: this host: not collected: expected \"Field: value\"" "$T_TMP/.err"
t_ok "the store is unchanged by the failed host" cmp "$INV" "$INV"

# --- software.tsv
printf 'host\tproduct\tversion\tcpe\nweb01\tApache Tomcat\t9.0.80\tcpe:/a:apache:tomcat\nweb01\tJDK\t17.0.8\t\n' >"$T_TMP/data/software.tsv"
t_ok "inventory with software.tsv" opspatch-check inventory
t_grep "software rows" "web01	Apache Tomcat	9.0.80		Apache Tomcat" "$INV"
t_grep "with their CPE" "software	cpe:/a:apache:tomcat" "$INV"

# --- a remote host over SSH
if [ -x /usr/sbin/sshd ] && t_sshd "$T_TMP/sshd"; then
	port=$t_port
	cat >"$OPS_CONF" <<EOF
[ssh]
identity = $T_TMP/sshd/id_ed25519
known-hosts = $T_TMP/known_hosts
agent = no
EOF
	t_exit "an unknown host key is refused" 1 opspatch-check inventory "ssh://$(id -un)@127.0.0.1:$port"
	t_grep "and said" "host key unknown" "$T_TMP/.err"
	t_ok "remote inventory with --accept-new-hostkey" \
		opspatch-check inventory --accept-new-hostkey "ssh://$(id -un)@127.0.0.1:$port"
	awk -F'\t' 'NR > 1 && $1 == "127.0.0.1" { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $7 }' "$INV" | sort >remote.tsv
	t_cmp "the remote packages (dpkg-query over SSH) equal the local ones" want.tsv remote.tsv
	t_grep "the local host's rows are kept" "$host	bash	" "$INV"
	t_grep "software rows are kept" "web01	JDK" "$INV"
	before=$(grep -c '^127\.0\.0\.1	' "$INV")
	t_exit "an unreachable host: exit 1" 1 opspatch-check inventory "ssh://127.0.0.1:$(t_free_port)"
	t_grep "says it was not collected" "not collected" "$T_TMP/.err"
	t_run "the other hosts' rows stay" "grep -c '^127\\.0\\.0\\.1	' '$INV'" "$before
"
else
	t_pass "sshd not available: remote part skipped"
fi

t_done
