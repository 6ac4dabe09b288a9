#!/bin/sh
# opslog-rotate: daily runs with compress/delaycompress, dateext, olddir,
# size, create, copytruncate, scripts, missingok, the state file, -n, a bad
# configuration and the run lock.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

L=$T_TMP/logs
mkdir -p "$L"
S=$T_TMP/data/rotate.state

# run DAY ARGS...: opslog-rotate at 00:05 on 2026-11-DAY
run() {
	r_day=$1
	shift
	OPS_NOW=2026-11-${r_day}T00:05:00+09:00 opslog-rotate "$@"
}

# --- daily over 5 days: rotate 3, compress, delaycompress
cat >daily.conf <<EOF
$L/app.log {
	daily
	rotate 3
	compress
	delaycompress
}
EOF
seq 1 10 | sed 's/^/day0 /' >"$L/app.log"
for d in 20 21 22 23 24; do
	t_ok "daily: run on 11-$d" run "$d" daily.conf
	t_grep "daily: state says 11-$d after the run" \
		"$L/app.log	2026-11-${d}T" "$S"
	seq 1 10 | sed "s/^/day$d /" >>"$L/app.log"
done
ls "$L" >got
printf '%s\n' app.log app.log.1 app.log.2.gz app.log.3.gz >want
t_cmp "daily: LOG, LOG.1, LOG.2.gz, LOG.3.gz after 4 rotations" want got
gzip -t "$L/app.log.2.gz" "$L/app.log.3.gz" 2>/dev/null
t_ok "daily: the .gz files are valid gzip" gzip -t "$L/app.log.2.gz"
gzip -dc "$L/app.log.3.gz" | head -1 >got
echo "day21 1" >want
t_cmp "daily: LOG.3.gz holds day 21's lines" want got
head -1 "$L/app.log.1" >got
echo "day23 1" >want
t_cmp "daily: LOG.1 (delaycompress) holds day 23's lines" want got
t_ok "daily: a second run the same day changes nothing" run 24 daily.conf
ls "$L" >got
printf '%s\n' app.log app.log.1 app.log.2.gz app.log.3.gz >want
t_cmp "daily: no second rotation on 11-24" want got

# --- -n changes nothing
ls -l "$L" >before
cp "$S" state.before
t_ok "-n: exits 0" run 25 -n daily.conf
ls -l "$L" >after
t_cmp "-n: the logs are untouched" before after
t_cmp "-n: the state is untouched" state.before "$S"
t_grep "-n: says what it would rename" "rename $L/app.log to" "$T_TMP/.out"

# --- dateext
rm -rf "$L" && mkdir -p "$L"
cat >dateext.conf <<EOF
$L/d.log {
	daily
	dateext
	rotate 2
}
EOF
echo one >"$L/d.log"
t_ok "dateext: first run records the log" run 20 dateext.conf
t_ok "dateext: second run rotates" run 21 dateext.conf
t_ok "dateext: named by the date" test -f "$L/d.log-20261121"
echo two >>"$L/d.log"
run 22 dateext.conf && echo three >>"$L/d.log" && run 23 dateext.conf
ls "$L" >got
printf '%s\n' d.log-20261122 d.log-20261123 >want
t_cmp "dateext: rotate 2 keeps the two newest (nocreate: no new LOG)" want got

# --- olddir with createolddir
rm -rf "$L" && mkdir -p "$L"
cat >olddir.conf <<EOF
$L/o.log {
	daily
	olddir old
	createolddir 0750
	rotate 1
}
EOF
echo x >"$L/o.log"
run 20 olddir.conf && run 21 olddir.conf
t_ok "olddir: the generation is in the olddir" test -f "$L/old/o.log.1"
t_mode "olddir: createolddir made it 0750" 0750 "$L/old"

# --- size (ignores time), create mode
rm -rf "$L" && mkdir -p "$L"
cat >size.conf <<EOF
$L/s.log {
	size 100
	rotate 2
	create 0600
}
EOF
echo small >"$L/s.log"
chmod 644 "$L/s.log"
run 20 size.conf && run 21 size.conf
t_ok "size: a small log is not rotated" test ! -e "$L/s.log.1"
seq 1 100 >>"$L/s.log"
t_ok "size: a log >= size is rotated the same day" run 21 size.conf
t_ok "size: LOG.1 exists" test -f "$L/s.log.1"
t_mode "create: the new log has mode 0600" 0600 "$L/s.log"
t_mode "create: the rotated log kept 0644" 0644 "$L/s.log.1"

