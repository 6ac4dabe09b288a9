/*
 * scan.c - count what logs say, per day (opslog-rotate scan, logstats.tsv)
 * SPDX-License-Identifier: MIT
 *
 * See scan.h for the contract.  A log is read in chunks through ops_zr;
 * lines are cut out of each chunk in place, and only a line that spans two
 * chunks is copied (into a carry buffer of LR_SCAN_MAX_LINE bytes).  Each
 * line is dated by its own stamp and handed to the rule set's matcher.
 * Counts live per log in day records found through a small hash of day
 * numbers; distinct http clients in one hash set of (day, 64-bit client
 * hash) pairs for the whole struct lr_stats.
 */
#include "compat.h"

#include <sys/random.h>
#include <sys/types.h>

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "compress.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "tsv.h"

#include "scan.h"

#define CHUNK (128 * 1024)     /* bytes asked of ops_zr_read at a time */
#define DAYMAP 8192            /* slots of a log's day hash, > 2 * MAX_DAYS */
#define REPEAT_MAX 1000000     /* largest "message repeated N times" used */
#define STAMP_SEARCH 512       /* bytes searched for a "[dd/Mon/yyyy:" */

enum kind {
	K_HTTP,
	K_AUTH,
	K_ERRORS,
	K_REGEX,
};

/* Rule slots of the built-in sets. */
enum {
	H_REQUESTS,
	H_2XX,
	H_3XX,
	H_4XX,
	H_5XX,
	H_POST,
	H_CLIENTS,
	H_CLIENTS_4XX,
	H_N,
};
enum {
	A_FAILED,
	A_ACCEPTED,
	A_INVALID,
	A_N,
};

static const char *const http_names[H_N] = {"requests", "2xx", "3xx", "4xx",
    "5xx", "post", "clients", "clients_4xx"};
static const char *const auth_names[A_N] = {
    "ssh_failed", "ssh_accepted", "invalid_user"};
static const char *const errors_names[1] = {"errors"};
static const char unparsed_name[] = "unparsed";

struct lr_rules {
	enum kind kind;
	size_t n;       /* rules; slot n is "unparsed" */
	char **names;   /* n names, owned */
	regex_t *re;    /* K_REGEX: n compiled patterns */
	size_t *order;  /* the n + 1 slots sorted by name */
};

struct day {
	int32_t dnum;     /* days since 1970-01-01 */
	uint32_t id;      /* unique in the stats, > 0: the client set's key */
	uint64_t *count;  /* n + 1 counters */
	char **sample;    /* n + 1 samples (NULL until the first count) */
};

struct log {
	char *name;
	struct day **days;
	size_t ndays, cap;
	uint32_t *map;    /* DAYMAP slots: index into days + 1, 0 = free */
};

struct client {
	uint64_t h;       /* hash of the address */
	uint32_t day;     /* struct day id; 0 = free slot */
	uint32_t n4xx;    /* 401/403/404 responses so far (saturating) */
};

struct lr_stats {
	const struct lr_rules *r;
	struct log **logs;
	size_t nlogs, logcap;
	struct client *ct; /* open addressing, ctcap slots (power of 2) */
	size_t ctcap, ctn;
	uint64_t seed;
	uint32_t next_id;
	struct lr_scan_info info;
};

/* The state of one scan of one log. */
struct scan {
	struct lr_stats *st;
	struct log *log;
	int ref_y, ref_m;
	int32_t ref_dnum;
	int32_t last_dnum;   /* day of the last stamped line */
	struct day *cur;     /* the day looked up last */
	char *carry;         /* a line spanning chunks, LR_SCAN_MAX_LINE */
	char *line;          /* K_REGEX: the line NUL-terminated for regexec */
	size_t clen;
	bool skipping;       /* the rest of a cut line */
};

/* ---- rule sets ---- */

static int
cmp_slot(const void *a, const void *b, void *arg)
{
	const struct lr_rules *r = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const char *nx = x == r->n ? unparsed_name : r->names[x];
	const char *ny = y == r->n ? unparsed_name : r->names[y];

	return strcmp(nx, ny);
}

