/*
 * t-mail.c - unit tests for lib/mail.c: address checks, message building
 * (headers, RFC 2047 subjects, base64 body) and sending to a real SMTP
 * sink on 127.0.0.1 (aiosmtpd: cleartext, STARTTLS required, SMTPS, a
 * silent server and a closed port)
 * SPDX-License-Identifier: MIT
 *
 * The sink is a small Python script (written into the scratch directory)
 * that listens on port 0 of 127.0.0.1, so parallel runs never clash, and
 * prints its ports once it accepts connections.  It writes each message it
 * receives, with its envelope, to DIR/msg-N.  It is stopped by pid from an
 * atexit handler, gets SIGKILL when the test dies (PR_SET_PDEATHSIG), and
 * ends by itself after two minutes.  Without python3-aiosmtpd the sending
 * tests are skipped.  OPS_TEST_PYTHON names the interpreter (default
 * /usr/bin/python3, where Debian's python3-aiosmtpd lives).
 */
#include "compat.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "mail.h"
#include "out.h"
#include "scratch.h"
#include "tap.h"

#define JA_SUBJECT "【障害】web01 停止"

/* ---- helpers: base64, header parsing, RFC 2047 decoding ---- */

static int
b64val(int c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(set, c);
	return p ? (int)(p - set) : -1;
}

/* Decode base64 s[0..n) (CR and LF skipped) onto out; -1 when malformed. */
static int
b64dec(const char *s, size_t n, struct ops_buf *out)
{
	int q[4], k = 0, pad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			if (k < 2)
				return -1;
			q[k++] = 0;
			pad++;
		} else {
			if (pad > 0 || (q[k] = b64val(s[i])) < 0)
				return -1;
			k++;
		}
		if (k == 4) {
			unsigned long v = (unsigned long)q[0] << 18 |
			    (unsigned long)q[1] << 12 |
			    (unsigned long)q[2] << 6 | (unsigned long)q[3];
			if (ops_buf_addc(out, (int)(v >> 16 & 0xff)) < 0 ||
			    (pad < 2 &&
				ops_buf_addc(out, (int)(v >> 8 & 0xff)) < 0) ||
			    (pad < 1 && ops_buf_addc(out, (int)(v & 0xff)) < 0))
				return -1;
			k = 0;
		}
	}
	return k == 0 ? 0 : -1;
}

struct msg {
	struct ops_buf unf;  /* unfolded header lines, NUL-separated */
	const char *name[64], *value[64];
	int n;
	const char *body;    /* into the raw message, after the blank line */
	size_t maxline;      /* longest raw header line, CRLF excluded */
};

/* Split raw into header fields (unfolded) and body; -1 when malformed. */
static int
parse_msg(const char *raw, struct msg *m)
{
	const char *end = strstr(raw, "\r\n\r\n"), *p, *line;
	char *s, *colon;

	ops_buf_init(&m->unf, 0);
	m->n = 0;
	m->maxline = 0;
	if (end == NULL)
		return -1;
	m->body = end + 4;
	for (p = raw, line = raw; p < end + 2; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if ((size_t)(p - line) > m->maxline)
				m->maxline = (size_t)(p - line);
			line = p + 2;
			if (p + 2 < end + 2 && (p[2] == ' ' || p[2] == '\t')) {
				p++;
				continue;
			}
			if (ops_buf_addc(&m->unf, '\n') < 0)
				return -1;
			p++;
			continue;
		}
		if (ops_buf_addc(&m->unf, *p) < 0)
			return -1;
	}
	for (s = m->unf.data; s != NULL && *s != '\0';) {
		char *nl = strchr(s, '\n');

		if (nl == NULL || m->n == 64)
			return -1;
		*nl = '\0';
		colon = strchr(s, ':');
		if (colon == NULL || colon[1] != ' ')
			return -1;
		*colon = '\0';
		m->name[m->n] = s;
		m->value[m->n++] = colon + 2;
		s = nl + 1;
	}
	return 0;
}

static const char *
hdr(const struct msg *m, const char *name)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcasecmp(m->name[i], name) == 0)
			return m->value[i];
	return NULL;
}

/*
 * An unfolded Subject value decoded onto out: plain text as is, or
 * encoded words separated by spaces.  *words counts them; *bad counts
 * words longer than 75 characters or whose text is not whole UTF-8.
 * -1 when malformed.
 */
static int
decode_subject(const char *v, struct ops_buf *out, int *words, int *bad)
{
	static const char pre[] = "=?UTF-8?B?";
	struct ops_buf w;
	const char *e;

	*words = *bad = 0;
	if (strncmp(v, "=?", 2) != 0)
		return ops_buf_adds(out, v);
	ops_buf_init(&w, 0);
	while (*v != '\0') {
		if (strncmp(v, pre, strlen(pre)) != 0)
			goto fail;
		e = strstr(v + strlen(pre), "?=");
		if (e == NULL)
			goto fail;
		if (e + 2 - v > 75)
			(*bad)++;
		ops_buf_reset(&w);
		if (b64dec(v + strlen(pre), (size_t)(e - v) - strlen(pre),
			&w) < 0)
			goto fail;
		if (!ops_utf8_valid(w.data ? w.data : "", w.len))
			(*bad)++;
		if (ops_buf_add(out, w.data ? w.data : "", w.len) < 0)
			goto fail;
		(*words)++;
		v = e + 2;
		if (*v == ' ')
			v++;
		else if (*v != '\0')
			goto fail;
	}
	ops_buf_release(&w);
	return 0;
fail:
	ops_buf_release(&w);
	return -1;
}

