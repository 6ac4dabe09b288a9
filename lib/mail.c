/*
 * mail.c - alert mail: RFC 5322 messages sent through libcurl's SMTP
 * SPDX-License-Identifier: MIT
 *
 * See mail.h for the contract.  Decisions taken here:
 *   - curl_global_init() runs once per process, through pthread_once(), the
 *     first time a mail is sent: the caller may run other libcurl code in
 *     threads, and curl_global_init() must not run twice at once.  It is
 *     never undone (no curl_global_cleanup()): other threads may still use
 *     libcurl, and the process ends soon after an alert anyway.
 *   - The only file-scope mutable state is that pthread_once flag with its
 *     result and an atomic counter for Message-ID.
 *   - Plain printable-ASCII subjects are written as they are, folded at
 *     spaces when the header line would pass 78 characters.  When that
 *     cannot keep every line within 78 (a run without spaces that is too
 *     long), or when the text holds "=?" (which a reader could take for an
 *     encoded word), the subject is encoded like a non-ASCII one.
 *   - Encoded words are at most 75 characters and every header line that
 *     holds them at most 76 (RFC 2047 section 2): the first word carries up
 *     to 39 bytes of text, the following ones up to 45, always whole UTF-8
 *     characters.
 *   - The body's line ends become CRLF before base64 (the canonical form of
 *     text, RFC 2045 section 6.8): LF, CR LF and a lone CR each become CRLF.
 *     Invalid UTF-8 in the body becomes U+FFFD, as in the subject.
 *   - No AUTH over cleartext: a user with smtp:// is refused (code 2), so a
 *     password never crosses the network unencrypted.
 *   - libcurl's proxy settings from the environment are switched off
 *     (CURLOPT_PROXY ""): lib/ reads no environment but OPS_*.
 */
#include "compat.h"

#include <sys/random.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "mail.h"

#define ADDR_MAX 254
#define LINE_MAX_SOFT 78   /* RFC 5322 section 2.1.1 */
#define EW_LINE_MAX 76     /* RFC 2047 section 2: lines with encoded words */
#define EW_PREFIX "=?UTF-8?B?"
#define EW_SUFFIX "?="
#define URL_MAX 300
#define DEFAULT_TIMEOUT_MS 30000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static atomic_ulong msgid_counter;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- addresses ---- */

int
ops_mail_addr_check(const char *addr, struct ops_err *err)
{
	char shown[96];
	const char *p, *at = NULL;
	size_t len;

	if (addr == NULL)
		return ops_err_set(err, OPS_EXIT_USAGE, "no mail address");
	len = strlen(addr);
	ops_diag_shown(shown, sizeof(shown), addr, len);
	if (len == 0)
		return ops_err_set(err, OPS_EXIT_USAGE, "empty mail address");
	if (len > ADDR_MAX)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "mail address \"%s\" is longer than %d bytes", shown,
		    ADDR_MAX);
	for (p = addr; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("<>()[],;:\"\\", c))
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "mail address \"%s\" holds a character other than "
			    "printable ASCII or one of <>()[],;:\"\\ or a "
			    "blank; write it as plain local@domain",
			    shown);
		if (c == '@') {
			if (at != NULL)
				return ops_err_set(err, OPS_EXIT_USAGE,
				    "mail address \"%s\" has more than one "
				    "'@'",
				    shown);
			at = p;
		}
	}
	if (at == NULL || at == addr || at[1] == '\0')
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "mail address \"%s\" is not of the form local@domain",
		    shown);
	return 0;
}

/* ---- UTF-8 ---- */

/*
 * Length of the valid UTF-8 sequence at s (n bytes left) and its code
 * point in *cp; 0 when the bytes there are not a valid sequence (overlong
 * forms, surrogates and values above U+10FFFF included).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * s as valid UTF-8 into out: invalid bytes become U+FFFD; when text is
 * set, control characters (C0, DEL, C1) become spaces.  When body is set,
 * LF, CR LF and a lone CR become CRLF instead.  -1 (E2BIG) when out is
 * full.
 */