static void
make_order(struct lr_rules *r)
{
	size_t i;

	r->order = ops_xreallocarray(NULL, r->n + 1, sizeof(*r->order));
	for (i = 0; i <= r->n; i++)
		r->order[i] = i;
	qsort_r(r->order, r->n + 1, sizeof(*r->order), cmp_slot, r);
}

int
lr_rules_builtin(const char *name, struct lr_rules **rp, struct ops_err *err)
{
	const char *const *names;
	struct lr_rules *r;
	enum kind kind;
	size_t i, n;

	if (strcmp(name, "http") == 0) {
		kind = K_HTTP, names = http_names, n = H_N;
	} else if (strcmp(name, "auth") == 0) {
		kind = K_AUTH, names = auth_names, n = A_N;
	} else if (strcmp(name, "errors") == 0) {
		kind = K_ERRORS, names = errors_names, n = 1;
	} else {
		char shown[128];

		return ops_err_set(err, OPS_EXIT_USAGE,
		    "unknown rule set \"%s\" (http, auth, errors, or a file)",
		    ops_diag_shown(shown, sizeof(shown), name, strlen(name)));
	}
	r = ops_xcalloc(1, sizeof(*r));
	r->kind = kind;
	r->n = n;
	r->names = ops_xreallocarray(NULL, n, sizeof(*r->names));
	for (i = 0; i < n; i++)
		r->names[i] = ops_xstrdup(names[i]);
	make_order(r);
	*rp = r;
	return 0;
}

void
lr_rules_free(struct lr_rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->names[i]);
		if (r->re != NULL)
			regfree(&r->re[i]);
	}
	free(r->names);
	free(r->re);
	free(r->order);
	free(r);
}

/* Check and compile one row of a rule file into r (slot r->n). */
static int
add_rule(struct lr_rules *r, size_t *cap, const struct ops_tsv_reader *t,
    const char *name, const char *pat, size_t patlen, struct ops_err *err)
{
	char shown[128], msg[256];
	size_t i;
	int rc;

	if (!ops_tsv_is_colname(name) || strcmp(name, unparsed_name) == 0)
		return ops_err_at(err, OPS_EXIT_USAGE, t->path, t->line,
		    "bad rule name \"%s\" (want [a-z0-9_]+, not \"%s\")",
		    ops_diag_shown(shown, sizeof(shown), name, strlen(name)),
		    unparsed_name);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return ops_err_at(err, OPS_EXIT_USAGE, t->path, t->line,
			    "rule \"%s\" defined twice", name);
	if (patlen == 0 || patlen > LR_RULES_PATTERN_MAX ||
	    strlen(pat) != patlen)
		return ops_err_at(err, OPS_EXIT_USAGE, t->path, t->line,
		    "rule \"%s\": pattern empty or longer than %d bytes", name,
		    LR_RULES_PATTERN_MAX);
	if (r->n == LR_RULES_MAX)
		return ops_err_at(err, OPS_EXIT_USAGE, t->path, t->line,
		    "more than %d rules", LR_RULES_MAX);
	if (r->n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		r->names = ops_xreallocarray(r->names, *cap, sizeof(*r->names));
		r->re = ops_xreallocarray(r->re, *cap, sizeof(*r->re));
	}
	rc = regcomp(&r->re[r->n], pat, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &r->re[r->n], msg, sizeof(msg));
		regfree(&r->re[r->n]);
		return ops_err_at(err, OPS_EXIT_USAGE, t->path, t->line,
		    "rule \"%s\": bad pattern \"%s\": %s", name,
		    ops_diag_shown(shown, sizeof(shown), pat, patlen), msg);
	}
	r->names[r->n++] = ops_xstrdup(name);
	return 0;
}