/* true when every LF has a CR before it and every CR an LF after it */
static bool
all_crlf(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			return false;
	}
	return true;
}

/* Longest line of s, CRLF excluded. */
static size_t
longest_line(const char *s)
{
	size_t best = 0, len;
	const char *e;

	for (; *s != '\0'; s = e + (*e ? 2 : 0)) {
		e = strstr(s, "\r\n");
		if (e == NULL)
			e = s + strlen(s);
		len = (size_t)(e - s);
		if (len > best)
			best = len;
	}
	return best;
}

/* id is <DIGITS.DIGITS.DIGITS.HEX16@domain> */
static bool
msgid_form(const char *id, const char *domain)
{
	size_t i, n;

	if (*id++ != '<')
		return false;
	for (i = 0; i < 3; i++) {
		n = strspn(id, "0123456789");
		if (n == 0 || id[n] != '.')
			return false;
		id += n + 1;
	}
	n = strspn(id, "0123456789abcdef");
	if (n != 16 || id[n] != '@')
		return false;
	id += n + 1;
	n = strlen(domain);
	return strncmp(id, domain, n) == 0 && strcmp(id + n, ">") == 0;
}

static const char *default_to[] = {"ops@example.net", "oncall@example.org"};

static struct ops_mail
mail_of(const char *subject, const char *body)
{
	struct ops_mail m = {
	    .from = "alert@example.com",
	    .to = default_to,
	    .nto = 2,
	    .subject = subject,
	    .body = body,
	};
	return m;
}

/* Compose m and parse it into pm; -1 when either fails. */
static int
compose_parse(const struct ops_mail *m, struct ops_buf *out, struct msg *pm)
{
	struct ops_err err;

	ops_err_clear(&err);
	if (ops_mail_compose(m, 1795392000, out, &err) < 0) {
		diag("compose: %s", err.msg);
		ops_buf_init(&pm->unf, 0);
		return -1;
	}
	return parse_msg(ops_buf_cstr(out), pm);
}

/* The subject of m as the reader sees it, in a static buffer. */
static const char *
subject_of(const char *subject, int *words, int *bad, size_t *maxline)
{
	static struct ops_buf dec;
	struct ops_mail m = mail_of(subject, "x");
	struct ops_buf out;
	struct msg pm;
	const char *v;

	ops_buf_release(&dec);
	ops_buf_init(&out, 0);
	*words = *bad = 0;
	*maxline = 0;
	if (compose_parse(&m, &out, &pm) < 0 ||
	    (v = hdr(&pm, "Subject")) == NULL ||
	    decode_subject(v, &dec, words, bad) < 0) {
		ops_buf_release(&pm.unf);
		ops_buf_release(&out);
		return "(malformed)";
	}
	*maxline = pm.maxline;
	ops_buf_release(&pm.unf);
	ops_buf_release(&out);
	return ops_buf_cstr(&dec);
}

/* ---- address checks ---- */

static void
test_addr(void)
{
	static const char *good[] = {
	    "a@b",
	    "ops+alert@example.com",
	    "x.y-z_1@mail.example.co.jp",
	    "!#$%&'*/=?^`{|}~@example.com",
	};
	static const char *bad[] = {
	    "",
	    "@example.com",
	    "ops@",
	    "@",
	    "ops",
	    "ops@@example.com",
	    "a@b@example.com",
	    "ops @example.com",
	    "ops@example.com ",
	    "ops\t@example.com",
	    "ops@example.com\r\nRCPT TO:<evil@example.com>",
	    "ops@example.com\n",
	    "ops@example.com\r",
	    "<ops@example.com>",
	    "Ops <ops@example.com>",
	    "ops@example.com>",
	    "ops(x)@example.com",
	    "\"o p\"@example.com",
	    "a,b@example.com",
	    "a;b@example.com",
	    "a:b@example.com",
	    "a\\b@example.com",
	    "ops@[127.0.0.1]",
	    "\xe9t\xe9@example.com",
	    "ops@ex\x7fmple.com",
	};
	struct ops_err err;
	char addr[300];
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(good); i++) {
		ops_err_clear(&err);
		ok(ops_mail_addr_check(good[i], &err) == 0, "good address %s",
		    good[i]);
	}
	for (i = 0; i < OPS_ARRAY_SIZE(bad); i++) {
		char shown[128];

		ops_err_clear(&err);
		ops_diag_shown(shown, sizeof(shown), bad[i], strlen(bad[i]));
		ok(ops_mail_addr_check(bad[i], &err) == -1 && err.code == 2 &&
		        err.msg[0] != '\0',
		    "bad address \"%s\" (%s)", shown, err.msg);
	}
	ops_err_clear(&err);
	ok(ops_mail_addr_check(NULL, &err) == -1 && err.code == 2,
	    "NULL address refused");

	/* 254 bytes is the longest */
	memset(addr, 'a', sizeof(addr));
	memcpy(addr + 254 - 12, "@example.com", 13);
	is_int((long long)strlen(addr), 254, "254-byte address built");
	ok(ops_mail_addr_check(addr, &err) == 0, "254-byte address is good");
	memset(addr, 'a', sizeof(addr));
	memcpy(addr + 255 - 12, "@example.com", 13);
	ops_err_clear(&err);
	ok(ops_mail_addr_check(addr, &err) == -1 && err.code == 2 &&
	        strstr(err.msg, "254") != NULL,
	    "255-byte address refused (%s)", err.msg);
}

