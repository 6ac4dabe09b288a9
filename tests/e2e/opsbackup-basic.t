#!/bin/sh
# opsbackup round trip: a tree with every kind of member (bktree.py) is
# backed up, listed, verified, restored whole and in part, and compared
# with the source member by member; keep, pre commands, check, drill,
# seals with a key, and a file that changes while it is read.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || t_skip_all "needs root (owners, setuid bits)"

PY=/usr/bin/python3
TREE=$T_TOP/tests/helper/bktree.py
SRC=$T_TMP/src
DEST=$T_TMP/dest
CAT=$T_TMP/data/backups.tsv

$PY "$TREE" make "$SRC" --big-mb "${BK_BIG_MB:-100}" || t_skip_all "bktree.py make failed"

# POSIX ACLs on a file and a directory (a default ACL too)
setfacl -m u:nobody:r,g:nogroup:rw "$SRC/small.txt"
setfacl -m u:nobody:rx -d -m g:nogroup:r "$SRC/dirs"
acl_of() { # the ACL entries of $1, without the "# file:" line
	getfacl -p "$1" 2>/dev/null | grep -v '^# file:'
}

cat >"$OPS_CONF" <<EOF
[backup "www"]
source = $SRC
dest = $DEST
keep = 3
EOF

# run AT ARGS...: opsbackup with the clock at 2026-11-AT (DDTHH:MM)
run() {
	r_at=$1
	shift
	OPS_NOW=2026-11-${r_at}:00+09:00 opsbackup "$@"
}

# --- run
run 20T02:00 run www >"$T_TMP/run.out" 2>"$T_TMP/run.err"
t_exit "run exits 0" 0 sh -c "exit $?"
t_ok "run prints nothing under cron (stdout)" test ! -s "$T_TMP/run.out"
t_ok "run prints nothing under cron (stderr)" test ! -s "$T_TMP/run.err"
t_ok "archive under its final name" test -f "$DEST/www-20261120T020000.tar.zst"
t_ok "manifest beside it" test -f "$DEST/www-20261120T020000.manifest.tsv"
t_ok "seal beside it" test -f "$DEST/www-20261120T020000.seal"
t_ok "no temporary left" sh -c "! ls -A '$DEST' | grep -q '^\\.'"
t_grep "catalog header" "id	set	started	finished	status	files	bytes	stored	archive	sha256	message" "$CAT"
t_grep "catalog row ok" "20261120T020000	www	2026-11-20T02:00:00+09:00" "$CAT"
awk -F'\t' 'NR == 2 { print $5 }' "$CAT" >"$T_TMP/st"
echo ok >"$T_TMP/want"
t_cmp "status ok" "$T_TMP/want" "$T_TMP/st"
sha=$(awk -F'\t' 'NR == 2 { print $10 }' "$CAT")
t_run "catalog sha256 is the archive's" "sha256sum '$DEST/www-20261120T020000.tar.zst' | cut -d' ' -f1" "$sha
"
t_grep "manifest header" "path	type	mode	uid	gid	size	mtime	sha256	target	note" "$DEST/www-20261120T020000.manifest.tsv"
t_grep "seal names the archive" "archive	www-20261120T020000.tar.zst" "$DEST/www-20261120T020000.seal"
t_grep "seal unsigned without a key" "hmac	none" "$DEST/www-20261120T020000.seal"
t_ok "zstd -t accepts the archive" zstd -qt "$DEST/www-20261120T020000.tar.zst"

# --- list, verify
t_run "list" "opsbackup list | cut -f1,2,8" "set	id	signed
www	20261120T020000	sha256
"
t_exit "verify exits 0" 0 opsbackup verify
t_grep "verify says ok" "www	20261120T020000	ok" "$T_TMP/.out"

# --- restore whole and compare every member
t_ok "restore latest --owner" opsbackup restore www latest "$T_TMP/r1" --owner
t_grep "one attempt line" "restore www 20261120T020000: ok" "$T_TMP/.out"
t_ok "restored tree equals the source (content, type, mode, owner, mtime, links, xattrs)" \
	$PY "$TREE" compare "$SRC" "$T_TMP/r1${SRC}"
sed 's/^/# /' "$T_TMP/.out" | head -20
acl_of "$SRC/small.txt" >acl.want
acl_of "$T_TMP/r1$SRC/small.txt" >acl.got
t_cmp "a file's ACL comes back" acl.want acl.got
acl_of "$SRC/dirs" >acl.want
acl_of "$T_TMP/r1$SRC/dirs" >acl.got
t_cmp "a directory's ACL and default ACL come back" acl.want acl.got
t_grep "(and it is a real ACL)" "default:group:nogroup:r--" acl.got
t_exit "restore into a non-empty directory is refused" 2 opsbackup restore www latest "$T_TMP/r1"
t_grep "and says why" "is not empty" "$T_TMP/.err"
t_exit "restore over / is refused" 2 opsbackup restore www latest /
t_exit "restore of an unknown set" 2 opsbackup restore nosuch latest "$T_TMP/rx"