static int
load(struct ops_tsv_reader *t, struct lr_rules **rp, struct ops_err *err)
{
	static const char *const cols[] = {"name", "pattern"};
	struct lr_rules *r;
	size_t cap = 0;
	int idx[2], rc;

	if (ops_tsv_columns(t, cols, idx, 2, err) < 0)
		return -1;
	r = ops_xcalloc(1, sizeof(*r));
	r->kind = K_REGEX;
	while ((rc = ops_tsv_next(t, err)) != 0) {
		if (rc < 0 ||
		    add_rule(r, &cap, t, t->f[idx[0]], t->f[idx[1]],
			t->fl[idx[1]], err) < 0) {
			lr_rules_free(r);
			return -1;
		}
	}
	if (r->n == 0) {
		lr_rules_free(r);
		return ops_err_at(err, OPS_EXIT_USAGE, t->path, 0,
		    "no rules (want a header \"name<TAB>pattern\" and rows)");
	}
	make_order(r);
	*rp = r;
	return 0;
}

int
lr_rules_load(const char *path, struct lr_rules **rp, struct ops_err *err)
{
	struct ops_tsv_reader t;
	int rc;

	if (ops_tsv_open(&t, path, 0, err) < 0)
		return -1;
	rc = load(&t, rp, err);
	ops_tsv_close(&t);
	return rc;
}

int
lr_rules_load_fd(int fd, const char *name, struct lr_rules **rp,
    struct ops_err *err)
{
	struct ops_tsv_reader t;
	int rc;

	if (ops_tsv_fdopen(&t, fd, name, err) < 0)
		return -1;
	rc = load(&t, rp, err);
	ops_tsv_close(&t);
	return rc;
}

/* ---- stats ---- */

