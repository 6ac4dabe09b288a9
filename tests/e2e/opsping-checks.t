#!/bin/sh
# opsping against real servers on loopback: HTTP, HTTPS with a self-signed
# certificate, TCP ports open and closed, ICMP to 127.0.0.1 and ::1; the
# result of every target, the exit codes, the formats.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"
command -v openssl >/dev/null 2>&1 || t_skip_all "openssl is not installed"

t_cert cert 5
t_start http.port /usr/bin/python3 "$T_TOP/tests/helper/httpd.py" http.port
hp=$t_port
t_start https.port /usr/bin/python3 "$T_TOP/tests/helper/httpd.py" \
	https.port cert.crt cert.key
sp=$t_port
if [ -z "$hp" ] || [ -z "$sp" ]; then
	t_skip_all "test servers did not start"
fi

# a port nobody listens on: bind and close
closed=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# status of target $1 in result file $2
st() {
	awk -F '\t' -v n="$1" '$2 == n { print $4 }' "$2"
}

# t_status DESC NAME WANT FILE
t_status() {
	t_got=$(st "$2" "$4")
	if [ "$t_got" = "$3" ]; then
		t_pass "$1"
	else
		t_fail "$1"
		t_diag "status of $2 is \"$t_got\", expected $3" \
			"$(awk -F '\t' -v n="$2" '$2 == n' "$4")"
	fi
}

printf 'name\ttarget\toptions\n' >targets.tsv
{
	printf 'ok\thttp://127.0.0.1:%s/ok\t\n' "$hp"
	printf 'missing\thttp://127.0.0.1:%s/missing\t\n' "$hp"
	printf 'missing-expected\thttp://127.0.0.1:%s/missing\texpect=404\n' "$hp"
	printf 'match-ok\thttp://127.0.0.1:%s/ok\tmatch="hello ops"\n' "$hp"
	printf 'match-bad\thttp://127.0.0.1:%s/ok\tmatch=goodbye\n' "$hp"
	printf 'slow\thttp://127.0.0.1:%s/slow\tcrit=500ms\n' "$hp"
	printf 'redir\thttp://127.0.0.1:%s/redir\tmatch=hello\n' "$hp"
	printf 'redir-follow\thttp://127.0.0.1:%s/redir\tmatch=hello follow=yes\n' "$hp"
	printf 'tls-unknown-ca\thttps://127.0.0.1:%s/ok\t\n' "$sp"
	printf 'tls-ca\thttps://127.0.0.1:%s/ok\tca=%s\n' "$sp" "$T_TMP/cert.crt"
	printf 'tls-expiring\thttps://127.0.0.1:%s/ok\tca=%s cert-days=30\n' "$sp" "$T_TMP/cert.crt"
	printf 'tls-long-enough\thttps://127.0.0.1:%s/ok\tca=%s cert-days=3\n' "$sp" "$T_TMP/cert.crt"
	printf 'tcp-open\ttcp://127.0.0.1:%s\t\n' "$hp"
	printf 'tcp-closed\ttcp://127.0.0.1:%s\t\n' "$closed"
	printf 'tcp6-closed\ttcp://[::1]:%s\t\n' "$closed"
	printf 'ping4\t127.0.0.1\t\n'
	printf 'ping6\ticmp://[::1]\tcount=2\n'
	printf 'ping-latency\t127.0.0.2\tcrit=~:0\n'
} >>targets.tsv

t_exit "a run with failing targets exits 1" 1 opsping --targets targets.tsv --timeout 5000
cp .out run.tsv
t_lines "one row per target plus the header" 19 run.tsv
t_grep "header names the checks.tsv columns" "$(printf 'ts\tname\tcheck\tstatus\tms\tvalue\tmessage')" run.tsv
t_status "HTTP 200 is OK" ok OK run.tsv
t_status "HTTP 404 with the default expect is CRITICAL" missing CRITICAL run.tsv
t_status "HTTP 404 with expect=404 is OK" missing-expected OK run.tsv
t_status "match= finds the text: OK" match-ok OK run.tsv
t_status "match= misses the text: CRITICAL" match-bad CRITICAL run.tsv
t_status "a delay above crit= is CRITICAL" slow CRITICAL run.tsv
t_status "a redirect is not followed (its body lacks the text)" redir CRITICAL run.tsv
t_status "follow=yes follows it" redir-follow OK run.tsv
t_status "a self-signed certificate is CRITICAL" tls-unknown-ca CRITICAL run.tsv
t_status "... and OK with its CA configured" tls-ca OK run.tsv
t_status "cert-days=30 warns for a certificate expiring in 5 days" tls-expiring WARNING run.tsv
t_status "cert-days=3 does not" tls-long-enough OK run.tsv
t_status "a listening TCP port is OK" tcp-open OK run.tsv
t_status "a closed TCP port is CRITICAL" tcp-closed CRITICAL run.tsv
t_status "a closed TCP port on ::1 is CRITICAL" tcp6-closed CRITICAL run.tsv
t_status "ICMP to 127.0.0.1 is OK" ping4 OK run.tsv
t_status "ICMP to ::1 is OK" ping6 OK run.tsv
t_status "a latency outside crit= is CRITICAL" ping-latency CRITICAL run.tsv
t_grep "the missing text is named" 'body lacks' run.tsv
t_grep "the 404 is named" 'HTTP 404' run.tsv
t_grep "the refused connection is named" 'refused' run.tsv