/* ---- composing ---- */

static void
test_headers(void)
{
	static const char *names[] = {"Date", "From", "To", "Subject",
	    "Message-ID", "MIME-Version", "Content-Type",
	    "Content-Transfer-Encoding", "Auto-Submitted", "X-Mailer"};
	struct ops_mail m = mail_of("disk full on web01", "hello\n");
	struct ops_buf out, out2;
	struct ops_err err;
	struct msg pm, pm2;
	const char *id;
	size_t i;
	int same;

	ops_buf_init(&out, 0);
	ops_buf_init(&out2, 0);
	if (ops_buf_adds(&out, "left over") < 0)
		bail_out("buf");
	ok(compose_parse(&m, &out, &pm) == 0, "compose and parse");
	is_int(pm.n, (long long)OPS_ARRAY_SIZE(names), "header count");
	same = pm.n == (int)OPS_ARRAY_SIZE(names);
	for (i = 0; same && i < OPS_ARRAY_SIZE(names); i++)
		same = strcmp(pm.name[i], names[i]) == 0;
	ok(same, "exact header set, in order");
	ok(strncmp(ops_buf_cstr(&out), "Date: ", 6) == 0,
	    "output emptied first");
	is_str(hdr(&pm, "Date"), "Mon, 23 Nov 2026 09:00:00 +0900",
	    "Date in RFC 5322 form, local time (JST-9)");
	is_str(hdr(&pm, "From"), "alert@example.com", "From");
	is_str(hdr(&pm, "To"), "ops@example.net, oncall@example.org", "To");
	is_str(hdr(&pm, "Subject"), "disk full on web01",
	    "plain ASCII subject as is");
	is_str(hdr(&pm, "MIME-Version"), "1.0", "MIME-Version");
	is_str(hdr(&pm, "Content-Type"), "text/plain; charset=UTF-8",
	    "Content-Type");
	is_str(hdr(&pm, "Content-Transfer-Encoding"), "base64", "CTE");
	is_str(hdr(&pm, "Auto-Submitted"), "auto-generated", "Auto-Submitted");
	is_str(hdr(&pm, "X-Mailer"), "ops toolkit " OPS_VERSION, "X-Mailer");
	ok(all_crlf(out.data, out.len), "CRLF everywhere, no bare LF or CR");
	ok(out.len >= 2 && memcmp(out.data + out.len - 2, "\r\n", 2) == 0,
	    "ends with CRLF");
	ok(pm.maxline <= 78, "header lines <= 78 (%zu)", pm.maxline);

	id = hdr(&pm, "Message-ID");
	ok(id != NULL && msgid_form(id, "example.com") &&
	        strncmp(id, "<1795392000.", 12) == 0,
	    "Message-ID <TIME.PID.COUNTER.RANDOM@sender-domain> (%s)",
	    id ? id : "none");
	ok(compose_parse(&m, &out2, &pm2) == 0 && hdr(&pm2, "Message-ID") &&
	        id && strcmp(hdr(&pm2, "Message-ID"), id) != 0,
	    "Message-ID differs between two messages of the same second");
	ops_buf_release(&pm.unf);
	ops_buf_release(&pm2.unf);

	/* other zones: negative half-hour, UTC */
	setenv("TZ", "XST+3:30", 1);
	ops_err_clear(&err);
	if (ops_clock_init(&err) < 0)
		bail_out("clock init");
	ok(compose_parse(&m, &out, &pm) == 0, "compose in XST+3:30");
	is_str(hdr(&pm, "Date"), "Sun, 22 Nov 2026 20:30:00 -0330",
	    "Date with a negative half-hour offset");
	ops_buf_release(&pm.unf);
	setenv("TZ", "UTC0", 1);
	if (ops_clock_init(&err) < 0)
		bail_out("clock init");
	ok(compose_parse(&m, &out, &pm) == 0, "compose in UTC");
	is_str(hdr(&pm, "Date"), "Mon, 23 Nov 2026 00:00:00 +0000",
	    "Date in UTC");
	ops_buf_release(&pm.unf);
	setenv("TZ", "JST-9", 1);
	if (ops_clock_init(&err) < 0)
		bail_out("clock init");

	ops_buf_release(&out);
	ops_buf_release(&out2);
}