struct lr_stats *
lr_stats_new(const struct lr_rules *r)
{
	struct lr_stats *st = ops_xcalloc(1, sizeof(*st));

	st->r = r;
	st->next_id = 1;
	/* a secret seed keeps chosen addresses from colliding on purpose */
	if (getrandom(&st->seed, sizeof(st->seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(st->seed))
		st->seed = 0x243f6a8885a308d3ULL ^ (uint64_t)time(NULL);
	return st;
}

static void
day_free(struct day *d, size_t nslots)
{
	size_t i;

	for (i = 0; i < nslots; i++)
		free(d->sample[i]);
	free(d->sample);
	free(d->count);
	free(d);
}

void
lr_stats_free(struct lr_stats *st)
{
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; i < st->nlogs; i++) {
		for (j = 0; j < st->logs[i]->ndays; j++)
			day_free(st->logs[i]->days[j], st->r->n + 1);
		free(st->logs[i]->days);
		free(st->logs[i]->map);
		free(st->logs[i]->name);
		free(st->logs[i]);
	}
	free(st->logs);
	free(st->ct);
	free(st);
}

void
lr_stats_info(const struct lr_stats *st, struct lr_scan_info *info)
{
	*info = st->info;
}

static struct log *
log_get(struct lr_stats *st, const char *name)
{
	struct log *l;
	size_t i;

	for (i = 0; i < st->nlogs; i++)
		if (strcmp(st->logs[i]->name, name) == 0)
			return st->logs[i];
	ops_xgrow((void **)&st->logs, &st->logcap, st->nlogs + 1,
	    sizeof(*st->logs));
	l = ops_xcalloc(1, sizeof(*l));
	l->name = ops_xstrdup(name);
	l->map = ops_xcalloc(DAYMAP, sizeof(*l->map));
	st->logs[st->nlogs++] = l;
	return l;
}

/* The record of day dnum in the scan's log, or NULL past the limit. */
static struct day *
day_get(struct scan *sc, int32_t dnum)
{
	struct log *l = sc->log;
	size_t nslots = sc->st->r->n + 1;
	uint32_t h = ((uint32_t)dnum * 2654435761u) & (DAYMAP - 1);
	struct day *d;

	if (sc->cur != NULL && sc->cur->dnum == dnum)
		return sc->cur;
	while (l->map[h] != 0) {
		d = l->days[l->map[h] - 1];
		if (d->dnum == dnum)
			return sc->cur = d;
		h = (h + 1) & (DAYMAP - 1);
	}
	if (l->ndays == LR_SCAN_MAX_DAYS)
		return NULL;
	d = ops_xcalloc(1, sizeof(*d));
	d->dnum = dnum;
	d->id = sc->st->next_id++;
	d->count = ops_xcalloc(nslots, sizeof(*d->count));
	d->sample = ops_xcalloc(nslots, sizeof(*d->sample));
	ops_xgrow((void **)&l->days, &l->cap, l->ndays + 1, sizeof(*l->days));
	l->days[l->ndays++] = d;
	l->map[h] = (uint32_t)l->ndays;
	return sc->cur = d;
}

/* Length of the UTF-8 character at p[0..n), or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

/* The sample: at most LR_SCAN_SAMPLE_MAX bytes of valid, printable UTF-8. */
static char *
make_sample(const char *line, size_t n)
{
	const unsigned char *p = (const unsigned char *)line;
	char *s = ops_xmalloc(LR_SCAN_SAMPLE_MAX + 1);
	size_t i = 0, o = 0, k;

	while (i < n && o < LR_SCAN_SAMPLE_MAX) {
		k = utf8_len(p + i, n - i);
		/* C0 controls, DEL, C1 controls (U+0080-U+009F), bad bytes */
		if (k == 0 || (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)) ||
		    (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)) {
			s[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k > LR_SCAN_SAMPLE_MAX)
			break;
		memcpy(s + o, p + i, k);
		o += k;
		i += k;
	}
	s[o] = '\0';
	return s;
}

static void
hit(struct day *d, size_t slot, uint64_t weight, const char *line, size_t n)
{
	d->count[slot] += weight;
	if (d->sample[slot] == NULL)
		d->sample[slot] = make_sample(line, n);
}

/* ---- the client set ---- */

static uint64_t
fmix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static uint64_t
hash_bytes(uint64_t seed, const char *p, size_t n)
{
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL), k;

	while (n >= 8) {
		memcpy(&k, p, 8);
		h = (h ^ fmix(k ^ seed)) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	k = 0;
	memcpy(&k, p, n);
	h = (h ^ fmix(k ^ seed)) * 0x9e3779b97f4a7c15ULL;
	return fmix(h);
}

static size_t
client_slot(const struct lr_stats *st, uint64_t h, uint32_t day)
{
	return (size_t)fmix(h ^ (uint64_t)day * 0xd6e8feb86659fd93ULL) &
	    (st->ctcap - 1);
}

static void
clients_grow(struct lr_stats *st)
{
	struct client *old = st->ct;
	size_t oldcap = st->ctcap, i, j;

	st->ctcap = oldcap ? oldcap * 2 : 4096;
	st->ct = ops_xcalloc(st->ctcap, sizeof(*st->ct));
	for (i = 0; i < oldcap; i++) {
		if (old[i].day == 0)
			continue;
		j = client_slot(st, old[i].h, old[i].day);
		while (st->ct[j].day != 0)
			j = (j + 1) & (st->ctcap - 1);
		st->ct[j] = old[i];
	}
	free(old);
}

/*
 * Note client p[0..n) on day d: *isnew when first seen that day, *scanner
 * when this 401/403/404 is its LR_SCAN_SCANNER_MIN-th of the day.
 */
static void
client_note(struct lr_stats *st, const struct day *d, const char *p, size_t n,
    bool is4xx, bool *isnew, bool *scanner)
{
	uint64_t h = hash_bytes(st->seed, p, n);
	struct client *c;
	size_t j;

	*isnew = *scanner = false;
	if (st->ctcap == 0 || st->ctn * 2 >= st->ctcap) {
		if (st->ctcap < 2 * (size_t)LR_SCAN_MAX_CLIENTS)
			clients_grow(st);
	}
	j = client_slot(st, h, d->id);
	for (;;) {
		c = &st->ct[j];
		if (c->day == 0)
			break;
		if (c->day == d->id && c->h == h) {
			if (is4xx && c->n4xx < UINT32_MAX &&
			    ++c->n4xx == LR_SCAN_SCANNER_MIN)
				*scanner = true;
			return;
		}
		j = (j + 1) & (st->ctcap - 1);
	}
	if (st->ctn == LR_SCAN_MAX_CLIENTS) {
		st->info.clients_capped = true;
		return;
	}
	c->h = h;
	c->day = d->id;
	c->n4xx = is4xx ? 1 : 0;
	st->ctn++;
	*isnew = true;
	/* a threshold of 1 would be reached by the first response */
	*scanner = is4xx && LR_SCAN_SCANNER_MIN <= 1;
}

/* ---- timestamps ---- */

static int
month_of(const char *p)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int m;

	for (m = 0; m < 12; m++)
		if (memcmp(p, months + 3 * m, 3) == 0)
			return m + 1;
	return 0;
}