static int
clean_utf8(struct ops_buf *out, const char *str, bool body)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0, len;
	unsigned long cp;

	while (i < n) {
		len = utf8_next(s + i, n - i, &cp);
		if (len == 0) {
			if (ops_buf_adds(out, "\xef\xbf\xbd") < 0)
				return -1;
			i++;
			continue;
		}
		if (body && (cp == '\r' || cp == '\n')) {
			if (ops_buf_adds(out, "\r\n") < 0)
				return -1;
			i += cp == '\r' && i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
			continue;
		}
		if (!body && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))) {
			if (ops_buf_addc(out, ' ') < 0)
				return -1;
		} else if (ops_buf_add(out, s + i, len) < 0) {
			return -1;
		}
		i += len;
	}
	return 0;
}

/* ---- base64 ---- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * p[0..n) in base64 into out; with wrap, CRLF after every 76 characters
 * and after the last line.
 */
static int
base64_add(struct ops_buf *out, const void *data, size_t n, bool wrap)
{
	const unsigned char *p = data;
	char q[4];
	size_t i, col = 0;
	unsigned long v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (ops_buf_add(out, q, 4) < 0)
			return -1;
		col += 4;
		if (wrap && col == 76) {
			if (ops_buf_adds(out, "\r\n") < 0)
				return -1;
			col = 0;
		}
	}
	if (wrap && col > 0 && ops_buf_adds(out, "\r\n") < 0)
		return -1;
	return 0;
}

/* ---- headers ---- */

/*
 * RFC 5322 date of t in local time: "Mon, 23 Nov 2026 09:00:00 +0900".
 * English names whatever the locale.  A zone offset that is not whole
 * minutes, or a time localtime_r() cannot take, gives UTC with "+0000".
 */
static int
add_date(struct ops_buf *out, int64_t now)
{
	static const char days[7][4] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t;
	long off;

	if (now < 0)
		now = 0;
	if (now > INT64_C(253402300799)) /* 9999-12-31T23:59:59Z */
		now = INT64_C(253402300799);
	t = (time_t)now;
	if (localtime_r(&t, &tm) == NULL || tm.tm_gmtoff % 60 != 0 ||
	    tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 1900) {
		if (gmtime_r(&t, &tm) == NULL)
			return -1;
		tm.tm_gmtoff = 0;
	}
	off = tm.tm_gmtoff / 60;
	return ops_buf_printf(out,
	    "Date: %s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld\r\n",
	    days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
	    (off < 0 ? -off : off) % 60);
}

/*
 * "To: a, b" folded before an address that would take the line past 78
 * characters (each address is at most 254 bytes, so a line holds one
 * address at worst and stays far below 998).
 */
static int
add_to(struct ops_buf *out, const struct ops_mail *m)
{
	size_t i, col = 3, len;

	if (ops_buf_adds(out, "To:") < 0)
		return -1;
	for (i = 0; i < m->nto; i++) {
		len = strlen(m->to[i]);
		if (i > 0) {
			if (ops_buf_addc(out, ',') < 0)
				return -1;
			col++;
		}
		if (i > 0 && col + 1 + len > LINE_MAX_SOFT) {
			if (ops_buf_adds(out, "\r\n") < 0)
				return -1;
			col = 0;
		}
		if (ops_buf_printf(out, " %s", m->to[i]) < 0)
			return -1;
		col += 1 + len;
	}
	return ops_buf_adds(out, "\r\n");
}

/*
 * Plain ASCII subject s (no controls) folded at spaces: a fold goes before
 * the last space of a run, so no continuation line is blank.  1 when some
 * line would still pass 78 characters (nothing written then), 0 when
 * written, -1 when out is full.
 */