static void
test_recipients(void)
{
	static const char *bad_to[] = {"ops@example.net",
	    "x@example.org\r\nBcc: evil@example.com"};
	const char *many[OPS_MAIL_MAX_RCPT + 1];
	char addrs[OPS_MAIL_MAX_RCPT + 1][32];
	struct ops_mail m = mail_of("s", "b");
	struct ops_buf out;
	struct ops_err err;
	struct msg pm;
	size_t i;

	ops_buf_init(&out, 0);
	m.nto = 0;
	ops_err_clear(&err);
	if (ops_buf_adds(&out, "junk") < 0)
		bail_out("buf");
	ok(ops_mail_compose(&m, 0, &out, &err) == -1 && err.code == 2 &&
	        out.len == 0,
	    "no recipient: code 2, output empty (%s)", err.msg);
	m = mail_of("s", "b");
	m.to = bad_to;
	ops_err_clear(&err);
	ok(ops_mail_compose(&m, 0, &out, &err) == -1 && err.code == 2 &&
	        out.len == 0,
	    "recipient with CRLF refused (%s)", err.msg);
	m = mail_of("s", "b");
	m.from = "alert@example.com\r\nBcc: evil@example.com";
	ops_err_clear(&err);
	ok(ops_mail_compose(&m, 0, &out, &err) == -1 && err.code == 2 &&
	        out.len == 0,
	    "sender with CRLF refused (%s)", err.msg);

	for (i = 0; i < OPS_ARRAY_SIZE(many); i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "oncall%02zu@example.net",
		    i);
		many[i] = addrs[i];
	}
	m = mail_of("s", "b");
	m.to = many;
	m.nto = OPS_MAIL_MAX_RCPT + 1;
	ops_err_clear(&err);
	ok(ops_mail_compose(&m, 0, &out, &err) == -1 && err.code == 2,
	    "%d recipients refused (%s)", OPS_MAIL_MAX_RCPT + 1, err.msg);
	m.nto = OPS_MAIL_MAX_RCPT;
	ok(compose_parse(&m, &out, &pm) == 0 && pm.maxline <= 78,
	    "%d recipients: To folded, lines <= 78 (%zu)", OPS_MAIL_MAX_RCPT,
	    pm.maxline);
	ok(hdr(&pm, "To") != NULL &&
	        strncmp(hdr(&pm, "To"),
		    "oncall00@example.net, oncall01@example.net, ", 44) == 0 &&
	        strstr(hdr(&pm, "To"), ", oncall63@example.net") != NULL,
	    "To unfolds to the list");
	ops_buf_release(&pm.unf);
	ops_buf_release(&out);
}

static void
test_subjects(void)
{
	struct ops_buf big, out;
	struct ops_err err;
	struct msg pm;
	const char *s;
	size_t maxline, i, k;
	int words, bad, allgood;

	s = subject_of(JA_SUBJECT, &words, &bad, &maxline);
	is_str(s, JA_SUBJECT, "Japanese subject decodes back");
	ok(words == 1 && bad == 0, "in one encoded word (%d, bad %d)", words,
	    bad);

	{
		struct ops_mail m = mail_of(JA_SUBJECT, "x");

		ops_buf_init(&out, 0);
		ok(compose_parse(&m, &out, &pm) == 0 &&
		        strstr(out.data, "Subject: =?UTF-8?B?") != NULL &&
		        strstr(out.data, "\xe3") == NULL,
		    "Japanese subject encoded, message is ASCII");
		ops_buf_release(&pm.unf);
		ops_buf_release(&out);
	}

	/* long subjects: 1-, 2-, 3- and 4-byte characters at every offset */
	ops_buf_init(&big, 0);
	allgood = 1;
	for (k = 0; k < 8; k++) {
		ops_buf_reset(&big);
		for (i = 0; i < k; i++)
			if (ops_buf_addc(&big, 'x') < 0)
				bail_out("buf");
		for (i = 0; i < 12; i++)
			if (ops_buf_adds(&big, JA_SUBJECT " é😀 ") < 0)
				bail_out("buf");
		s = subject_of(big.data, &words, &bad, &maxline);
		if (strcmp(s, big.data) != 0 || words < 3 || bad != 0 ||
		    maxline > 76) {
			diag("offset %zu: words %d bad %d maxline %zu", k,
			    words, bad, maxline);
			allgood = 0;
		}
	}
	ok(allgood, "long subjects: several words <= 75, whole characters, "
		    "lines <= 76, decode back");

	/* control characters become spaces: no header can be made */
	s = subject_of("x\r\nBcc: evil@example.com", &words, &bad, &maxline);
	is_str(s, "x  Bcc: evil@example.com", "CR LF in subject become spaces");
	{
		struct ops_mail m = mail_of("x\r\nBcc: evil@example.com", "b");
		struct ops_mail m2 = mail_of("【x】\r\nBcc: evil@example.com", "b");

		ops_buf_init(&out, 0);
		ok(compose_parse(&m, &out, &pm) == 0 && hdr(&pm, "Bcc") == NULL &&
		        pm.n == 10 && strstr(out.data, "\r\nBcc") == NULL &&
		        strstr(out.data, "\nBcc") == NULL,
		    "subject with CRLF Bcc: makes no header line");
		ops_buf_release(&pm.unf);
		ok(compose_parse(&m2, &out, &pm) == 0 && hdr(&pm, "Bcc") == NULL &&
		        pm.n == 10,
		    "non-ASCII subject with CRLF Bcc: makes no header line");
		ops_buf_release(&pm.unf);
		ops_buf_release(&out);
	}
	s = subject_of("a\tb\x01" "c\x7f" "d\xc2\x85" "e", &words, &bad,
	    &maxline);
	is_str(s, "a b c d e", "TAB, C0, DEL and C1 become spaces");
	s = subject_of("bad \xff\xfe utf8 \xe3\x81", &words, &bad, &maxline);
	is_str(s, "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xef\xbf\xbd\xef\xbf\xbd",
	    "invalid UTF-8 becomes U+FFFD");
	s = subject_of("", &words, &bad, &maxline);
	is_str(s, "", "empty subject");
	s = subject_of(NULL, &words, &bad, &maxline);
	is_str(s, "", "NULL subject is empty");

	/* plain ASCII: folded at spaces, or encoded when it cannot be */
	ops_buf_reset(&big);
	for (i = 0; i < 20; i++)
		if (ops_buf_printf(&big, "word%zu  and more ", i) < 0)
			bail_out("buf");
	s = subject_of(big.data, &words, &bad, &maxline);
	ok(strcmp(s, big.data) == 0 && words == 0 && maxline <= 78,
	    "long ASCII subject folded at spaces, unfolds back (maxline %zu)",
	    maxline);
	ops_buf_reset(&big);
	for (i = 0; i < 100; i++)
		if (ops_buf_addc(&big, 'a' + (int)(i % 26)) < 0)
			bail_out("buf");
	s = subject_of(big.data, &words, &bad, &maxline);
	ok(strcmp(s, big.data) == 0 && words == 3 && bad == 0 &&
	        maxline <= 76,
	    "100 chars without space: encoded, decodes back (%d words)", words);
	s = subject_of("looks =?UTF-8?B?eA==?= encoded", &words, &bad,
	    &maxline);
	ok(strcmp(s, "looks =?UTF-8?B?eA==?= encoded") == 0 && words == 1,
	    "ASCII subject holding =? is encoded (%d words)", words);
	ops_buf_release(&big);
	(void)err;
}

