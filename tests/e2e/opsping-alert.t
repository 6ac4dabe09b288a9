#!/bin/sh
# opsping --record --alert: soft and hard states, alert mail into a real
# SMTP sink on loopback, maintenance windows, parent=, renotify, the mail
# limit, gaps, --stale, [alert] command and [alert] ticket.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null ||
	t_skip_all "python3-aiosmtpd is not installed"

mkdir mail
t_start smtp.port /usr/bin/python3 "$T_TOP/tests/helper/smtpd.py" smtp.port mail
mp=$t_port
[ -n "$mp" ] || t_skip_all "the SMTP sink did not start"

# a TCP port we can open and close: $lp, with a listener started by lon
lp=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
lpid=
lon() {
	rm -f listen.ok
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
open(sys.argv[2], "w").write("up\n")
while True:
    c, _ = s.accept(); c.close()
' "$lp" listen.ok &
	lpid=$!
	t_pids="$t_pids $lpid"
	i=0
	while [ ! -s listen.ok ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
loff() {
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
}

cat >"$OPS_CONF" <<EOC
[ping]
interval = 1m
[alert]
mailto = ops@example.org
mailto = boss@example.org
mail-from = opsping@example.org
smtp-url = smtp://127.0.0.1:$mp
command = env | grep ^OPS_ALERT_ | sort >>"$T_TMP/command.log"; echo --- >>"$T_TMP/command.log"
ticket = yes
EOC

printf 'name\ttarget\toptions\n' >targets.tsv
printf 'db\ttcp://127.0.0.1:%s\tattempts=3\n' "$lp" >>targets.tsv
printf 'self\t127.0.0.1\t\n' >>targets.tsv

# run at minute $1 of 09:xx (more arguments go to opsping)
run() {
	m=$1
	shift
	OPS_NOW=2026-11-23T09:$m:00+09:00 opsping --record --alert --targets targets.tsv "$@"
}
mails() {
	find mail -name '*.eml' | wc -l | tr -d ' '
}
alerts() {
	tail -n +2 "$OPS_DIR/alerts.tsv" 2>/dev/null | wc -l | tr -d ' '
}

# --- attempts=3: two failures are soft, the third is hard
t_exit "1st failure: exit 1" 1 run 00
t_exit "2nd failure" 1 run 01
t_ok "two failures: no alert row" test "$(alerts)" = 0
t_ok "two failures: no mail" test "$(mails)" = 0
t_grep "state counts the attempts" "$(printf 'db\tOK\t')" "$OPS_DIR/state.tsv"
t_grep "... 2 so far" "$(printf '\t2\t2026-11-23T09:01:00+09:00\t')" "$OPS_DIR/state.tsv"
t_exit "3rd failure" 1 run 02
t_ok "the third failure raises one alert" test "$(alerts)" = 1
t_grep "alert row: OK -> CRITICAL, sent" "$(printf '\tdb\tOK\tCRITICAL\t')" "$OPS_DIR/alerts.tsv"
t_grep "... mailed" "$(printf '\tyes\n')" "$OPS_DIR/alerts.tsv"
i=0
while [ "$(mails)" -lt 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "one mail arrived" test "$(mails)" = 1
/usr/bin/python3 - mail/1.eml >mail1.txt <<'EOPY'
import email, email.header, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
for h in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"):
    print("%s: %s" % (h, m[h]))
print("BODY:", m.get_content())
EOPY
t_grep "From header" "From: opsping@example.org" mail1.txt
t_grep "To header lists both" "To: ops@example.org, boss@example.org" mail1.txt
t_grep "Subject names the down target" "Subject: [ops] DOWN: db" mail1.txt
t_grep "Date header" "Date: Mon, 23 Nov 2026" mail1.txt
t_grep "Message-ID header" "Message-ID: <" mail1.txt
t_grep "UTF-8 text" 'charset="UTF-8"' mail1.txt
t_grep "body names the target URL" "tcp://127.0.0.1:$lp" mail1.txt
t_grep "envelope has both recipients" "boss@example.org" mail/1.env
t_exit "4th failure: no new alert" 1 run 03
t_ok "still one alert" test "$(alerts)" = 1

# --- [alert] ticket = yes: an incident ticket was opened
t_ok "opsticket sees the ticket" opsticket list --open
t_grep "ticket title names the target" "db down" .out
t_grep "state keeps the ticket id" "$(printf '\t1\n')" "$OPS_DIR/state.tsv"
# --- [alert] command got the details in its environment
t_grep "command: kind" "OPS_ALERT_KIND=down" command.log
t_grep "command: name" "OPS_ALERT_NAME=db" command.log
t_grep "command: to" "OPS_ALERT_TO=CRITICAL" command.log

# --- recovery alerts once
lon
t_exit "recovered: exit 0" 0 run 04
t_ok "recovery raises one alert" test "$(alerts)" = 2
t_grep "alert row: CRITICAL -> OK" "$(printf '\tdb\tCRITICAL\tOK\t')" "$OPS_DIR/alerts.tsv"
i=0
while [ "$(mails)" -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "a second mail" test "$(mails)" = 2
t_grep "its subject says recovered" "RECOVERED: db" mail/2.eml
t_exit "still fine" 0 run 05
t_ok "no further alert" test "$(alerts)" = 2
t_ok "ticket shows the recovery note" opsticket show 1
t_grep "note on the ticket" "db recovered" .out

# --- a maintenance window: recorded, not mailed
t_ok "maint add" opsping maint add --from 2026-11-23T09:00 --to 2026-11-23T10:00 --reason "patching" 'd*'
t_ok "maint list" opsping maint list
t_grep "the window is listed as active" "$(printf 'd*\tpatching\ttester\tyes')" .out
loff
run 06 >/dev/null
run 07 >/dev/null
run 08 >/dev/null
t_ok "in maintenance the change is still recorded" test "$(alerts)" = 3
t_grep "... marked not sent (maintenance)" "$(printf '\tmaintenance\n')" "$OPS_DIR/alerts.tsv"
sleep 0.3
t_ok "... and not mailed" test "$(mails)" = 2
t_ok "... and no ticket opened" test "$(opsticket list --open | wc -l)" = 2

# --- a gap in the runs is reported
t_exit "a run 30 minutes later" 1 run 38
t_grep "the gap is in alerts.tsv" "$(printf '\t*\t\tGAP\t')" "$OPS_DIR/alerts.tsv"

# --- --stale in plugin form
OPS_NOW=2026-11-23T09:40:00+09:00 t_exit "--stale: a recent run is OK" 0 opsping --stale 5m
t_grep "OK line" "OPSPING OK - last recorded run 2m ago" .out
OPS_NOW=2026-11-23T10:00:00+09:00 t_exit "--stale: an old run is CRITICAL" 2 opsping --stale 5m
t_grep "CRITICAL line" "OPSPING CRITICAL - last recorded run 22m ago" .out
OPS_DIR=$T_TMP/empty t_exit "--stale: no run at all is UNKNOWN" 3 opsping --stale 5m

# --- parent=: a service whose host is down does not mail
cp "$OPS_CONF" conf.base
printf 'name\ttarget\toptions\n' >fam.tsv
printf 'host\ttcp://127.0.0.1:%s\tattempts=1\n' "$lp" >>fam.tsv
printf 'svc\ttcp://127.0.0.1:%s\tattempts=1 parent=host\n' "$lp" >>fam.tsv
OPS_DIR=$T_TMP/fam OPS_NOW=2026-11-23T11:00:00+09:00 t_exit "host and service down" 1 opsping --record --alert --targets fam.tsv
t_grep "the host's change is mailed" "$(printf '\thost\tOK\tCRITICAL\t')" "$T_TMP/fam/alerts.tsv"
t_grep "the service's is marked parent" "$(printf '\tsvc\tOK\tCRITICAL\t')" "$T_TMP/fam/alerts.tsv"
t_grep "... sent = parent" "$(printf '\tparent\n')" "$T_TMP/fam/alerts.tsv"

# --- renotify and the mail limit
{
	cat conf.base
	printf 'renotify = 10m\nmail-limit = 1\n'
} >"$OPS_CONF"
n0=$(mails)
OPS_DIR=$T_TMP/fam OPS_NOW=2026-11-23T11:11:00+09:00 opsping --record --alert --targets fam.tsv >/dev/null 2>renotify.err
t_grep "still down after renotify: a STILL DOWN row" "$(printf '\thost\tCRITICAL\tCRITICAL\t')" "$T_TMP/fam/alerts.tsv"
t_grep "... held back by the mail limit (1 an hour)" "$(printf '\tlimited\n')" "$T_TMP/fam/alerts.tsv"
t_grep "... with a warning" "mail-limit" renotify.err
sleep 0.3
t_ok "... no mail sent" test "$(mails)" = "$n0"

# --- Japanese subjects, RFC 2047
cp conf.base "$OPS_CONF"
printf 'name\ttarget\toptions\n' >ja.tsv
printf 'ウェブ01\ttcp://127.0.0.1:%s\tattempts=1\n' "$lp" >>ja.tsv
n0=$(mails)
OPS_LANG=ja OPS_DIR=$T_TMP/ja t_exit "a Japanese target goes down" 1 opsping --record --alert --targets ja.tsv
i=0
while [ "$(mails)" -le "$n0" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
last=mail/$(mails).eml
t_grep "the raw subject is RFC 2047 encoded" "Subject: =?UTF-8?B?" "$last"
/usr/bin/python3 - "$last" >ja.txt <<'EOPY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print("Subject:", m["Subject"])
print(m.get_content())
EOPY
t_grep "the subject decodes to Japanese" "Subject: [ops] 停止: ウェブ01" ja.txt
t_grep "the body is Japanese too" "ウェブ01" ja.txt
LC_ALL=C awk '/^[A-Za-z-]+:/ { print $1 }' "$last" | sort -u >hdrs
t_ok "no header outside the fixed set" test -z "$(grep -vxE 'Auto-Submitted:|Content-Transfer-Encoding:|Content-Type:|Date:|From:|MIME-Version:|Message-ID:|Subject:|To:|X-Mailer:' hdrs)"

# --- CR/LF in a target name cannot reach a header
printf 'name\ttarget\toptions\n' >evil.tsv
printf 'web\\r\\nBcc: victim@example.org\t127.0.0.1\t\n' >>evil.tsv
n0=$(mails)
OPS_DIR=$T_TMP/evil t_exit "a name with CR/LF is refused" 2 opsping --record --alert --targets evil.tsv
t_grep "... naming file and line" "evil.tsv:2:" .err
sleep 0.2
t_ok "... and nothing is mailed" test "$(mails)" = "$n0"

t_done
