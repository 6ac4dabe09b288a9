#!/bin/sh
# opsbackup against damage and hostile archives: a flipped byte inside a
# member (plain tar, and zstd), a truncated archive, restore --fallback
# generation by generation, every generation damaged, and archives that
# try to write outside the restore directory.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
SRC=$T_TMP/src
DEST=$T_TMP/dest

mkdir -p "$SRC/etc" "$SRC/var"
printf 'server_name example.jp;\n' >"$SRC/etc/nginx.conf"
printf 'MARKER-one-of-a-kind-0123456789\n' >"$SRC/etc/marker.txt"
seq 1 20000 >"$SRC/var/numbers.txt"

cat >"$OPS_CONF" <<EOF
[backup "plain"]
source = $SRC
dest = $DEST
compress = none
keep = 7

[backup "z"]
source = $SRC
dest = $DEST
keep = 7
EOF

# shellcheck disable=SC2317 # called through t_ok
run() {
	r_at=$1
	shift
	OPS_NOW=2026-11-${r_at}:00+09:00 opsbackup "$@"
}

# generation 1 holds "v1", generation 2 "v2", generation 3 "v3"
for g in 1 2 3; do
	printf 'version v%s\n' "$g" >"$SRC/etc/version"
	t_ok "plain run $g" run 2${g}T02:00 run plain
	t_ok "z run $g" run 2${g}T02:00 run z
done
t_exit "all verify" 0 opsbackup verify

# flip one byte of MARKER inside the newest plain archive
A3=$DEST/plain-20261123T020000.tar
off=$(grep -boa 'MARKER-one-of-a-kind' "$A3" | head -1 | cut -d: -f1)
printf 'X' | dd of="$A3" bs=1 seek="$off" conv=notrunc 2>/dev/null
t_exit "verify of a flipped byte exits 1" 1 opsbackup verify plain
t_grep "and names the member" "etc/marker.txt: SHA-256 mismatch" "$T_TMP/.out"
t_grep "older generations still ok" "plain	20261122T020000	ok" "$T_TMP/.out"

# --- restore --fallback: the newest is bad, the one before is used
t_exit "restore --fallback exits 1 when an older generation had to be used" 1 \
	opsbackup restore plain latest "$T_TMP/r1" --fallback
t_run "one line per attempt" "cat '$T_TMP/.out' | sed 's/: failed: .*/: failed/'" "restore plain 20261123T020000: failed
restore plain 20261122T020000: ok (4 files)
"
t_grep "the failure names the member" "etc/marker.txt" "$T_TMP/.out"
t_run "the older generation's content" "cat '$T_TMP/r1$SRC/etc/version'" "version v2
"
t_ok "nothing of the failed attempt is left (one version file, the right one)" \
	cmp "$T_TMP/r1$SRC/etc/marker.txt" "$SRC/etc/marker.txt"
t_exit "without --fallback the damaged newest fails (exit 3)" 3 \
	opsbackup restore plain latest "$T_TMP/r2"
t_ok "and leaves the directory empty" sh -c "[ -z \"\$(ls -A '$T_TMP/r2')\" ]"

# --- --force into a directory with files: a failed attempt takes away
# what it wrote, never what was there
mkdir -p "$T_TMP/r5$SRC/etc"
echo keep-me >"$T_TMP/r5/mine.txt"
echo keep-me-too >"$T_TMP/r5$SRC/etc/local.conf"
t_exit "restore --force of the damaged newest fails" 3 \
	opsbackup restore plain latest "$T_TMP/r5" --force
t_ok "a file that was there stays" test -f "$T_TMP/r5/mine.txt"
t_ok "a file that was there, inside a directory of the archive, stays" \
	test -f "$T_TMP/r5$SRC/etc/local.conf"

# --- zstd: a flipped byte in the compressed stream
Z3=$DEST/z-20261123T020000.tar.zst
size=$(stat -c %s "$Z3")
printf '\377' | dd of="$Z3" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
t_exit "verify of a damaged zstd archive exits 1" 1 opsbackup verify z 20261123T020000
t_grep "names a member" "member" "$T_TMP/.out"

# --- truncated
Z2=$DEST/z-20261122T020000.tar.zst
size=$(stat -c %s "$Z2")
truncate -s $((size - 100)) "$Z2"
t_exit "verify of a truncated archive exits 1" 1 opsbackup verify z 20261122T020000
t_grep "bad" "z	20261122T020000	bad" "$T_TMP/.out"

t_exit "restore --fallback over two damaged generations" 1 \
	opsbackup restore z latest "$T_TMP/r3" --fallback
t_lines "three attempts" 3 "$T_TMP/.out"
t_run "the oldest's content" "cat '$T_TMP/r3$SRC/etc/version'" "version v1
"