static void
test_body(void)
{
	static const char *bodies[] = {
	    "web01 停止\n.\n.hidden\nFrom here\n\nQUIT\n",
	    "",
	    "no newline at the end",
	    "crlf\r\nlone cr\rend\n",
	    "\r\n.\r\nRCPT TO:<evil@example.com>\r\n",
	};
	static const char *want[] = {
	    "web01 停止\r\n.\r\n.hidden\r\nFrom here\r\n\r\nQUIT\r\n",
	    "",
	    "no newline at the end",
	    "crlf\r\nlone cr\r\nend\r\n",
	    "\r\n.\r\nRCPT TO:<evil@example.com>\r\n",
	};
	struct ops_buf out, dec, big;
	struct msg pm;
	size_t i;

	ops_buf_init(&out, 0);
	ops_buf_init(&dec, 0);
	for (i = 0; i < OPS_ARRAY_SIZE(bodies); i++) {
		struct ops_mail m = mail_of("s", bodies[i]);

		ops_buf_reset(&dec);
		ok(compose_parse(&m, &out, &pm) == 0 &&
		        b64dec(pm.body, strlen(pm.body), &dec) == 0 &&
		        strcmp(ops_buf_cstr(&dec), want[i]) == 0 &&
		        longest_line(pm.body) <= 76 &&
		        strspn(pm.body, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                        "abcdefghijklmnopqrstuvwxyz0123456789+/=\r\n") ==
		            strlen(pm.body),
		    "body %zu: base64 in lines <= 76, decodes to the input "
		    "with CRLF",
		    i);
		ops_buf_release(&pm.unf);
	}

	/* a long body: many lines of 76 */
	ops_buf_init(&big, 0);
	for (i = 0; i < 500; i++)
		if (ops_buf_printf(&big, "line %zu 障害\n", i) < 0)
			bail_out("buf");
	{
		struct ops_mail m = mail_of("s", big.data);

		ops_buf_reset(&dec);
		ok(compose_parse(&m, &out, &pm) == 0 &&
		        b64dec(pm.body, strlen(pm.body), &dec) == 0 &&
		        dec.len == big.len + 500 &&
		        longest_line(pm.body) == 76 &&
		        all_crlf(out.data, out.len),
		    "long body: lines of 76, decodes to the input");
		ops_buf_release(&pm.unf);
	}
	ops_buf_release(&big);

	/* a message larger than the buffer's limit */
	{
		struct ops_mail m = mail_of("s", "0123456789012345678901234567");
		struct ops_buf small;
		struct ops_err err;

		ops_buf_init(&small, 200);
		ops_err_clear(&err);
		ok(ops_mail_compose(&m, 0, &small, &err) == -1 &&
		        err.code == 2 && small.len == 0,
		    "message larger than the buffer limit: code 2, empty (%s)",
		    err.msg);
		ops_buf_release(&small);
	}
	ops_buf_release(&dec);
	ops_buf_release(&out);
}

/* ---- sending to a real SMTP sink ---- */

