#!/bin/sh
# opsticket: the whole workflow, the event log, illegal moves, Japanese words
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

store=$OPS_DIR/tickets.tsv

t_ok "new prints the first id" sh -c 'opsticket new --title "Web server down" --kind incident --impact high --assignee alice --target www1 > id1'
printf '1\n' >want
t_cmp "first id is 1" want id1
t_mode "store is created 0640" 0640 "$store"
t_ok "second ticket" sh -c 'opsticket new --title "Add user" --kind request > id2'
printf '2\n' >want
t_cmp "second id is 2" want id2

cat >want <<'W'
ts	id	event	field	value	by
2026-11-23T09:00:00+09:00	1	new	title	Web server down	tester
2026-11-23T09:00:00+09:00	1	set	kind	incident	tester
2026-11-23T09:00:00+09:00	1	set	occurred	2026-11-23T09:00:00+09:00	tester
2026-11-23T09:00:00+09:00	1	set	impact	high	tester
2026-11-23T09:00:00+09:00	1	set	assignee	alice	tester
2026-11-23T09:00:00+09:00	1	set	target	www1	tester
2026-11-23T09:00:00+09:00	2	new	title	Add user	tester
2026-11-23T09:00:00+09:00	2	set	kind	request	tester
2026-11-23T09:00:00+09:00	2	set	occurred	2026-11-23T09:00:00+09:00	tester
W
t_cmp "event log holds exactly the events" want "$store"

OPS_NOW=2026-11-23T09:30:00+09:00 t_ok "start work" opsticket set 1 status=in-progress
OPS_NOW=2026-11-23T10:00:00+09:00 t_ok "note with a newline and a tab" opsticket note --by bob 1 "rebooted httpd
	load is back to normal"
OPS_NOW=2026-11-23T11:00:00+09:00 t_ok "to confirming" opsticket set 1 status=confirming plan="watch for a day"
OPS_NOW=2026-11-24T11:00:00+09:00 t_ok "close with approver" opsticket close 1 --approver carol --note "confirmed by the customer"

cat >want <<'W'
id	kind	status	impact	title	assignee	occurred	updated	completed	approver
1	incident	done	high	Web server down	alice	2026-11-23T09:00:00+09:00	2026-11-24T11:00:00+09:00	2026-11-24T11:00:00+09:00	carol
2	request	received		Add user		2026-11-23T09:00:00+09:00	2026-11-23T09:00:00+09:00		
W
opsticket list >got 2>err
t_cmp "list after close" want got
printf '' >empty
t_cmp "list prints nothing on stderr" empty err

cat >want <<'W'
ts	id	event	field	value	by
2026-11-23T09:00:00+09:00	1	new	title	Web server down	tester
2026-11-23T09:00:00+09:00	1	set	kind	incident	tester
2026-11-23T09:00:00+09:00	1	set	occurred	2026-11-23T09:00:00+09:00	tester
2026-11-23T09:00:00+09:00	1	set	impact	high	tester
2026-11-23T09:00:00+09:00	1	set	assignee	alice	tester
2026-11-23T09:00:00+09:00	1	set	target	www1	tester
2026-11-23T09:30:00+09:00	1	set	status	in-progress	tester
2026-11-23T10:00:00+09:00	1	note		rebooted httpd\n\tload is back to normal	bob
2026-11-23T11:00:00+09:00	1	set	status	confirming	tester
2026-11-23T11:00:00+09:00	1	set	plan	watch for a day	tester
2026-11-24T11:00:00+09:00	1	note		confirmed by the customer	tester
2026-11-24T11:00:00+09:00	1	close	approver	carol	tester
W
opsticket show 1 >got
t_cmp "show prints the history in time order" want got

opsticket list --open --no-header >got
printf '2\trequest\treceived\t\tAdd user\t\t2026-11-23T09:00:00+09:00\t2026-11-23T09:00:00+09:00\t\t\n' >want
t_cmp "list --open --no-header" want got

# Illegal moves write nothing.
cp "$store" before
t_exit "received -> confirming is refused" 2 opsticket set 2 status=confirming
t_grep "message names the allowed moves" "ticket 2 is received; it cannot move to confirming (allowed: in-progress, on-hold)" .err
t_cmp "refused move leaves the store byte-identical" before "$store"
t_exit "set status=done is refused" 2 opsticket set 2 status=done
t_exit "close of a received ticket is refused" 2 opsticket close 2 --approver carol
t_exit "close without approver is a usage error" 2 opsticket close 2
t_exit "a bad pair in a batch refuses the whole batch" 2 opsticket set 2 assignee=dave status=confirming
t_exit "unknown field" 2 opsticket set 2 colour=red
t_exit "unknown ticket" 2 opsticket note 9 hello
t_exit "bad id" 2 opsticket note 1x hello
t_exit "empty title" 2 opsticket new --title ""
t_exit "control character in title" 2 opsticket new --title "$(printf 'a\033[2Jb')"
t_exit "unknown kind" 2 opsticket new --title x --kind outage
t_exit "unknown subcommand" 2 opsticket frobnicate
t_cmp "none of the refusals wrote anything" before "$store"