# --- copytruncate
rm -rf "$L" && mkdir -p "$L"
cat >ct.conf <<EOF
$L/c.log {
	daily
	copytruncate
	rotate 1
}
EOF
seq 1 50 >"$L/c.log"
ino=$(stat -c %i "$L/c.log")
run 20 ct.conf && run 21 ct.conf
t_ok "copytruncate: the log keeps its inode" test "$(stat -c %i "$L/c.log")" = "$ino"
t_ok "copytruncate: the log is empty" test ! -s "$L/c.log"
t_lines "copytruncate: LOG.1 has every line" 50 "$L/c.log.1"

# --- scripts with sharedscripts
rm -rf "$L" && mkdir -p "$L"
cat >sh.conf <<EOF
$L/w-*.log {
	daily
	rotate 2
	sharedscripts
	firstaction
		echo "first \$1" >>$T_TMP/order
	endscript
	prerotate
		echo "pre \$1" >>$T_TMP/order
	endscript
	postrotate
		echo "post \$1 [\$2]" >>$T_TMP/order
	endscript
	lastaction
		echo "last \$1" >>$T_TMP/order
	endscript
}
EOF
echo a >"$L/w-a.log"
echo b >"$L/w-b.log"
: >order
run 20 sh.conf && run 21 sh.conf
cat >want <<EOF
first $L/w-*.log 
pre $L/w-*.log 
post $L/w-*.log  []
last $L/w-*.log 
EOF
t_cmp "sharedscripts: each script once, pattern as \$1, in order" want order
t_ok "sharedscripts: both logs rotated" test -f "$L/w-a.log.1" -a -f "$L/w-b.log.1"
: >order
echo a2 >>"$L/w-a.log"
run 22 sh.conf
t_ok "wildcard: LOG.1 of a matched log is not taken as a log" \
	test ! -e "$L/w-a.log.1.1"

# --- missingok
rm -rf "$L" && mkdir -p "$L"
printf '%s\n' "$L/none.log {" daily missingok "}" >mok.conf
printf '%s\n' "$L/none.log {" daily "}" >nomok.conf
t_exit "missingok: a missing log is fine" 0 run 20 mok.conf
t_exit "nomissingok: a missing log fails (exit 1)" 1 run 20 nomok.conf
t_grep "nomissingok: the message names the log" "$L/none.log" "$T_TMP/.err"

# --- a bad configuration line: exit 2 with FILE:LINE
printf '%s\n' "$L/x.log {" daily "  frobnicate" "}" >bad.conf
t_exit "bad config: exit 2" 2 run 20 bad.conf
t_grep "bad config: FILE:LINE in the message" "bad.conf:3:" "$T_TMP/.err"

# --- bad state line: warned FILE:LINE, date from the newest generation
echo y >"$L/x.log"
printf '%s\n' "$L/x.log {" daily "rotate 2" create "}" >x.conf
printf 'path\tlast_rotated\n%s\tyesterday\n' "$L/x.log" >"$S"
echo old >"$L/x.log.1"
touch -d '2026-11-21 12:00' "$L/x.log.1"
t_ok "bad state line: the run still succeeds" run 21 x.conf
t_grep "bad state line: warned with FILE:LINE" "rotate.state:2:" "$T_TMP/.err"
t_ok "bad state line: not rotated (LOG.1 is from today)" test ! -e "$L/x.log.2"
t_ok "bad state line: rotated the next day" run 22 x.conf
t_ok "bad state line: LOG.2 after the next day's run" test -f "$L/x.log.2"

# --- logrotate's state is read
printf 'logrotate state -- version 2\n"%s" 2026-11-21-0:5:0\n' "$L/x.log" >"$S"
t_ok "logrotate state: read" run 21 x.conf
t_ok "logrotate state: today's entry means no rotation" test ! -e "$L/x.log.3"
head -1 "$S" >got
printf 'path\tlast_rotated\n' >want
t_cmp "logrotate state: rewritten as our TSV" want got

# --- the lock: a second run waits, and gives up after 30 s with exit 3
rm -f "$T_TMP/held"
(flock "$T_TMP/data/rotate.lock" sh -c "touch $T_TMP/held; sleep 2") &
hp=$!
i=0
while [ ! -e "$T_TMP/held" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_exit "lock: a run waits for a short holder" 0 run 22 x.conf
wait "$hp"
rm -f "$T_TMP/held"
(flock "$T_TMP/data/rotate.lock" sh -c "touch $T_TMP/held; sleep 40") &
hp=$!
i=0
while [ ! -e "$T_TMP/held" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_exit "lock: held for longer than 30 s: exit 3" 3 run 22 x.conf
t_grep "lock: says it is locked" "locked by another run" "$T_TMP/.err"
kill "$hp" 2>/dev/null
wait "$hp" 2>/dev/null

t_done
