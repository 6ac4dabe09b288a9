#!/bin/sh
# opsticket: the fold snapshot gives the same answers as a fold from the start
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

store=$OPS_DIR/tickets.tsv
snap=$OPS_DIR/tickets.fold.tsv

# Over 1 MiB of log: about 3,000 tickets, 28,000 events.
awk -v n=3000 -f "$T_TOP/contrib/bench/gen-tickets.awk" >"$store"

# --strict never uses or writes the snapshot: it is the reference.
# shellcheck disable=SC2317 # called through t_ok
same_as_full() {
	opsticket list --strict >want.list &&
		opsticket list >got.list &&
		opsticket list --open --strict >want.open &&
		opsticket list --open >got.open &&
		opsticket list --status on-hold --strict >want.hold &&
		opsticket list --status on-hold >got.hold
	opsticket stats --strict >want.stats
	opsticket stats >got.stats
	cmp -s want.list got.list && cmp -s want.open got.open &&
		cmp -s want.hold got.hold && cmp -s want.stats got.stats
}

opsticket list --strict >/dev/null
if [ -e "$snap" ]; then t_fail "--strict writes no snapshot"; else t_pass "--strict writes no snapshot"; fi
t_ok "first fold writes the snapshot" opsticket list
t_ok "snapshot exists" test -s "$snap"
t_mode "snapshot is 0640" 0640 "$snap"
t_ok "answers from the snapshot equal a full fold" same_as_full
opsticket -v list --open 2>err >/dev/null
t_grep "the snapshot is used" "tickets.fold.tsv: covers" err
sum=$(cksum <"$snap")

# Changes after the snapshot: the tail is folded on top of it.
t_ok "close an open ticket" sh -c 'opsticket set 7 status=confirming && opsticket close 7 --approver boss'
t_ok "reopen a done ticket" opsticket set 1 status=in-progress
t_ok "note on a done ticket" opsticket note 2 "still fine"
t_ok "new ticket" opsticket new --title "after the snapshot"
t_ok "snapshot plus tail equals a full fold" same_as_full
t_grep "the new ticket is listed" "after the snapshot" got.open
t_grep "the reopened ticket is open" "$(printf '1\trequest\tin-progress')" got.open
if [ "$(cksum <"$snap")" = "$sum" ]; then t_pass "a small tail does not rewrite the snapshot"; else t_fail "a small tail does not rewrite the snapshot"; fi

# A log replaced by another file (new inode) with different history.
sed 's/ticket number 5 on/ticket number FIVE on/' "$store" >new.tsv
mv new.tsv "$store"
opsticket -v list 2>err >/dev/null
t_grep "replaced log: the snapshot is found stale" "stale or unreadable" err
t_ok "replaced log: a fold from the start" same_as_full
t_grep "replaced log: the change shows" "ticket number FIVE on" got.list

# The same file cut short in place (same inode).
head -n 200 "$store" >short.tsv
cat short.tsv >"$store"
opsticket -v list 2>err >/dev/null
t_grep "log cut short: the snapshot is found stale" "stale or unreadable" err
t_ok "log cut short: a fold from the start" same_as_full
t_lines "only the tickets of the short log are listed" \
	$(($(awk -F'\t' '$3 == "new"' short.tsv | wc -l) + 1)) got.list

# A damaged snapshot is ignored, never trusted.
awk -v n=3000 -f "$T_TOP/contrib/bench/gen-tickets.awk" >"$store"
opsticket list >/dev/null
head -c 5000 "$snap" >cut.tsv && mv cut.tsv "$snap"
t_ok "truncated snapshot: same answers" same_as_full
printf 'id\tkind\ngarbage\n' >"$snap"
t_ok "foreign snapshot: same answers" same_as_full
opsticket list >/dev/null
sed '2s/open=[0-9]*/open=7/' "$snap" >bad && mv bad "$snap"
t_ok "snapshot with a wrong open count: same answers" same_as_full
rm -f "$snap"
t_ok "deleted snapshot: same answers" same_as_full
printf 'garbage\n' >"$snap"
opsticket -v list >/dev/null 2>err
t_grep "-v says why the snapshot was not used" "stale or unreadable" err

t_done
