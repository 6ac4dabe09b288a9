#!/bin/sh
# opslog-rotate safety: symlinks and hard links in a directory another
# user can write are refused; kill -9 at random points never loses or
# duplicates a line; leftovers are finished, not overwritten.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || t_skip_all "needs root (chown to nobody)"
id nobody >/dev/null 2>&1 || t_skip_all "no user nobody"

BIN=$T_TOP/bin/opslog-rotate
L=$T_TMP/logs
S=$T_TMP/data/rotate.state

# run DAY ARGS...: opslog-rotate at 00:05 on 2026-11-DAY
run() {
	r_day=$1
	shift
	OPS_NOW=2026-11-${r_day}T00:05:00+09:00 opslog-rotate "$@"
}

# every line of every generation of $1 (decompressed), one stream
all_lines() {
	for a_f in "$1" "$1".* "$1"-*; do
		[ -f "$a_f" ] || continue
		case $a_f in
		*.gz | *.gz-*.backup) gzip -dc "$a_f" ;;
		*) cat "$a_f" ;;
		esac
	done
}

# what a file is: inode, links, mode, owner, size, checksum
ident() {
	printf '%s %s\n' "$(stat -c '%i %h %a %U %s' "$1")" \
		"$(cksum <"$1")"
}

# --- a symlink swapped in, in a directory owned by nobody
mkdir -p "$L"
chown nobody "$L"
chmod 755 "$L"
mkdir outside
echo "root's secret" >outside/secret
chmod 600 outside/secret
ident outside/secret >secret.before
cat >sym.conf <<EOF
$L/app.log {
	daily
	rotate 2
	create
}
EOF
echo one >"$L/app.log"
chown nobody "$L/app.log"
t_ok "symlink: first run (records the log)" run 20 sym.conf
t_ok "symlink: second run rotates in a nobody-owned directory" \
	run 21 sym.conf
t_ok "symlink: LOG.1 made" test -f "$L/app.log.1"
rm -f "$L/app.log"
ln -s "$T_TMP/outside/secret" "$L/app.log"
find outside | sort >top.before
t_exit "symlink: refused (exit 1)" 1 run 22 sym.conf
t_grep "symlink: the message says why" "symbolic link in a directory" \
	"$T_TMP/.err"
ident outside/secret >secret.after
t_cmp "symlink: the target is unchanged" secret.before secret.after
find outside | sort >top.after
t_cmp "symlink: nothing created outside the directory" top.before top.after
t_ok "symlink: the link itself is left alone" test -L "$L/app.log"
t_ok "symlink: LOG.2 not made" test ! -e "$L/app.log.2"

# --- the same in a world-writable sticky directory, with su
rm -rf "$L" && mkdir -p "$L" && chmod 1777 "$L"
cat >su.conf <<EOF
$L/app.log {
	su nobody nogroup
	daily
	rotate 2
	create
}
EOF
echo one >"$L/app.log"
chown nobody:nogroup "$L/app.log"
run 20 su.conf
t_ok "su: rotates in a 1777 directory" run 21 su.conf
t_ok "su: LOG.1 owned by nobody" test "$(stat -c %U "$L/app.log.1")" = nobody
rm -f "$L/app.log"
ln -s "$T_TMP/outside/secret" "$L/app.log"
t_exit "su: a symlink is refused there too" 1 run 22 su.conf
ident outside/secret >secret.after
t_cmp "su: the target is unchanged" secret.before secret.after

# --- a hard link to a root-owned file
rm -rf "$L" && mkdir -p "$L" && chown nobody "$L"
echo "another secret" >outside/secret2
chmod 600 outside/secret2
ln outside/secret2 "$L/app.log"
ident outside/secret2 >s2.before
run 20 sym.conf 2>/dev/null
t_exit "hard link: refused (exit 1)" 1 run 21 sym.conf
t_grep "hard link: the message says why" "hard links in a directory" \
	"$T_TMP/.err"
ident outside/secret2 >s2.after
t_cmp "hard link: the file is unchanged" s2.before s2.after
t_ok "hard link: nothing rotated" test ! -e "$L/app.log.1"