static const char sink_py[] =
    "import asyncio, os, ssl, sys\n"
    "try:\n"
    "    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword\n"
    "except ImportError:\n"
    "    print('NOAIOSMTPD', flush=True)\n"
    "    sys.exit(0)\n"
    "outdir, cert, key = sys.argv[1:4]\n"
    "count = 0\n"
    "class Sink:\n"
    "    def __init__(self, name):\n"
    "        self.name = name\n"
    "    async def handle_RCPT(self, server, session, envelope, address,\n"
    "                          rcpt_options):\n"
    "        if address.startswith('reject'):\n"
    "            return '550 5.1.1 no such user'\n"
    "        envelope.rcpt_tos.append(address)\n"
    "        return '250 OK'\n"
    "    async def handle_DATA(self, server, session, envelope):\n"
    "        global count\n"
    "        count += 1\n"
    "        tmp = os.path.join(outdir, '.msg-%d' % count)\n"
    "        with open(tmp, 'wb') as f:\n"
    "            f.write(('LISTENER %s\\n' % self.name).encode())\n"
    "            f.write(('MAIL FROM %s\\n' % envelope.mail_from).encode())\n"
    "            for r in envelope.rcpt_tos:\n"
    "                f.write(('RCPT TO %s\\n' % r).encode())\n"
    "            f.write(b'\\n')\n"
    "            f.write(envelope.original_content)\n"
    "        os.rename(tmp, os.path.join(outdir, 'msg-%d' % count))\n"
    "        return '250 OK'\n"
    "def auth(server, session, envelope, mechanism, data):\n"
    "    good = (isinstance(data, LoginPassword) and\n"
    "            data.login == b'alert' and data.password == b's3cret')\n"
    "    return AuthResult(success=good, handled=False)\n"
    "async def silent(reader, writer):\n"
    "    await asyncio.sleep(60)\n"
    "async def main():\n"
    "    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)\n"
    "    ctx.load_cert_chain(cert, key)\n"
    "    loop = asyncio.get_running_loop()\n"
    "    def smtp(name, **kw):\n"
    "        return lambda: SMTP(Sink(name), hostname='sink.test', **kw)\n"
    "    servers = [\n"
    "        await loop.create_server(smtp('plain'), '127.0.0.1', 0),\n"
    "        await loop.create_server(smtp('starttls', tls_context=ctx,\n"
    "            require_starttls=True, authenticator=auth),\n"
    "            '127.0.0.1', 0),\n"
    "        await loop.create_server(smtp('smtps'), '127.0.0.1', 0,\n"
    "            ssl=ctx),\n"
    "        await asyncio.start_server(silent, '127.0.0.1', 0),\n"
    "    ]\n"
    "    print('PORTS ' + ' '.join(str(s.sockets[0].getsockname()[1])\n"
    "                              for s in servers), flush=True)\n"
    "    await asyncio.sleep(120)\n"
    "asyncio.run(main())\n";

enum { P_PLAIN, P_STARTTLS, P_SMTPS, P_SILENT, P_CLOSED, P_N };

static pid_t sink_pid = -1;
static pid_t main_pid;
static int closed_fd = -1;

static void
cleanup(void)
{
	if (getpid() != main_pid)
		return;
	if (sink_pid > 0) {
		kill(sink_pid, SIGTERM);
		while (waitpid(sink_pid, NULL, 0) < 0 && errno == EINTR)
			;
		sink_pid = -1;
	}
	if (closed_fd >= 0)
		close(closed_fd);
	if (scratch[0] != '\0')
		scratch_remove();
}

/* Run argv with stdout and stderr to /dev/null; its exit status. */
static int
run_quiet(const char *const argv[])
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return wait_status(pid);
}

