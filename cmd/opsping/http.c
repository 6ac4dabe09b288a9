/*
 * http.c - HTTP(S) checks through the libcurl multi interface
 * SPDX-License-Identifier: MIT
 *
 * One multi handle runs at most --jobs GET transfers at once; a finished
 * transfer's easy handle (and slot) takes the next check, and connections
 * stay in the multi handle's cache for the next transfer to the same host.
 * Checks of certificate expiry use a fresh connection (libcurl has no
 * certificate information for a reused one).  TLS verification is on
 * unless a target says insecure=yes, which every message of it then
 * says.  The body is searched for match= as it streams in, keeping only an
 * overlap tail, and reading stops once the text is found or after 1 MiB.
 */
#include "compat.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "opsping.h"

#define MATCH_LIMIT ((size_t)1 << 20) /* body bytes searched for match= */
#define MAX_REDIRS 5L
#define GRACE_MS 50 /* libcurl's own timeout normally ends a transfer */

struct xfer {
	struct pg_check *c;
	CURL *h;
	bool busy;
	int64_t start;    /* mono ms when the transfer was added */
	int64_t deadline; /* the check's own deadline */
	bool https;
	size_t bytes;     /* body bytes received */
	bool found;       /* match= text seen */
	bool stopped;     /* we ended the body ourselves */
	size_t mlen;      /* strlen(match), 0 without match= */
	char *mem;        /* 3 * mlen bytes: tail, then a join buffer */
	size_t memcap;
	size_t tlen;      /* bytes in the tail (at most mlen - 1) */
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc; /* written once, under curl_once */

static void
init_curl(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool
in_expect(const struct pg_target *t, long code)
{
	size_t i;

	if (t->nexpect == 0)
		return code >= 200 && code <= 399;
	for (i = 0; i < t->nexpect && i < PG_MAX_EXPECT; i++)
		if (code >= t->expect[i].lo && code <= t->expect[i].hi)
			return true;
	return false;
}

/* "200-399", "404", "200,301-302" */
static void
expect_text(const struct pg_target *t, char *buf, size_t size)
{
	size_t i, len = 0;
	int k;

	if (t->nexpect == 0) {
		snprintf(buf, size, "200-399");
		return;
	}
	buf[0] = '\0';
	for (i = 0; i < t->nexpect && i < PG_MAX_EXPECT && len < size; i++) {
		if (t->expect[i].lo == t->expect[i].hi)
			k = snprintf(buf + len, size - len, "%s%d",
			    i ? "," : "", t->expect[i].lo);
		else
			k = snprintf(buf + len, size - len, "%s%d-%d",
			    i ? "," : "", t->expect[i].lo, t->expect[i].hi);
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

/* Search data for the match text across chunk boundaries. */
static void
search(struct xfer *x, const char *data, size_t n)
{
	const char *needle = x->c->t->match;
	size_t keep = x->mlen - 1, head, jl;
	char *tail = x->mem, *join = x->mem + x->mlen;

	/* the tail joined to the start of this chunk */
	head = n < keep ? n : keep;
	if (x->tlen > 0) {
		memcpy(join, tail, x->tlen);
		memcpy(join + x->tlen, data, head);
		jl = x->tlen + head;
		if (memmem(join, jl, needle, x->mlen) != NULL) {
			x->found = true;
			return;
		}
	}
	if (memmem(data, n, needle, x->mlen) != NULL) {
		x->found = true;
		return;
	}
	/* keep the last mlen - 1 bytes seen */
	if (n >= keep) {
		memcpy(tail, data + n - keep, keep);
		x->tlen = keep;
	} else if (x->tlen + n <= keep) {
		memcpy(tail + x->tlen, data, n);
		x->tlen += n;
	} else {
		size_t drop = x->tlen + n - keep;

		memmove(tail, tail + drop, x->tlen - drop);
		memcpy(tail + x->tlen - drop, data, n);
		x->tlen = keep;
	}
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb, use = n;

	if (x->mlen == 0) {
		x->bytes += n;
		return n;
	}
	if (x->bytes + use > MATCH_LIMIT)
		use = MATCH_LIMIT - x->bytes;
	x->bytes += use;
	if (!x->found && use > 0)
		search(x, data, use);
	if (x->found || x->bytes >= MATCH_LIMIT) {
		x->stopped = true;
		return 0; /* ends the transfer (CURLE_WRITE_ERROR) */
	}
	return n;
}

/* Seconds since the epoch of "Dec  5 13:45:44 2026 GMT"; -1 if malformed. */
static int64_t
parse_cert_date(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mon, f[5] = {0}, i, k, digits;
	const int maxd[5] = {2, 2, 2, 2, 4};
	const char seps[5] = {' ', ':', ':', ' ', '\0'};

	while (*s == ' ')
		s++;
	for (mon = 0; mon < 12; mon++)
		if (strncmp(s, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12 || s[3] != ' ')
		return -1;
	s += 3;
	while (*s == ' ')
		s++;
	/* day, hours, minutes, seconds, year */
	for (i = 0; i < 5; i++) {
		for (digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
			if (digits == maxd[i])
				return -1;
			f[i] = f[i] * 10 + (*s - '0');
		}
		if (digits == 0 || (i == 4 && digits != 4))
			return -1;
		if (i < 4 && *s++ != seps[i])
			return -1;
	}
	while (*s == ' ')
		s++;
	if (*s != '\0' && strcmp(s, "GMT") != 0)
		return -1;
	k = f[0];
	if (k < 1 || k > 31 || f[1] > 23 || f[2] > 59 || f[3] > 60)
		return -1;
	return ops_days_from_civil(f[4], mon + 1, k) * 86400 +
	    (int64_t)f[1] * 3600 + f[2] * 60 + f[3];
}

/* The leaf certificate's expiry, or -1 when libcurl has none. */
static int64_t
cert_expiry(CURL *h)
{
	struct curl_certinfo *ci = NULL;
	struct curl_slist *sl;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return -1;
	for (sl = ci->certinfo[0]; sl != NULL; sl = sl->next)
		if (strncmp(sl->data, "Expire date:", 12) == 0)
			return parse_cert_date(sl->data + 12);
	return -1;
}

static void
result(struct xfer *x, enum pg_status st, double ms, const char *msg)
{
	const char *loud = x->c->t->insecure ? ", TLS NOT VERIFIED" : "";

	pg_result_set(x->c, st, ms, "%.200s%s", msg, loud);
}

static void
timed_out(struct xfer *x)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "no answer within %lld ms",
	    (long long)(x->deadline - x->start));
	result(x, PG_CRITICAL, -1, msg);
}

static void
judge(struct xfer *x, CURLcode rc)
{
	const struct pg_target *t = x->c->t;
	char msg[256], ex[96], date[OPS_RFC3339_SIZE];
	curl_off_t us = 0;
	long code = 0;
	double ms;
	int64_t exp, left;

	if (rc == CURLE_WRITE_ERROR && x->stopped)
		rc = CURLE_OK;
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		timed_out(x);
		return;
	}
	if (rc != CURLE_OK) {
		snprintf(msg, sizeof(msg), "%.160s",
		    x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		result(x, PG_CRITICAL, -1, msg);
		return;
	}
	(void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
	(void)curl_easy_getinfo(x->h, CURLINFO_TOTAL_TIME_T, &us);
	ms = (double)us / 1000.0;
	if (!in_expect(t, code)) {
		expect_text(t, ex, sizeof(ex));
		snprintf(msg, sizeof(msg), "HTTP %ld (expected %s)", code, ex);
		result(x, PG_CRITICAL, ms, msg);
		return;
	}
	if (t->match != NULL && !x->found) {
		snprintf(msg, sizeof(msg), "body lacks \"%.60s%s\"", t->match,
		    strlen(t->match) > 60 ? "..." : "");
		result(x, PG_CRITICAL, ms, msg);
		return;
	}
	if (t->cert_days > 0 && x->https) {
		exp = cert_expiry(x->h);
		if (exp < 0) {
			result(x, PG_UNKNOWN, ms,
			    "no certificate expiry date to check");
			return;
		}
		left = exp - ops_clock_now();
		ops_rfc3339_format_utc(exp, date);
		if (left < 0) {
			snprintf(msg, sizeof(msg), "certificate expired (%s)",
			    date);
			result(x, PG_CRITICAL, ms, msg);
			return;
		}
		if (left < (int64_t)t->cert_days * 86400) {
			snprintf(msg, sizeof(msg),
			    "certificate expires in %lld days (%s)",
			    (long long)(left / 86400), date);
			result(x, PG_WARNING, ms, msg);
			return;
		}
	}
	snprintf(msg, sizeof(msg), "HTTP %ld, %zu bytes in %.1f ms", code,
	    x->bytes, ms);
	result(x, PG_OK, ms, msg);
}

static bool
is_https(const char *url)
{
	return url != NULL && strncasecmp(url, "https://", 8) == 0;
}

/* Set up x->h for c; -1 when libcurl refuses an option. */
static int
prepare(struct xfer *x, struct pg_check *c, const struct pg_opts *o,
    int64_t now)
{
	const struct pg_target *t = c->t;
	const char *ca = t->ca ? t->ca : o->ca_file;
	CURL *h = x->h;
	CURLcode rc = CURLE_OK;
	size_t mlen = t->match ? strlen(t->match) : 0;

	x->c = c;
	x->start = now;
	x->deadline = pg_check_deadline(t, now, (long)(o->deadline - now),
	    o->deadline);
	x->https = is_https(t->url);
	x->bytes = 0;
	x->found = t->match != NULL && mlen == 0;
	x->stopped = false;
	x->mlen = mlen;
	x->tlen = 0;
	x->errbuf[0] = '\0';
	if (mlen > 0 && x->memcap < 3 * mlen) {
		free(x->mem);
		x->memcap = 3 * mlen;
		x->mem = ops_xmalloc(x->memcap);
	}
	curl_easy_reset(h);
#define SET(opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, t->url);
	SET(CURLOPT_PRIVATE, (void *)x);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, t->follow ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, MAX_REDIRS);
	SET(CURLOPT_USERAGENT, "opsping/" OPS_VERSION);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)x);
	SET(CURLOPT_TIMEOUT_MS,
	    (long)(x->deadline > now ? x->deadline - now : 1));
	SET(CURLOPT_SSL_VERIFYPEER, t->insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, t->insecure ? 0L : 2L);
	if (ca != NULL)
		SET(CURLOPT_CAINFO, ca);
	if (t->cert_days > 0 && x->https) {
		SET(CURLOPT_CERTINFO, 1L);
		SET(CURLOPT_FRESH_CONNECT, 1L);
	}
#undef SET
	if (rc != CURLE_OK) {
		pg_result_set(c, PG_UNKNOWN, -1, "cannot set up the transfer: %s",
		    curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

static void
not_checked(struct pg_check *c)
{
	pg_result_set(c, PG_CRITICAL, -1,
	    "not checked: the run's deadline came first "
	    "(raise --timeout or --jobs)");
}

static void
fail_all(struct pg_check **v, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		pg_result_set(v[i], PG_UNKNOWN, -1, "%s", why);
}

/* Take the results of finished transfers; the number of slots freed. */
static size_t
reap(CURLM *m)
{
	CURLMsg *msg;
	struct xfer *x;
	char *priv;
	size_t freed = 0;
	int q;

	while ((msg = curl_multi_info_read(m, &q)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		(void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    &priv);
		x = (struct xfer *)(void *)priv;
		if (x == NULL || !x->busy)
			continue;
		judge(x, msg->data.result);
		curl_multi_remove_handle(m, x->h);
		x->busy = false;
		freed++;
	}
	return freed;
}

/* End transfers past their deadline; the number of slots freed. */
static size_t
expire(CURLM *m, struct xfer *xs, size_t nx, const struct pg_opts *o,
    int64_t now)
{
	size_t i, freed = 0;

	for (i = 0; i < nx; i++) {
		struct xfer *x = &xs[i];

		if (!x->busy || (now < x->deadline + GRACE_MS &&
		    now < o->deadline))
			continue;
		timed_out(x);
		curl_multi_remove_handle(m, x->h);
		x->busy = false;
		freed++;
	}
	return freed;
}

static int64_t
next_wake(const struct xfer *xs, size_t nx, const struct pg_opts *o)
{
	int64_t w = o->deadline;
	size_t i;

	for (i = 0; i < nx; i++)
		if (xs[i].busy && xs[i].deadline + GRACE_MS < w)
			w = xs[i].deadline + GRACE_MS;
	return w;
}

int
pg_http_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err)
{
	size_t nx = o->jobs > 0 ? (size_t)o->jobs : 1, next = 0, busy = 0, i;
	struct xfer *xs;
	CURLM *m;
	int running;

	if (n == 0)
		return 0;
	pthread_once(&curl_once, init_curl);
	if (curl_init_rc != CURLE_OK) {
		fail_all(v, n, "libcurl cannot start");
		return ops_err_set(err, OPS_EXIT_FAIL, "libcurl cannot start: %s",
		    curl_easy_strerror(curl_init_rc));
	}
	if (nx > n)
		nx = n;
	m = curl_multi_init();
	if (m == NULL) {
		fail_all(v, n, "libcurl cannot start");
		return ops_err_set(err, OPS_EXIT_FAIL, "curl_multi_init failed");
	}
	(void)curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nx);
	(void)curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nx);
	xs = ops_xcalloc(nx, sizeof(*xs));
	for (i = 0; i < nx; i++) {
		xs[i].h = curl_easy_init();
		if (xs[i].h == NULL) {
			for (; i-- > 0;)
				curl_easy_cleanup(xs[i].h);
			free(xs);
			curl_multi_cleanup(m);
			fail_all(v, n, "libcurl cannot start");
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "curl_easy_init failed");
		}
	}

	for (;;) {
		int64_t now = ops_clock_mono_ms(), wake;
		size_t k = 0;

		/* fill free slots */
		while (busy < nx && next < n) {
			struct pg_check *c = v[next++];

			if (c->r.done)
				continue;
			if (now >= o->deadline) {
				not_checked(c);
				continue;
			}
			while (xs[k].busy)
				k++;
			if (prepare(&xs[k], c, o, now) < 0)
				continue;
			if (curl_multi_add_handle(m, xs[k].h) != CURLM_OK) {
				pg_result_set(c, PG_UNKNOWN, -1,
				    "cannot start the transfer");
				continue;
			}
			xs[k].busy = true;
			busy++;
		}
		if (busy == 0 && next >= n)
			break;
		/* on failure, reap and expire still end every transfer */
		(void)curl_multi_perform(m, &running);
		busy -= reap(m);
		now = ops_clock_mono_ms();
		busy -= expire(m, xs, nx, o, now);
		if (busy == nx || next >= n) {
			wake = next_wake(xs, nx, o);
			if (busy > 0 && wake > now)
				(void)curl_multi_poll(m, NULL, 0,
				    (int)(wake - now < 1000 ? wake - now : 1000),
				    NULL);
		}
	}

	for (i = 0; i < nx; i++) {
		curl_easy_cleanup(xs[i].h);
		free(xs[i].mem);
	}
	free(xs);
	curl_multi_cleanup(m);
	return 0;
}