static bool
digits(const char *p, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (p[i] - '0');
	}
	return true;
}

static int
mdays(int y, int m)
{
	static const int days[12] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static bool
valid_date(int y, int m, int d)
{
	return y >= 1970 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= mdays(y, m);
}

static bool
valid_time(const char *p)
{
	int h, mi, s;

	return digits(p, 2, &h) && p[2] == ':' && digits(p + 3, 2, &mi) &&
	    p[5] == ':' && digits(p + 6, 2, &s) && h < 24 && mi < 60 && s <= 60;
}

/* "dd/Mon/yyyy:HH:MM:SS +zzzz]" at p[0..n): 28 bytes. */
#define HTTP_STAMP_LEN 27
static bool
http_stamp(const char *p, size_t n, int32_t *dnum)
{
	int d, m, y, z;

	if (n < HTTP_STAMP_LEN || !digits(p, 2, &d) || p[2] != '/' ||
	    (m = month_of(p + 3)) == 0 || p[6] != '/' ||
	    !digits(p + 7, 4, &y) || p[11] != ':' || !valid_time(p + 12) ||
	    p[20] != ' ' || (p[21] != '+' && p[21] != '-') ||
	    !digits(p + 22, 4, &z) || z / 100 > 23 || z % 100 > 59 ||
	    p[26] != ']' || !valid_date(y, m, d))
		return false;
	*dnum = (int32_t)ops_days_from_civil(y, m, d);
	return true;
}

/* An RFC 3339 stamp ending at a space (or the end) at the line's start. */
static bool
rfc3339_stamp(const char *p, size_t n, int32_t *dnum)
{
	const char *sp = memchr(p, ' ', n < 48 ? n : 48);
	size_t len = sp ? (size_t)(sp - p) : n;
	int64_t t;
	int y, m, d;

	if (len > 47 || len < 20 || ops_rfc3339_parse(p, len, &t, NULL) < 0 ||
	    !digits(p, 4, &y) || !digits(p + 5, 2, &m) || !digits(p + 8, 2, &d))
		return false;
	*dnum = (int32_t)ops_days_from_civil(y, m, d);
	return true;
}

/* "Mon dd HH:MM:SS " (day space-padded or not) at the line's start. */
static bool
syslog_stamp(const struct scan *sc, const char *p, size_t n, int32_t *dnum)
{
	int m, d, y;

	if (n < 15 || (m = month_of(p)) == 0 || p[3] != ' ' ||
	    (n > 15 && p[15] != ' '))
		return false;
	if (p[4] == ' ') {
		if (!digits(p + 5, 1, &d))
			return false;
	} else if (!digits(p + 4, 2, &d)) {
		return false;
	}
	if (p[6] != ' ' || !valid_time(p + 7))
		return false;
	y = m > sc->ref_m ? sc->ref_y - 1 : sc->ref_y;
	if (!valid_date(y, m, d))
		return false;
	*dnum = (int32_t)ops_days_from_civil(y, m, d);
	return true;
}

/* Any stamp form, for the sets other than http. */
static bool
find_stamp(const struct scan *sc, const char *p, size_t n, int32_t *dnum)
{
	const char *b, *end = p + (n < STAMP_SEARCH ? n : STAMP_SEARCH);

	if (p[0] >= '0' && p[0] <= '9' && rfc3339_stamp(p, n, dnum))
		return true;
	if (p[0] >= 'A' && p[0] <= 'Z' && syslog_stamp(sc, p, n, dnum))
		return true;
	for (b = p; (b = memchr(b, '[', (size_t)(end - b))) != NULL; b++)
		if (http_stamp(b + 1, (size_t)(p + n - b - 1), dnum))
			return true;
	return false;
}

/* ---- matchers ---- */

static void
do_http(struct scan *sc, const char *p, size_t n)
{
	const char *sp, *lb, *q, *end = p + n;
	bool stamped = false, isnew, scanner;
	int32_t dnum = sc->last_dnum;
	struct day *d;
	int status;
	size_t i;

	sp = memchr(p, ' ', n);
	lb = sp ? memchr(sp, '[', (size_t)(end - sp)) : NULL;
	if (lb != NULL && http_stamp(lb + 1, (size_t)(end - lb - 1), &dnum)) {
		stamped = true;
		sc->last_dnum = dnum;
	} else {
		sc->st->info.unstamped++;
	}
	if ((d = day_get(sc, dnum)) == NULL) {
		sc->st->info.lost++;
		return;
	}
	if (!stamped || sp == p)
		goto unparsed;
	/* "] \"request\" status " */
	q = lb + 1 + HTTP_STAMP_LEN;
	if (end - q < 2 || q[0] != ' ' || q[1] != '"')
		goto unparsed;
	for (i = 2; i < (size_t)(end - q) && q[i] != '"'; i++)
		if (q[i] == '\\')
			i++;
	if (i >= (size_t)(end - q))
		goto unparsed;
	q += i;
	if (end - q < 5 || q[1] != ' ' ||
	    !digits(q + 2, 3, &status) || status < 100 || status > 599 ||
	    (end - q > 5 && q[5] != ' '))
		goto unparsed;
	hit(d, H_REQUESTS, 1, p, n);
	if (status >= 200)
		hit(d, H_2XX + (size_t)(status / 100 - 2), 1, p, n);
	if ((size_t)(end - lb) > 30 + 5 && memcmp(lb + 30, "POST ", 5) == 0)
		hit(d, H_POST, 1, p, n);
	client_note(sc->st, d, p, (size_t)(sp - p),
	    status == 401 || status == 403 || status == 404, &isnew, &scanner);
	if (isnew)
		hit(d, H_CLIENTS, 1, p, n);
	if (scanner)
		hit(d, H_CLIENTS_4XX, 1, p, n);
	return;
unparsed:
	hit(d, sc->st->r->n, 1, p, n);
}

/* s starts with one of the login methods followed by " for ". */
static bool
method_for(const char *s, size_t n)
{
	static const char *const m[] = {"password for ", "publickey for ",
	    "keyboard-interactive/pam for "};
	size_t i, k;

	for (i = 0; i < OPS_ARRAY_SIZE(m); i++) {
		k = strlen(m[i]);
		if (n >= k && memcmp(s, m[i], k) == 0)
			return true;
	}
	return false;
}

/* Where word (a literal) occurs followed by a login method, or NULL. */
static bool
has_login(const char *p, size_t n, const char *word)
{
	size_t k = strlen(word);
	const char *q = p, *end = p + n;

	while ((q = memmem(q, (size_t)(end - q), word, k)) != NULL) {
		q += k;
		if (method_for(q, (size_t)(end - q)))
			return true;
	}
	return false;
}

static void
auth_match(struct day *d, const char *p, size_t n)
{
	static const char rep[] = "message repeated ";
	const char *end = p + n, *q, *inv;
	uint64_t weight = 1;
	int v;

	if (memmem(p, n, " sshd[", 6) == NULL && memmem(p, n, " sshd:", 6) == NULL)
		return;
	q = memmem(p, n, rep, sizeof(rep) - 1);
	if (q != NULL) {
		const char *t = q + sizeof(rep) - 1;
		size_t nd = 0;

		while (t + nd < end && nd < 7 && t[nd] >= '0' && t[nd] <= '9')
			nd++;
		if (nd > 0 && digits(t, nd, &v) && v >= 1 && v <= REPEAT_MAX &&
		    (size_t)(end - t) >= nd + 9 &&
		    memcmp(t + nd, " times: [", 9) == 0)
			weight = (uint64_t)v;
	}
	if (has_login(p, n, "Failed "))
		hit(d, A_FAILED, weight, p, n);
	else if (has_login(p, n, "Accepted "))
		hit(d, A_ACCEPTED, weight, p, n);
	else if ((inv = memmem(p, n, "Invalid user ", 13)) != NULL &&
	    memmem(inv + 13, (size_t)(end - inv - 13), " from ", 6) != NULL)
		hit(d, A_INVALID, weight, p, n);
}

static bool
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static bool
errors_match(const char *p, size_t n)
{
	static const char *const w[] = {"error", "fatal", "panic", "segfault"};
	size_t i, j, k;
	int c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i] | 0x20;
		if (c != 'e' && c != 'f' && c != 'p' && c != 's')
			continue;
		if (i > 0 && is_word((unsigned char)p[i - 1]))
			continue;
		for (j = 0; j < OPS_ARRAY_SIZE(w); j++) {
			k = strlen(w[j]);
			if (w[j][0] == c && n - i >= k &&
			    strncasecmp(p + i, w[j], k) == 0 &&
			    (n - i == k || !is_word((unsigned char)p[i + k])))
				return true;
		}
	}
	return false;
}