# targets on the command line, exit 0 when all is well
t_exit "all good: exit 0" 0 opsping "http://127.0.0.1:$hp/ok" 127.0.0.1 "tcp://127.0.0.1:$hp"
t_lines "three rows and a header" 4 .out

# text format for a person
t_exit "--format text" 0 opsping --format text 127.0.0.1
t_grep "text has a heading" "name" .out

# the nagios plugin form: exit codes 0 1 2 3 and perfdata
t_exit "nagios: OK is 0" 0 opsping --format nagios "http://127.0.0.1:$hp/ok"
cp .out nagios.ok
printf 'name\ttarget\toptions\nw\t127.0.0.1\twarn=~:0\n' >warn.tsv
t_exit "nagios: WARNING is 1 (warn=~:0)" 1 opsping --format nagios --targets warn.tsv
cp .out nagios.warn
t_exit "nagios: CRITICAL is 2" 2 opsping --format nagios "tcp://127.0.0.1:$closed"
cp .out nagios.crit
t_exit "nagios: more than one target is UNKNOWN (3)" 3 opsping --format nagios 127.0.0.1 ::1
t_exit "nagios: a bad target is UNKNOWN (3)" 3 opsping --format nagios 'tcp://127.0.0.1'
# "LABEL STATUS - text | label=value[UOM];[warn];[crit];[min];[max]"
perf_re="^[A-Z]+ (OK|WARNING|CRITICAL|UNKNOWN) - [^|]* \\| ([a-z_]+=[0-9.]+(s|%|B|)?(;[~@0-9.:]*){0,4})( [a-z_]+=[0-9.]+(s|%|B|)?(;[~@0-9.:]*){0,4})*\$"
for f in nagios.ok nagios.warn nagios.crit; do
	if [ "$(wc -l <"$f")" -eq 1 ] && grep -Eq "$perf_re" "$f"; then
		t_pass "plugin output and perfdata syntax: $f"
	else
		t_fail "plugin output and perfdata syntax: $f"
		sed 's/^/# /' "$f"
	fi
done
t_grep "OK line" "HTTP OK - " nagios.ok
t_grep "WARNING line names the threshold" ";~:0;" nagios.warn

# Prometheus text exposition, written atomically
t_exit "--format prom --prom-file" 1 opsping --format prom --prom-file "$T_TMP/ops.prom" 127.0.0.1 "tcp://127.0.0.1:$closed"
/usr/bin/python3 "$T_TOP/tests/helper/promcheck.py" ops.prom >prom.check 2>&1
t_grep "the exposition parses" "ok " prom.check
t_grep "ops_up of the closed port is 0" "ops_up{name=\"tcp://127.0.0.1:$closed\",check=\"tcp://127.0.0.1:$closed\"} 0" ops.prom
t_exit "--prom-file without --format prom is a usage error" 2 opsping --prom-file x 127.0.0.1

# bad input
t_exit "an unknown target form is exit 2" 2 opsping 'ftp://x'
printf 'name\ttarget\toptions\na\t127.0.0.1\tcount=0\n' >bad.tsv
t_exit "a bad option is exit 2" 2 opsping --targets bad.tsv
t_grep "... naming file and line" "bad.tsv:2:" .err
t_exit "--alert without --record is exit 2" 2 opsping --alert 127.0.0.1
t_exit "no targets at all is exit 2" 2 opsping
t_grep "... saying where to list them" "targets.tsv" .err

t_done