# Japanese words in, Japanese words out.
t_ok "Japanese status word accepted" opsticket set 2 status=対応中
t_ok "on hold in Japanese" opsticket set 2 status=保留中
opsticket list --lang ja --status 保留中 --no-header >got
printf '2\t依頼\t保留中\t\tAdd user\t\t2026-11-23T09:00:00+09:00\t2026-11-23T09:00:00+09:00\t\t\n' >want
t_cmp "list --lang ja shows Japanese words" want got
OPS_LANG=ja opsticket list --status on-hold --no-header >got
t_cmp "OPS_LANG=ja does the same" want got
LC_ALL=ja_JP.UTF-8 OPS_LANG='' opsticket list --status on-hold --no-header >got 2>/dev/null
t_cmp "a ja locale does the same, without the locale installed" want got
printf '[core]\nlang = ja\n' >ja.conf
OPS_CONF=ja.conf OPS_LANG='' opsticket list --status on-hold --no-header >got
t_cmp "[core] lang = ja does the same" want got
printf '[core]\n# comment\nlang = fr\n' >fr.conf
OPS_CONF=fr.conf OPS_LANG='' opsticket list >/dev/null 2>err
printf 'opsticket: fr.conf:3: lang is "fr": use ja or en\n' >want
t_cmp "a bad [core] lang names file and line" want err
printf '[ticket]\nresponse-targt = 1h\n' >typo.conf
t_exit "a typo in the configuration is an error" 2 env OPS_CONF=typo.conf opsticket list
t_grep "the typo is named with file and line" "typo.conf:2:" .err
OPS_NOW=2026-11-25T09:00:00+09:00 t_ok "reopen path: back to work" opsticket set 2 status=in-progress

# done -> in-progress reopens and clears the completion time.
t_ok "reopen a done ticket" opsticket set 1 status=in-progress
opsticket list --no-header --status in-progress >got
t_grep "reopened ticket has no completion time" "$(printf '1\tincident\tin-progress\thigh\tWeb server down\talice\t2026-11-23T09:00:00+09:00\t2026-11-23T09:00:00+09:00\t\tcarol')" got

# Formats.
opsticket export --format excel >x.csv
head -c 3 x.csv | od -An -tx1 | tr -d ' ' >got
printf 'efbbbf\n' >want
t_cmp "export --format excel starts with the UTF-8 BOM" want got
t_grep "excel export has a CSV header with labels" "id,kind,status" x.csv
opsticket new --title "=HYPERLINK(\"http://x\")" >/dev/null
opsticket export --format csv >x.csv
t_grep "formula cells are defused" "\"'=HYPERLINK(\"\"http://x\"\")\"" x.csv
opsticket list --format json >got
t_grep "json output" '"id":1,"kind":"incident"' got
opsticket show --format text 1 >got
t_grep "show --format text has the history" "bob note: rebooted httpd" got
t_exit "unknown format" 2 opsticket list --format yaml

# Stats: ticket 1 responded after 30 min, isolated after 2 h.
t_exit "stats exits 0 when nothing is late" 0 opsticket stats
cp .out got
awk -F'\t' '$1=="kind" && $2=="incident" {print $3, $5, $6, $12, $13}' got >gotline
printf '2 1 1800 1 7200\n' >want
t_cmp "stats: incidents, response and isolation seconds" want gotline
awk -F'\t' '$1=="all" {print $3, $4, $15, $16}' got >gotline
printf '3 3 86400 43200\n' >want
t_cmp "stats: totals and targets" want gotline

OPS_NOW=2026-11-25T09:00:00+09:00 t_exit "stats exits 1 when a target is missed" 1 opsticket stats
awk -F'\t' '$1=="all" {print $8, $14}' .out >gotline
printf '1 1\n' >want
t_cmp "stats: ticket 3 unanswered for two days is late twice over" want gotline

# A pipeline that stops reading ends quietly.
i=0
while [ $i -lt 300 ]; do
	printf '2026-11-23T09:00:00+09:00\t%d\tnew\ttitle\tbulk %d\ttester\n' $((i + 10)) $i
	i=$((i + 1))
done >>"$store"
opsticket list 2>err | head -1 >/dev/null
t_cmp "list | head -1 prints no error" empty err

t_done