# --- kill -9 at random points during 50 rotations with compress; after
# every kill, before the next run, every line written is in some file
rm -rf "$L" && mkdir -p "$L"
rm -f "$S"
cat >kill.conf <<EOF
$L/k.log {
	daily
	rotate 100
	compress
	create
}
EOF
total=0
lost_after_kill=0
i=1
while [ "$i" -le 50 ]; do
	awk -v r="$i" 'BEGIN { for (j = 1; j <= 3000; j++)
		printf "r%02d line %05d lorem ipsum dolor sit amet\n", r, j }' \
		>>"$L/k.log"
	total=$((total + 3000))
	now=$(date -d "2026-11-01 +$i day" '+%Y-%m-%dT00:05:00+09:00')
	OPS_NOW=$now "$BIN" kill.conf >/dev/null 2>&1 &
	pid=$!
	ms=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
	sleep "$(printf '0.%03d' $((ms % 31)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# the lines of the log, its generations and any leftover, once each
	n=$(all_lines "$L/k.log" | sort -u | wc -l)
	[ "$n" -eq "$total" ] || lost_after_kill=$((lost_after_kill + 1))
	OPS_NOW=$now timeout 60 "$BIN" kill.conf >>kill.err 2>&1
	i=$((i + 1))
done
OPS_NOW=$(date -d "2026-11-01 +51 day" '+%Y-%m-%dT00:05:00+09:00') \
	timeout 60 "$BIN" kill.conf >>kill.err 2>&1
t_ok "kill -9: after each of 50 kills every line was in some file" \
	test "$lost_after_kill" -eq 0
all_lines "$L/k.log" >lines
t_lines "kill -9: every line written is still there" "$total" lines
sort lines | uniq -d >dups
t_ok "kill -9: no line is in two places" test ! -s dups
find "$L" -name '*opslog-tmp*' >tmps
t_ok "kill -9: no temporary left" test ! -s tmps
find "$L" -mindepth 1 ! -name k.log ! -name 'k.log.[0-9]*.gz' >odd
t_ok "kill -9: only LOG and LOG.N.gz in the end" test ! -s odd
bad=0
for f in "$L"/k.log.*.gz; do
	gzip -t "$f" 2>/dev/null || bad=$((bad + 1))
done
t_ok "kill -9: every .gz is valid" test "$bad" -eq 0
# a kill between the rename and create leaves no live log for a moment:
# the next run says so (no missingok); nothing else may be said
grep -v 'stat of .*/k.log failed' kill.err >alarms
t_ok "kill -9: the runs said nothing else" test ! -s alarms

# --- a leftover LOG.1 beside an existing LOG.1.gz
rm -rf "$L" && mkdir -p "$L"
printf 'path\tlast_rotated\n%s\t2026-11-20T00:05:00+09:00\n' \
	"$L/k.log" >"$S"
echo "in the .gz" | gzip >"$L/k.log.1.gz"
echo "in the plain LOG.1" >"$L/k.log.1"
echo "the live log" >"$L/k.log"
printf 'garbage' >"$L/.k.log.1.gz.opslog-tmp"
t_ok "leftovers: the run succeeds" run 21 kill.conf
all_lines "$L/k.log" | sort >got
printf '%s\n' "in the .gz" "in the plain LOG.1" "the live log" | sort >want
t_cmp "leftovers: neither LOG.1 nor LOG.1.gz was overwritten" want got
t_ok "leftovers: the temporary is gone" test ! -e "$L/.k.log.1.gz.opslog-tmp"
t_ok "leftovers: no uncompressed generation left" test ! -e "$L/k.log.1"

# the same data in both: the plain one is the unfinished compression
rm -rf "$L" && mkdir -p "$L"
echo "same data" | gzip >"$L/k.log.1.gz"
echo "same data" >"$L/k.log.1"
echo "live" >"$L/k.log"
t_ok "unfinished compression: the run succeeds" run 21 kill.conf
all_lines "$L/k.log" | sort >got
printf '%s\n' "live" "same data" | sort >want
t_cmp "unfinished compression: finished without a duplicate" want got

# a writer holding LOG.1 open: it stays uncompressed, shifted, not lost
rm -rf "$L" && mkdir -p "$L"
echo "held" >"$L/k.log"
sh -c 'exec 3<"$1"; exec sleep 30' holder "$L/k.log" &
holder=$!
t_ok "held open: the run succeeds" run 22 kill.conf
t_ok "held open: LOG.1 left uncompressed" test -f "$L/k.log.1"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
echo "new" >>"$L/k.log"
t_ok "held open: the next run succeeds" run 23 kill.conf
all_lines "$L/k.log" | sort >got
printf '%s\n' held new | sort >want
t_cmp "held open: compressed later, nothing lost" want got
find "$L" -mindepth 1 ! -name k.log ! -name 'k.log.[0-9]*.gz' >odd
t_ok "held open: no uncompressed generation left" test ! -s odd

t_done
