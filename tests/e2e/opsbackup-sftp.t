#!/bin/sh
# opsbackup with an sftp:// destination, against a real OpenSSH sshd on
# 127.0.0.1: run (upload to a temporary name, rename, seal last), list,
# verify and restore --fallback reading back over SFTP, prune remotely,
# and an unknown host key refused without --accept-new-hostkey.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/sbin/sshd ] || t_skip_all "no sshd (apt-get install openssh-server)"
SD=$T_TMP/sshd
t_sshd "$SD" || t_skip_all "sshd did not start"
PORT=$t_port
SRC=$T_TMP/src
REMOTE=$T_TMP/remote

mkdir -p "$SRC/conf" "$REMOTE"
printf 'listen 80;\n' >"$SRC/conf/a.conf"
printf 'MARKER-sftp-unique-42\n' >"$SRC/conf/marker"
head -c 3000000 /dev/urandom >"$SRC/blob.bin"
ln -s a.conf "$SRC/conf/link"

cat >"$OPS_CONF" <<EOF
[ssh]
identity = $SD/id_ed25519
known-hosts = $T_TMP/known_hosts
agent = no

[backup "r"]
source = $SRC
dest = sftp://$(id -un)@127.0.0.1:$PORT$REMOTE/gens
compress = none
keep = 2
EOF

# shellcheck disable=SC2317 # called through t_ok
run() {
	r_at=$1
	shift
	OPS_NOW=2026-11-${r_at}:00+09:00 opsbackup "$@"
}

t_exit "an unknown host key is refused" 1 run 20T02:00 run r
t_grep "with the fingerprint and what to do" "host key unknown" "$T_TMP/.err"
t_ok "no generation uploaded" sh -c "[ -z \"\$(ls -A '$REMOTE' 2>/dev/null)\" ] || [ -z \"\$(ls -A '$REMOTE/gens' 2>/dev/null)\" ]"

printf 'version 1\n' >"$SRC/conf/version"
t_ok "run over SFTP with --accept-new-hostkey" run 21T02:00 run r --accept-new-hostkey
t_ok "the host key was recorded" test -s "$T_TMP/known_hosts"
t_ok "archive on the server" test -f "$REMOTE/gens/r-20261121T020000.tar"
t_ok "manifest on the server" test -f "$REMOTE/gens/r-20261121T020000.manifest.tsv"
t_ok "seal on the server" test -f "$REMOTE/gens/r-20261121T020000.seal"
t_ok "no temporary left on the server" sh -c "! ls -A '$REMOTE/gens' | grep -q '^\\.'"
t_ok "no staging copy left" sh -c "[ -z \"\$(ls -A '$T_TMP/data/staging')\" ]"

printf 'version 2\n' >"$SRC/conf/version"
t_ok "second run" run 22T02:00 run r
t_run "list over SFTP" "opsbackup list r | cut -f2" "id
20261121T020000
20261122T020000
"
t_exit "verify over SFTP" 0 opsbackup verify r
t_lines "two generations verified" 3 "$T_TMP/.out"

t_ok "restore over SFTP" opsbackup restore r "$T_TMP/r1"
t_run "newest content" "cat '$T_TMP/r1$SRC/conf/version'" "version 2
"
t_ok "blob intact" cmp "$SRC/blob.bin" "$T_TMP/r1$SRC/blob.bin"
t_run "symlink kept" "readlink '$T_TMP/r1$SRC/conf/link'" "a.conf
"

# damage the newest on the server: a flipped byte in a member
A=$REMOTE/gens/r-20261122T020000.tar
off=$(grep -boa 'MARKER-sftp-unique' "$A" | head -1 | cut -d: -f1)
printf 'Y' | dd of="$A" bs=1 seek="$off" conv=notrunc 2>/dev/null
t_exit "verify over SFTP finds it" 1 opsbackup verify r
t_grep "naming the member" "conf/marker: SHA-256 mismatch" "$T_TMP/.out"
t_exit "restore --fallback over SFTP uses the older one" 1 opsbackup restore r latest "$T_TMP/r2" --fallback
t_grep "first attempt failed" "restore r 20261122T020000: failed:" "$T_TMP/.out"
t_grep "second attempt ok" "restore r 20261121T020000: ok" "$T_TMP/.out"
t_run "older content" "cat '$T_TMP/r2$SRC/conf/version'" "version 1
"

# keep = 2: a third good run prunes the oldest on the server
t_ok "third run" run 23T02:00 run r
t_ok "oldest removed on the server" sh -c "! ls '$REMOTE/gens' | grep -q 20261121T020000"
t_ok "the damaged one is still counted (its seal is valid): two kept" \
	sh -c "[ \$(ls '$REMOTE/gens' | grep -c '\\.seal\$') = 2 ]"
t_ok "drill over SFTP" run 23T03:00 drill r

t_done