# --- part of the tree
rel=${SRC#/}
t_ok "restore --path one directory" opsbackup restore www "$T_TMP/r2" --path "$rel/links"
t_ok "it is there" test -d "$T_TMP/r2/$SRC/links"
t_ok "nothing else" test ! -e "$T_TMP/r2/$SRC/big.bin"

t_exit "restore --path that matches nothing fails" 3 opsbackup restore www "$T_TMP/r2b" --path no/such/dir
t_grep "and says so" "nothing in it under --path no/such/dir" "$T_TMP/.out"

# --- overlapping sources are a configuration error
cat >"$T_TMP/ov.conf" <<EOF
[backup "ov"]
source = $SRC
source = $SRC/links
dest = $T_TMP/ovdest
EOF
t_exit "a source inside another is refused" 2 opsbackup -c "$T_TMP/ov.conf" run ov
t_grep "naming file, line and both" "ov.conf:3: source in [backup \"ov\"]: $SRC/links is inside $SRC" "$T_TMP/.err"

# --- pre command
cat >>"$OPS_CONF" <<EOF
[backup "db"]
source = $T_TMP/dump
dest = $DEST
pre = "echo 'SELECT 1;' > '$T_TMP/dump/db.sql'"
EOF
mkdir -p "$T_TMP/dump"
t_ok "pre command's dump is backed up" run 20T03:00 run db
t_ok "restore db" opsbackup restore db "$T_TMP/r3"
t_cmp "dump restored" "$T_TMP/dump/db.sql" "$T_TMP/r3$T_TMP/dump/db.sql"
sed -i 's/^pre = .*/pre = exit 4/' "$OPS_CONF"
t_exit "a failing pre command fails the run" 1 run 20T04:00 run db
t_grep "and says so" "pre command exited 4" "$T_TMP/.err"
t_ok "no generation made" test ! -e "$DEST/db-20261120T040000.seal"
t_grep "failed row" "20261120T040000	db	" "$CAT"
t_grep "failed status" "failed" "$CAT"
sed -i "s|^pre = .*|pre = : > '$T_TMP/dump/db.sql'|" "$OPS_CONF"
t_exit "a pre command that leaves an empty dump fails the run" 1 run 20T05:00 run db
t_grep "and names the file" "db.sql: the pre command left this file empty" "$T_TMP/.err"
t_ok "no generation made" test ! -e "$DEST/db-20261120T050000.seal"
t_exit "check db: last run failed is CRITICAL" 2 run 20T05:10 check db
t_grep "check names the failure" "OPSBACKUP CRITICAL - db: last run failed: backup db failed:" "$T_TMP/.out"
sed -i '/^pre = /d' "$OPS_CONF"

# --- keep 3: the fourth run prunes the oldest
for at in 21T02:00 22T02:00 23T02:00; do
	run "$at" run www
done
t_run "keep = 3 keeps the newest three" "opsbackup list www | cut -f2" "id
20261121T020000
20261122T020000
20261123T020000
"
t_ok "the pruned generation's files are gone" sh -c "! ls '$DEST' | grep -q 20261120T020000"
t_ok "db is not touched by www's prune" test -f "$DEST/db-20261120T030000.seal"

# --- check
t_exit "check: fresh backup is OK" 0 run 23T09:00 check www
t_grep "OK line with perfdata" "OPSBACKUP OK - www: newest backup 20261123T020000" "$T_TMP/.out"
t_exit "check: too old is CRITICAL" 2 run 24T09:00 check www --max-age 26h
t_grep "CRITICAL line" "OPSBACKUP CRITICAL - www: newest backup 20261123T020000 is 31 h old" "$T_TMP/.out"
t_exit "check: unknown set is UNKNOWN" 3 opsbackup check nosuch

# --- drill
t_ok "drill www" run 23T10:00 drill www
t_grep "drill row" "20261123T020000	www	2026-11-23T10:00:00+09:00" "$CAT"
t_grep "drill-ok" "drill-ok" "$CAT"
t_ok "scratch removed" sh -c "! ls '$T_TMP/data' | grep -q drill-www"

# --- a file that changes while it is read
(
	while :; do
		printf 'more\n' >>"$SRC/big.bin"
	done
) &
wpid=$!
run 23T11:00 run www 2>"$T_TMP/chg.err"
rc=$?
kill "$wpid" 2>/dev/null
wait "$wpid" 2>/dev/null
t_exit "run with a file growing under it still exits 0" 0 sh -c "exit $rc"
t_grep "warns about the file" "big.bin: changed while it was read" "$T_TMP/chg.err"
t_grep "the row says so" "changed while read (first: $SRC/big.bin)" "$CAT"
t_grep "the manifest marks it" "changed" "$DEST/www-20261123T110000.manifest.tsv"
t_ok "that generation verifies (it holds what was read)" opsbackup verify www 20261123T110000

# --- seals with a key
umask 077
head -c 32 /dev/urandom | base64 >"$T_TMP/seal.key"
chmod 600 "$T_TMP/seal.key"
cat >>"$OPS_CONF" <<EOF
[backup]
seal-key-file = $T_TMP/seal.key
EOF
t_exit "unsigned generations do not count once a key is set" 0 opsbackup list www
t_lines "none listed" 1 "$T_TMP/.out"
t_ok "run with a key" run 24T02:00 run www
t_grep "the seal carries an HMAC" "hmac	" "$DEST/www-20261124T020000.seal"
t_run "listed as signed" "opsbackup list www | cut -f2,8" "id	signed
20261124T020000	hmac
"
sed -i 's/^files\t\([0-9]*\)/files\t1\1/' "$DEST/www-20261124T020000.seal"
t_run "a seal changed by hand is not listed" "opsbackup list www | cut -f2" "id
"
t_exit "verify reports it bad" 1 opsbackup verify www
t_grep "HMAC mismatch named" "HMAC does not match" "$T_TMP/.out"
t_ok "prune leaves a generation whose seal fails alone (a changed key must not delete backups)" \
	opsbackup prune www
t_ok "still there" test -f "$DEST/www-20261124T020000.tar.zst"
chmod 644 "$T_TMP/seal.key"
t_exit "a seal key readable by others is refused" 2 opsbackup list www
t_grep "with the fix" "chmod 600" "$T_TMP/.err"

t_done