/*
 * REG_STARTEND (glibc) bounds the match, so a NUL inside the line does not
 * end it; the copy with a NUL after it is for sanitizers' regexec
 * interceptors, which read up to a NUL whatever the flags.
 */
static void
regex_match(struct scan *sc, struct day *d, const char *p, size_t n)
{
	const struct lr_rules *r = sc->st->r;
	regmatch_t m[1];
	size_t i;

	memcpy(sc->line, p, n);
	sc->line[n] = '\0';
	p = sc->line;
	for (i = 0; i < r->n; i++) {
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)n;
		if (regexec(&r->re[i], p, 1, m, REG_STARTEND) == 0)
			hit(d, i, 1, p, n);
	}
}

static void
do_line(struct scan *sc, const char *p, size_t n)
{
	const struct lr_rules *r = sc->st->r;
	int32_t dnum = sc->last_dnum;
	struct day *d;

	sc->st->info.lines++;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return;
	if (r->kind == K_HTTP) {
		do_http(sc, p, n);
		return;
	}
	if (find_stamp(sc, p, n, &dnum))
		sc->last_dnum = dnum;
	else
		sc->st->info.unstamped++;
	if ((d = day_get(sc, dnum)) == NULL) {
		sc->st->info.lost++;
		return;
	}
	switch (r->kind) {
	case K_AUTH:
		auth_match(d, p, n);
		break;
	case K_ERRORS:
		if (errors_match(p, n))
			hit(d, 0, 1, p, n);
		break;
	case K_REGEX:
		regex_match(sc, d, p, n);
		break;
	case K_HTTP:
		break;
	}
}