static int
add_subject_plain(struct ops_buf *out, const char *s)
{
	size_t n = strlen(s), col = strlen("Subject: "), start = 0, end;
	size_t breaks[512], nb = 0, i, j;

	/* segments: [start, end) with every break before a space */
	while (start < n) {
		end = start + 1;
		while (end < n && !(s[end] == ' ' && end + 1 < n &&
		    s[end + 1] != ' '))
			end++;
		if (start > 0 && col + (end - start) > LINE_MAX_SOFT) {
			if (nb == OPS_ARRAY_SIZE(breaks))
				return 1;
			breaks[nb++] = start;
			col = 0;
		}
		col += end - start;
		if (col > LINE_MAX_SOFT)
			return 1;
		start = end;
	}
	if (ops_buf_adds(out, "Subject: ") < 0)
		return -1;
	for (i = 0, j = 0; i <= nb; i++) {
		end = i < nb ? breaks[i] : n;
		if (ops_buf_add(out, s + j, end - j) < 0)
			return -1;
		if (i < nb && ops_buf_adds(out, "\r\n") < 0)
			return -1;
		j = end;
	}
	return ops_buf_adds(out, "\r\n");
}

/* Subject as RFC 2047 B-encoded words on whole UTF-8 characters. */
static int
add_subject_encoded(struct ops_buf *out, const char *s)
{
	const size_t fixed = strlen(EW_PREFIX) + strlen(EW_SUFFIX);
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, end, cap, len;
	unsigned long cp;
	bool first = true;

	if (ops_buf_adds(out, "Subject:") < 0)
		return -1;
	while (i < n) {
		/* room on this line: "Subject: " or " ", then the word */
		cap = EW_LINE_MAX - (first ? strlen("Subject: ") : 1) - fixed;
		cap = cap / 4 * 3; /* text bytes whose base64 fits */
		end = i;
		while (end < n) {
			len = utf8_next(u + end, n - end, &cp);
			if (len == 0) /* cannot happen: s went through clean_utf8 */
				len = 1;
			if (end - i + len > cap)
				break;
			end += len;
		}
		if (ops_buf_adds(out, first ? " " EW_PREFIX : "\r\n " EW_PREFIX) <
			0 ||
		    base64_add(out, s + i, end - i, false) < 0 ||
		    ops_buf_adds(out, EW_SUFFIX) < 0)
			return -1;
		first = false;
		i = end;
	}
	return ops_buf_adds(out, "\r\n");
}

static int
add_subject(struct ops_buf *out, const char *subject)
{
	struct ops_buf clean;
	const char *s;
	bool ascii = true;
	int rc;

	ops_buf_init(&clean, 0);
	if (clean_utf8(&clean, subject ? subject : "", false) < 0) {
		ops_buf_release(&clean);
		return -1;
	}
	s = ops_buf_cstr(&clean);
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = false;
	rc = 1;
	if (ascii && strstr(s, "=?") == NULL)
		rc = add_subject_plain(out, s);
	if (rc == 1)
		rc = add_subject_encoded(out, s);
	ops_buf_release(&clean);
	return rc;
}

/* <TIME.PID.COUNTER.RANDOM@DOMAIN> */
static int
add_message_id(struct ops_buf *out, int64_t now, const char *from)
{
	unsigned char rnd[8];
	unsigned long count;
	struct timespec ts;
	uint64_t x = 0;
	size_t i;

	count = atomic_fetch_add(&msgid_counter, 1) + 1;
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(rnd)) {
		for (i = 0; i < sizeof(rnd); i++)
			x = x << 8 | rnd[i];
	} else {
		/* early boot: time, pid and counter still make it unique */
		clock_gettime(CLOCK_REALTIME, &ts);
		x = (uint64_t)ts.tv_nsec * UINT64_C(6364136223846793005) ^
		    (uint64_t)ts.tv_sec;
	}
	return ops_buf_printf(out,
	    "Message-ID: <%lld.%ld.%lu.%016llx@%s>\r\n", (long long)now,
	    (long)getpid(), count, (unsigned long long)x,
	    strchr(from, '@') + 1);
}

int
ops_mail_compose(const struct ops_mail *m, int64_t now, struct ops_buf *out,
    struct ops_err *err)
{
	struct ops_buf body;
	size_t i;