/* Start the sink; fill ports; 0, or -1 when it cannot run (skip). */
static int
start_sink(const char *python, int ports[P_N], const char **why)
{
	char buf[256], *p, *end;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct pollfd pfd;
	size_t got = 0;
	int64_t deadline;
	int fds[2], i, logfd;
	ssize_t n;
	long v;

	put(spath("sink.py"), sink_py);
	if (mkdir(spath("box"), 0700) != 0)
		bail_out("mkdir box");
	{
		const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec",
		    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		    "-days", "2", "-subj", "/CN=localhost", "-addext",
		    "subjectAltName=IP:127.0.0.1", "-keyout", NULL, "-out",
		    NULL, NULL};
		char key[512], crt[512];

		snprintf(key, sizeof(key), "%s", spath("key.pem"));
		snprintf(crt, sizeof(crt), "%s", spath("cert.pem"));
		argv[15] = key;
		argv[17] = crt;
		if (run_quiet(argv) != 0) {
			*why = "openssl cannot make a certificate";
			return -1;
		}
	}
	if (pipe2(fds, O_CLOEXEC) != 0)
		bail_out("pipe: %s", strerror(errno));
	sink_pid = fork();
	if (sink_pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (sink_pid == 0) {
		const char *argv[] = {python, NULL, NULL, NULL, NULL, NULL};
		char a1[512], a2[512], a3[512], a4[512];

		/* dies with the test, whatever kills the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != main_pid)
			_exit(1);
		snprintf(a1, sizeof(a1), "%s", spath("sink.py"));
		snprintf(a2, sizeof(a2), "%s", spath("box"));
		snprintf(a3, sizeof(a3), "%s", spath("cert.pem"));
		snprintf(a4, sizeof(a4), "%s", spath("key.pem"));
		argv[1] = a1;
		argv[2] = a2;
		argv[3] = a3;
		argv[4] = a4;
		dup2(fds[1], 1);
		logfd = open(spath("sink.log"), O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644);
		if (logfd >= 0)
			dup2(logfd, 2);
		execv(python, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	/* bounded wait for the line with the ports */
	deadline = ops_clock_mono_ms() + 15000;
	while (memchr(buf, '\n', got) == NULL && got < sizeof(buf) - 1) {
		int64_t left = deadline - ops_clock_mono_ms();

		if (left <= 0)
			break;
		pfd.fd = fds[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(fds[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	buf[got] = '\0';
	if (strncmp(buf, "PORTS ", 6) != 0) {
		*why = strncmp(buf, "NOAIOSMTPD", 10) == 0 ?
		    "python3-aiosmtpd is not installed" :
		    "the SMTP sink did not start";
		return -1;
	}
	p = buf + 6;
	for (i = 0; i < P_CLOSED; i++) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || v <= 0 || v > 65535)
			bail_out("sink said %s", buf);
		ports[i] = (int)v;
		p = end;
	}
	/* a port bound but not listening: connections are refused */
	closed_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (closed_fd < 0 ||
	    bind(closed_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(closed_fd, (struct sockaddr *)&sa, &salen) != 0)
		bail_out("closed port: %s", strerror(errno));
	ports[P_CLOSED] = ntohs(sa.sin_port);
	return 0;
}

static int
count_msgs(void)
{
	DIR *d = opendir(spath("box"));
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		bail_out("opendir box");
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "msg-", 4) == 0)
			n++;
	closedir(d);
	return n;
}

static const char *
url(const char *scheme, int port)
{
	static char bufs[4][128];
	static int k;

	k = (k + 1) % 4;
	snprintf(bufs[k], sizeof(bufs[k]), "%s://127.0.0.1:%d", scheme, port);
	return bufs[k];
}

/* Message number n as the sink stored it, in a static buffer. */
static const char *
delivered(int n)
{
	char name[32];

	snprintf(name, sizeof(name), "box/msg-%d", n);
	return slurp(spath(name), "");
}

static void
check_delivered(int n, const char *listener, const char *body)
{
	static char envelope[1024];
	struct ops_buf dec, want;
	const char *raw = delivered(n), *sep, *v;
	struct msg pm;
	int words, bad;
	char line[64];

	sep = strstr(raw, "\n\n");
	snprintf(envelope, sizeof(envelope), "%.*s",
	    sep ? (int)(sep - raw) : 0, raw);
	snprintf(line, sizeof(line), "LISTENER %s\n", listener);
	ok(strncmp(envelope, line, strlen(line)) == 0, "message %d came "
	                                               "through %s",
	    n, listener);
	ok(strstr(envelope, "\nMAIL FROM alert@example.com") != NULL &&
	        strstr(envelope, "\nRCPT TO ops@example.net\nRCPT TO "
	                         "oncall@example.org") != NULL,
	    "envelope: sender and both recipients");
	ops_buf_init(&dec, 0);
	ops_buf_init(&want, 0);
	if (sep == NULL || parse_msg(sep + 2, &pm) < 0) {
		ok(0, "delivered message parses");
		ops_buf_release(&pm.unf);
		return;
	}
	ok(hdr(&pm, "Date") != NULL && hdr(&pm, "Message-ID") != NULL &&
	        hdr(&pm, "From") != NULL && hdr(&pm, "To") != NULL &&
	        hdr(&pm, "Bcc") == NULL,
	    "delivered: Date, Message-ID, From, To present");
	v = hdr(&pm, "Subject");
	ok(v != NULL && decode_subject(v, &dec, &words, &bad) == 0 &&
	        strcmp(ops_buf_cstr(&dec), JA_SUBJECT) == 0,
	    "delivered Subject decodes to the Japanese text");
	ops_buf_reset(&dec);
	for (const char *p = body; *p; p++)
		if ((*p == '\n' ? ops_buf_adds(&want, "\r\n") :
				  ops_buf_addc(&want, *p)) < 0)
			bail_out("buf");
	ok(b64dec(pm.body, strlen(pm.body), &dec) == 0 &&
	        strcmp(ops_buf_cstr(&dec), ops_buf_cstr(&want)) == 0,
	    "delivered body decodes to the input");
	ops_buf_release(&pm.unf);
	ops_buf_release(&dec);
	ops_buf_release(&want);
}

static void
test_send(void)
{
	static const char body[] = "web01 停止\n.\nQUIT\nend\n";
	static const char *reject_to[] = {"ops@example.net",
	    "reject@example.org"};
	static const char *bad_urls[] = {
	    "http://127.0.0.1:25",
	    "smtp:/127.0.0.1",
	    "smtp://",
	    "smtp://127.0.0.1:0",
	    "smtp://127.0.0.1:65536",
	    "smtp://127.0.0.1:",
	    "smtp://127.0.0.1:25/example.com",
	    "smtp://user@127.0.0.1:25",
	    "smtp://127.0.0.1:25?x",
	    "smtp://host name",
	    "smtp://127.0.0.1:25\r\nQUIT",
	    "SMTP://127.0.0.1",
	    "smtp+starttls://[::1",
	};
	const char *python = getenv("OPS_TEST_PYTHON");
	struct ops_mail m = mail_of(JA_SUBJECT, body);
	struct ops_smtp s;
	struct ops_err err;
	const char *why = "";
	int ports[P_N], n0;
	int64_t t0, took;
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(bad_urls); i++) {
		char shown[96];

		memset(&s, 0, sizeof(s));
		s.url = bad_urls[i];
		ops_err_clear(&err);
		ops_diag_shown(shown, sizeof(shown), s.url, strlen(s.url));
		ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 2,
		    "bad URL \"%s\": code 2 (%s)", shown, err.msg);
	}
	memset(&s, 0, sizeof(s));
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 2,
	    "no URL: code 2");
	s.url = "smtp://127.0.0.1:25";
	s.user = "alert";
	s.password = "s3cret";
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 2 &&
	        strstr(err.msg, "cleartext") != NULL,
	    "AUTH over cleartext smtp:// refused (%s)", err.msg);

	if (python == NULL || *python == '\0')
		python = "/usr/bin/python3";
	if (access(python, X_OK) != 0 ||
	    start_sink(python, ports, &why) < 0) {
		if (access(python, X_OK) != 0)
			why = "no python3";
		skip(36, why); /* the tests below */
		return;
	}

	/* bad address: refused before any connection */
	memset(&s, 0, sizeof(s));
	s.url = url("smtp", ports[P_PLAIN]);
	s.timeout_ms = 5000;
	{
		struct ops_mail bad = m;

		bad.from = "alert@example.com>\r\nRCPT TO:<evil@example.com";
		ops_err_clear(&err);
		ok(ops_mail_send(&s, &bad, &err) == -1 && err.code == 2,
		    "bad sender: code 2 (%s)", err.msg);
	}
	is_int(count_msgs(), 0, "nothing delivered yet");

	/* cleartext */
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == 0, "send over smtp:// (%s)",
	    err.msg);
	is_int(count_msgs(), 1, "one message delivered");
	check_delivered(1, "plain", body);

	/* STARTTLS with our CA */
	s.url = url("smtp+starttls", ports[P_STARTTLS]);
	s.ca_file = spath("cert.pem");
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == 0,
	    "send over smtp+starttls:// with ca_file (%s)", err.msg);
	is_int(count_msgs(), 2, "second message delivered");
	check_delivered(2, "starttls", body);

	/* AUTH after STARTTLS */
	s.user = "alert";
	s.password = "s3cret";
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == 0, "AUTH after STARTTLS (%s)",
	    err.msg);
	is_int(count_msgs(), 3, "third message delivered");
	s.password = "wrong";
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3 &&
	        strstr(err.msg, "SMTP response 535") != NULL,
	    "wrong password: code 3 with the SMTP code (%s)", err.msg);
	s.user = s.password = NULL;

	/* STARTTLS without our CA: the certificate is not trusted */
	s.ca_file = NULL;
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3 &&
	        strstr(err.msg, s.url) != NULL,
	    "smtp+starttls:// without ca_file: code 3, names the URL (%s)",
	    err.msg);

	/* STARTTLS required: a server without it gets nothing in clear */
	s.url = url("smtp+starttls", ports[P_PLAIN]);
	s.ca_file = spath("cert.pem");
	n0 = count_msgs();
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3 &&
	        strstr(err.msg, s.url) != NULL,
	    "smtp+starttls:// to a server without STARTTLS: code 3 (%s)",
	    err.msg);
	is_int(count_msgs(), n0, "nothing sent in cleartext");

	/* SMTPS */
	s.url = url("smtps", ports[P_SMTPS]);
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == 0, "send over smtps:// (%s)",
	    err.msg);
	is_int(count_msgs(), n0 + 1, "SMTPS message delivered");
	check_delivered(n0 + 1, "smtps", body);
	s.ca_file = NULL;
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3,
	    "smtps:// without ca_file: code 3 (%s)", err.msg);

	/* a refused recipient fails the whole message */
	s.url = url("smtp", ports[P_PLAIN]);
	m.to = reject_to;
	n0 = count_msgs();
	ops_err_clear(&err);
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3 &&
	        strstr(err.msg, "SMTP response 550") != NULL &&
	        strstr(err.msg, s.url) != NULL,
	    "refused recipient: code 3 with the SMTP code (%s)", err.msg);
	is_int(count_msgs(), n0, "nothing delivered");
	m.to = default_to;

	/* closed port: refused at once */
	s.url = url("smtp", ports[P_CLOSED]);
	ops_err_clear(&err);
	t0 = ops_clock_mono_ms();
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3 &&
	        strstr(err.msg, s.url) != NULL,
	    "closed port: code 3 (%s)", err.msg);
	took = ops_clock_mono_ms() - t0;
	ok(took < 2000, "closed port fails quickly (%lld ms)",
	    (long long)took);

	/* a server that never greets: the timeout holds */
	s.url = url("smtp", ports[P_SILENT]);
	s.timeout_ms = 500;
	ops_err_clear(&err);
	t0 = ops_clock_mono_ms();
	ok(ops_mail_send(&s, &m, &err) == -1 && err.code == 3,
	    "silent server: code 3 (%s)", err.msg);
	took = ops_clock_mono_ms() - t0;
	ok(took >= 400 && took < 3000, "timeout_ms 500 holds (%lld ms)",
	    (long long)took);
}

int
main(void)
{
	struct ops_err err;

	main_pid = getpid();
	alarm(120); /* the whole test is bounded, even if the sink hangs */
	setenv("TZ", "JST-9", 1);
	setenv("LC_ALL", "C", 1);
	ops_err_clear(&err);
	if (ops_clock_init(&err) < 0)
		bail_out("clock init: %s", err.msg);
	scratch_make("t-mail");
	if (atexit(cleanup) != 0)
		bail_out("atexit");

	test_addr();
	test_headers();
	test_recipients();
	test_subjects();
	test_body();
	test_send();
	return done_testing();
}