/* ---- the line splitter ---- */

static void
scan_begin(struct scan *sc, struct lr_stats *st, const char *logname,
    int64_t ref)
{
	time_t t = (time_t)ref;
	struct tm tm;

	memset(sc, 0, sizeof(*sc));
	sc->st = st;
	sc->log = log_get(st, logname);
	if (localtime_r(&t, &tm) == NULL) {
		tm.tm_year = 70;
		tm.tm_mon = 0;
		tm.tm_mday = 1;
	}
	sc->ref_y = tm.tm_year + 1900;
	sc->ref_m = tm.tm_mon + 1;
	sc->ref_dnum = (int32_t)ops_days_from_civil(
	    sc->ref_y, sc->ref_m, tm.tm_mday);
	sc->last_dnum = sc->ref_dnum;
	sc->carry = ops_xmalloc(LR_SCAN_MAX_LINE);
	if (st->r->kind == K_REGEX)
		sc->line = ops_xmalloc(LR_SCAN_MAX_LINE + 1);
}

static void
feed(struct scan *sc, const char *p, size_t n)
{
	const char *nl;
	size_t take, room;

	sc->st->info.bytes += n;
	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		if (sc->skipping) {
			sc->skipping = nl == NULL;
		} else if (sc->clen == 0 && nl != NULL &&
		    take <= LR_SCAN_MAX_LINE) {
			do_line(sc, p, take); /* the usual case: in place */
		} else {
			room = LR_SCAN_MAX_LINE - sc->clen;
			if (take > room) {
				memcpy(sc->carry + sc->clen, p, room);
				sc->st->info.cut++;
				do_line(sc, sc->carry, LR_SCAN_MAX_LINE);
				sc->clen = 0;
				sc->skipping = nl == NULL;
			} else {
				memcpy(sc->carry + sc->clen, p, take);
				sc->clen += take;
				if (nl != NULL) {
					do_line(sc, sc->carry, sc->clen);
					sc->clen = 0;
				}
			}
		}
		take += nl ? 1 : 0;
		p += take;
		n -= take;
	}
}