	ops_buf_reset(out);
	if (m->nto == 0 || m->to == NULL)
		return ops_err_set(err, OPS_EXIT_USAGE, "no mail recipient");
	if (m->nto > OPS_MAIL_MAX_RCPT)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%zu mail recipients, at most %d allowed", m->nto,
		    OPS_MAIL_MAX_RCPT);
	if (ops_mail_addr_check(m->from, err) < 0) {
		ops_err_prefix(err, "sender");
		return -1;
	}
	for (i = 0; i < m->nto; i++)
		if (ops_mail_addr_check(m->to[i], err) < 0) {
			ops_err_prefix(err, "recipient %zu", i + 1);
			return -1;
		}

	ops_buf_init(&body, 0);
	if (add_date(out, now) < 0 ||
	    ops_buf_printf(out, "From: %s\r\n", m->from) < 0 ||
	    add_to(out, m) < 0 || add_subject(out, m->subject) < 0 ||
	    add_message_id(out, now, m->from) < 0 ||
	    ops_buf_adds(out,
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"Auto-Submitted: auto-generated\r\n"
		"X-Mailer: ops toolkit " OPS_VERSION "\r\n"
		"\r\n") < 0 ||
	    clean_utf8(&body, m->body ? m->body : "", true) < 0 ||
	    base64_add(out, body.data, body.len, true) < 0) {
		ops_buf_release(&body);
		ops_buf_reset(out);
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "mail message is larger than %zu bytes", out->limit);
	}
	ops_buf_release(&body);
	return 0;
}

/* ---- sending ---- */

/*
 * Check s->url and write libcurl's URL into curl_url: the scheme (smtp for
 * smtp+starttls), host and port, nothing else.  *tls: 0 none, 1 STARTTLS
 * required, 2 TLS from the start.
 */
static int
parse_url(const char *url, char *curl_url, size_t size, int *tls,
    struct ops_err *err)
{
	static const struct {
		const char *prefix, *scheme;
		int tls;
	} schemes[] = {
	    {"smtp://", "smtp", 0},
	    {"smtp+starttls://", "smtp", 1},
	    {"smtps://", "smtps", 2},
	};
	char shown[96];
	const char *p = NULL, *host, *hend, *port = NULL, *scheme = NULL;
	size_t i, plen = 0;
	long portnum = 0;

	if (url == NULL)
		return ops_err_set(err, OPS_EXIT_USAGE, "no SMTP server URL");
	ops_diag_shown(shown, sizeof(shown), url, strlen(url));
	for (i = 0; i < OPS_ARRAY_SIZE(schemes); i++)
		if (strncmp(url, schemes[i].prefix,
			strlen(schemes[i].prefix)) == 0) {
			p = url + strlen(schemes[i].prefix);
			*tls = schemes[i].tls;
			scheme = schemes[i].scheme;
			break;
		}
	if (p == NULL)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "SMTP server URL \"%s\" does not start with smtp://, "
		    "smtp+starttls:// or smtps://",
		    shown);
	host = p;
	if (*p == '[') { /* IPv6 literal */
		p++;
		while (*p != '\0' && (strchr("0123456789abcdefABCDEF:.", *p)))
			p++;
		if (*p != ']' || p == host + 1)
			goto bad;
		p++;
	} else {
		while (*p != '\0' &&
		    (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_",
			*p)))
			p++;
		if (p == host)
			goto bad;
	}
	hend = p;
	if (*p == ':') {
		port = ++p;
		while (*p >= '0' && *p <= '9' && portnum <= 65535) {
			portnum = portnum * 10 + (*p - '0');
			p++;
			plen++;
		}
		if (plen == 0 || portnum < 1 || portnum > 65535)
			goto bad;
	}
	if (*p == '/')
		p++;
	if (*p != '\0')
		goto bad;
	if (port != NULL) {
		if (snprintf(curl_url, size, "%s://%.*s:%ld/",
			scheme, (int)(hend - host), host, portnum) >= (int)size)
			goto bad;
	} else if (snprintf(curl_url, size, "%s://%.*s/",
		       scheme, (int)(hend - host), host) >= (int)size) {
		goto bad;
	}
	return 0;
