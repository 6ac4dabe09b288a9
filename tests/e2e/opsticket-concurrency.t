#!/bin/sh
# opsticket: concurrent writers, torn last line, malformed lines
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

store=$OPS_DIR/tickets.tsv

# 50 concurrent "new": exactly the ids 1..50.
i=0
while [ $i -lt 50 ]; do
	opsticket new --title "concurrent $i" >"new.$i" 2>"new.$i.err" &
	i=$((i + 1))
done
wait
cat new.[0-9]* | sort -n >got
seq 1 50 >want
t_cmp "50 concurrent new give ids 1..50" want got
cat new.*.err >errs
printf '' >empty
t_cmp "no concurrent new complained" empty errs
t_ok "store is well-formed after concurrent new" opsticket list --strict

# 20 writers x 50 notes: exactly 1000 note events, every line well-formed.
w=0
while [ $w -lt 20 ]; do
	(
		n=0
		while [ $n -lt 50 ]; do
			opsticket note $((w + 1)) "writer $w note $n" || echo "fail $w $n"
			n=$((n + 1))
		done
	) >"notes.$w" 2>&1 &
	w=$((w + 1))
done
wait
cat notes.* >errs
t_cmp "no note failed" empty errs
awk -F'\t' '$3 == "note"' "$store" | wc -l | tr -d ' ' >got
echo 1000 >want
t_cmp "exactly 1000 note events" want got
awk -F'\t' 'NF != 6 { print FILENAME ":" FNR ": " NF " fields" }' "$store" >bad
t_cmp "every line has 6 fields" empty bad
awk -F'\t' '$3 == "note" { print $5 }' "$store" | sort | uniq -d >dups
t_cmp "no note was written twice" empty dups
t_ok "the whole store passes --strict" opsticket list --strict
opsticket show 3 | awk -F'\t' '$3 == "note"' | wc -l | tr -d ' ' >got
echo 50 >want
t_cmp "ticket 3 has its 50 notes" want got

# A torn last line (a crash mid-write) is ignored by readers...
opsticket list >before.list
printf '2026-11-23T09:00:00+09:00\t3\tno' >>"$store"
opsticket list >got 2>err
t_cmp "a torn last line does not change the listing" before.list got
t_cmp "a torn last line is not reported" empty err
# ...and the next append starts on a fresh line.
t_ok "append after a torn line" opsticket note 3 "after the crash"
tail -n 2 "$store" >got
printf '2026-11-23T09:00:00+09:00\t3\tno\n2026-11-23T09:00:00+09:00\t3\tnote\t\tafter the crash\ttester\n' >want
t_cmp "the torn fragment stays on its own line, the event on the next" want got
opsticket list >got 2>err
t_cmp "listing still right after the append" before.list got
lines=$(wc -l <"$store" | tr -d ' ')
printf 'opsticket: %s:%s: 3 fields, header has 6\n' "$store" $((lines - 1)) >want
t_cmp "the completed fragment is reported with file and line" want err
t_exit "--strict makes it fatal" 2 opsticket list --strict
t_grep "--strict names file and line" "$store:$((lines - 1)):" .err

# A store with a different header is refused, not appended to.
mkdir other
printf 'ts\tid\tevent\n' >other/tickets.tsv
cp other/tickets.tsv other.before
t_exit "foreign header refused" 2 opsticket -d other new --title x
t_cmp "foreign store untouched" other.before other/tickets.tsv

t_done