static void
scan_end(struct scan *sc)
{
	if (sc->clen > 0) /* a last line without its newline */
		do_line(sc, sc->carry, sc->clen);
	free(sc->carry);
	free(sc->line);
	sc->carry = sc->line = NULL;
}

int
lr_scan_buf(struct lr_stats *st, const char *data, size_t len,
    const char *logname, int64_t ref)
{
	struct scan sc;

	scan_begin(&sc, st, logname, ref);
	feed(&sc, data, len);
	scan_end(&sc);
	return 0;
}

int
lr_scan_fd(struct lr_stats *st, int fd, const char *logname, int64_t ref,
    struct ops_err *err)
{
	struct ops_zr *zr;
	struct scan sc;
	ssize_t got;
	char *chunk;

	if (ops_zr_open(&zr, fd, logname, err) < 0)
		return -1;
	scan_begin(&sc, st, logname, ref);
	chunk = ops_xmalloc(CHUNK);
	while ((got = ops_zr_read(zr, chunk, CHUNK, err)) > 0)
		feed(&sc, chunk, (size_t)got);
	scan_end(&sc);
	free(chunk);
	ops_zr_close(zr);
	return got < 0 ? -1 : 0;
}

/* ---- output ---- */

struct row_day {
	int32_t dnum;
	const char *log;
	const struct day *d;
};

static int
cmp_row_day(const void *a, const void *b)
{
	const struct row_day *x = a, *y = b;

	if (x->dnum != y->dnum)
		return x->dnum < y->dnum ? -1 : 1;
	return strcmp(x->log, y->log);
}

int
lr_stats_rows(const struct lr_stats *st, struct ops_buf *out,
    struct ops_err *err)
{
	const struct lr_rules *r = st->r;
	struct row_day *rd;
	const char *f[5];
	char date[16], count[24];
	size_t i, j, k, n = 0, slot;
	int y, m, d, rc = 0;

	for (i = 0; i < st->nlogs; i++)
		n += st->logs[i]->ndays;
	rd = ops_xreallocarray(NULL, n ? n : 1, sizeof(*rd));
	for (i = 0, k = 0; i < st->nlogs; i++)
		for (j = 0; j < st->logs[i]->ndays; j++, k++) {
			rd[k].d = st->logs[i]->days[j];
			rd[k].dnum = rd[k].d->dnum;
			rd[k].log = st->logs[i]->name;
		}
	qsort(rd, n, sizeof(*rd), cmp_row_day);
	for (k = 0; k < n && rc == 0; k++) {
		ops_civil_from_days(rd[k].dnum, &y, &m, &d);
		snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
		for (j = 0; j <= r->n; j++) {
			slot = r->order[j];
			if (slot == r->n && rd[k].d->count[slot] == 0)
				continue;
			snprintf(count, sizeof(count), "%llu",
			    (unsigned long long)rd[k].d->count[slot]);
			f[0] = date;
			f[1] = rd[k].log;
			f[2] = slot == r->n ? unparsed_name : r->names[slot];
			f[3] = count;
			f[4] = rd[k].d->sample[slot];
			if (ops_tsv_row(out, f, 5) < 0) {
				rc = ops_err_set(err, OPS_EXIT_FAIL,
				    "logstats rows: more than %zu bytes",
				    out->limit);
				break;
			}
		}
	}
	free(rd);
	return rc;
}