bad:
	return ops_err_set(err, OPS_EXIT_USAGE,
	    "bad SMTP server URL \"%s\" (want smtp://HOST[:PORT], "
	    "smtp+starttls://HOST[:PORT] or smtps://HOST[:PORT])",
	    shown);
}

struct reader {
	const char *data;
	size_t len, pos;
};

static size_t
read_cb(char *dst, size_t size, size_t nitems, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nitems;

	if (n > r->len - r->pos)
		n = r->len - r->pos;
	memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return n;
}

int
ops_mail_send(const struct ops_smtp *s, const struct ops_mail *m,
    struct ops_err *err)
{
	char curl_url[URL_MAX], errbuf[CURL_ERROR_SIZE], shown[URL_MAX];
	char rcpt_addr[ADDR_MAX + 3], from_addr[ADDR_MAX + 3];
	struct curl_slist *rcpt = NULL, *l;
	struct ops_buf msg;
	struct reader r;
	long timeout, code = 0;
	CURLcode rc;
	CURL *h;
	size_t i;
	int tls = 0, ret = -1;

	if (parse_url(s->url, curl_url, sizeof(curl_url), &tls, err) < 0)
		return -1;
	/* checked by parse_url: nothing in it needs quoting */
	snprintf(shown, sizeof(shown), "%s", s->url);
	if (s->user != NULL && tls == 0)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s: no AUTH over cleartext SMTP; use smtp+starttls:// or "
		    "smtps://",
		    shown);
	if (s->timeout_ms < 0)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s: negative SMTP timeout", shown);
	timeout = s->timeout_ms > 0 ? s->timeout_ms : DEFAULT_TIMEOUT_MS;

	ops_buf_init(&msg, 0);
	if (ops_mail_compose(m, ops_clock_now(), &msg, err) < 0)
		goto out;
	/* addresses are checked: no CR, LF or <> can reach the envelope */
	for (i = 0; i < m->nto; i++) {
		snprintf(rcpt_addr, sizeof(rcpt_addr), "<%s>", m->to[i]);
		l = curl_slist_append(rcpt, rcpt_addr);
		if (l == NULL) {
			ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: out of memory for the recipient list", shown);
			goto out;
		}
		rcpt = l;
	}
	snprintf(from_addr, sizeof(from_addr), "<%s>", m->from);

	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: cannot initialise libcurl: %s", shown,
		    curl_easy_strerror(curl_init_rc));
		goto out;
	}
	if ((h = curl_easy_init()) == NULL) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: cannot initialise a libcurl handle", shown);
		goto out;
	}
	errbuf[0] = '\0';
	r.data = msg.data;
	r.len = msg.len;
	r.pos = 0;
	if ((rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_URL, curl_url)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps")) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_PROXY, "")) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_USE_SSL,
		 tls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L)) !=
		CURLE_OK ||
	    (s->ca_file != NULL &&
		(rc = curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file)) !=
		    CURLE_OK) ||
	    (s->user != NULL &&
		((rc = curl_easy_setopt(h, CURLOPT_USERNAME, s->user)) !=
			CURLE_OK ||
		    (rc = curl_easy_setopt(h, CURLOPT_PASSWORD,
			 s->password ? s->password : "")) != CURLE_OK)) ||
	    (rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_addr)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb)) !=
		CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_READDATA, &r)) != CURLE_OK ||
	    (rc = curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		 (curl_off_t)msg.len)) != CURLE_OK) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: cannot set up libcurl for SMTP: %s", shown,
		    curl_easy_strerror(rc));
		curl_easy_cleanup(h);
		goto out;
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK)
			code = 0;
		/* a reply such as 220 or 250 is not what went wrong */
		if (code >= 400)
			ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: cannot send mail: %s (SMTP response %ld)",
			    shown,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc), code);
		else
			ops_err_set(err, OPS_EXIT_FAIL,
			    "%s: cannot send mail: %s", shown,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else {
		ret = 0;
	}
	curl_easy_cleanup(h);
out:
	curl_slist_free_all(rcpt);
	ops_buf_release(&msg);
	return ret;
}