# --- every generation damaged: all tried, exit 3 (SPEC 5.3)
for f in "$DEST"/plain-*.tar; do
	printf 'garbage' | dd of="$f" bs=1 seek=600 conv=notrunc 2>/dev/null
done
t_exit "restore --fallback with every generation damaged exits 3" 3 \
	opsbackup restore plain latest "$T_TMP/r4" --fallback
t_lines "after trying all three" 3 "$T_TMP/.out"
t_grep "says none could" "no generation could be restored" "$T_TMP/.err"
t_ok "and leaves nothing behind" sh -c "[ -z \"\$(ls -A '$T_TMP/r4')\" ]"

# --- hostile archives: a generation made by someone who can write the
# destination (no seal key): "../x", "/abs", and a symlink then a file
# through it.  Each is refused and nothing lands outside the restore dir.
mkdir -p "$T_TMP/outside" "$T_TMP/h"
# hostile ID NAME...: write generation evil-ID (tar, manifest, seal)
hostile() {
	$PY - "$T_TMP/h" "$1" "$T_TMP/outside" <<'EOF'
import hashlib, io, os, sys, tarfile, time
dest, gid, outside = sys.argv[1], sys.argv[2], sys.argv[3]
kind = gid[-1]
name = 'evil-' + gid
buf = io.BytesIO()
rows = []
def add(ti, data=b''):
    ti.mtime = 1700000000
    ti.uid = ti.gid = 0
    t.addfile(ti, io.BytesIO(data) if data else None)
    typ = {tarfile.REGTYPE: 'file', tarfile.DIRTYPE: 'dir', tarfile.SYMTYPE: 'symlink'}[ti.type]
    rows.append([ti.name, typ, '%04o' % ti.mode, '0', '0', str(len(data)),
                 '2023-11-14T22:13:20Z',
                 hashlib.sha256(data).hexdigest() if typ == 'file' else '',
                 ti.linkname if typ == 'symlink' else '', ''])
with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
    ok = tarfile.TarInfo('fine.txt'); ok.size = 3; ok.mode = 0o644; add(ok, b'ok\n')
    if kind == '1':
        ti = tarfile.TarInfo('../x'); ti.size = 4; ti.mode = 0o644; add(ti, b'bad\n')
    elif kind == '2':
        ti = tarfile.TarInfo(outside + '/abs'); ti.size = 4; ti.mode = 0o644; add(ti, b'bad\n')
    else:
        ln = tarfile.TarInfo('link'); ln.type = tarfile.SYMTYPE; ln.linkname = outside; ln.mode = 0o777; add(ln)
        ti = tarfile.TarInfo('link/x'); ti.size = 4; ti.mode = 0o644; add(ti, b'bad\n')
data = buf.getvalue()
man = 'path\ttype\tmode\tuid\tgid\tsize\tmtime\tsha256\ttarget\tnote\n' + ''.join('\t'.join(r) + '\n' for r in rows)
man = man.encode()
open(os.path.join(dest, name + '.tar'), 'wb').write(data)
open(os.path.join(dest, name + '.manifest.tsv'), 'wb').write(man)
seal = ('format\topsbackup-seal-1\nset\tevil\nid\t%s\narchive\t%s.tar\narchive_size\t%d\n'
        'archive_sha256\t%s\nmanifest\t%s.manifest.tsv\nmanifest_size\t%d\nmanifest_sha256\t%s\n'
        'files\t2\nbytes\t7\ncreated\t2026-11-23T00:00:00+09:00\nhmac\tnone\n') % (
        gid, name, len(data), hashlib.sha256(data).hexdigest(), name, len(man),
        hashlib.sha256(man).hexdigest())
open(os.path.join(dest, name + '.seal'), 'w').write(seal)
EOF
}
cat >>"$OPS_CONF" <<EOF
[backup "evil"]
source = $SRC
dest = $T_TMP/h
compress = none
EOF
for k in 1 2 3; do
	case $k in
	1) why='../x refused: "." or ".." in the path' ;;
	2) why='outside/abs refused: absolute path' ;;
	3) why='link/x: cannot restore: Cannot extract through symlink' ;;
	esac
	hostile "20261123T00000$k"
	t_exit "hostile archive $k is refused (exit 3)" 3 \
		opsbackup restore evil 20261123T00000$k "$T_TMP/hr$k"
	t_grep "hostile archive $k: refused, and why" "$why" "$T_TMP/.out"
	t_ok "hostile archive $k: nothing outside" sh -c "[ -z \"\$(ls -A '$T_TMP/outside')\" ] && [ ! -e '$T_TMP/x' ]"
	t_ok "hostile archive $k: the restore dir is left empty" sh -c "[ -z \"\$(ls -A '$T_TMP/hr$k')\" ]"
done

t_done
