/*
 * applied.c - the update-application list from dpkg's and apt's logs
 * (see applied.h)
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exitcode.h"
#include "mem.h"

#include "applied.h"

void
ap_log_init(struct ap_log *l)
{
	memset(l, 0, sizeof(*l));
}

static void
row_free(struct ap_row *r)
{
	free(r->package);
	free(r->from);
	free(r->to);
	free(r->action);
	free(r->source);
}

void
ap_rows_free(struct ap_row *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		row_free(&v[i]);
	free(v);
}

void
ap_log_release(struct ap_log *l)
{
	size_t i;

	ap_rows_free(l->rows, l->n);
	for (i = 0; i < l->ntxn; i++) {
		ap_rows_free(l->txn[i].v, l->txn[i].n);
		free(l->txn[i].cmd);
		free(l->txn[i].by);
	}
	free(l->txn);
	memset(l, 0, sizeof(*l));
}

static void
add_row(struct ap_row **v, size_t *n, size_t *cap, int64_t ts,
    const char *pkg, size_t pl, const char *from, size_t fl, const char *to,
    size_t tl, const char *action)
{
	struct ap_row *r;
	const char *colon = memchr(pkg, ':', pl);

	if (colon)
		pl = (size_t)(colon - pkg); /* the name without ":arch" */
	ops_xgrow((void **)v, cap, *n + 1, sizeof(**v));
	r = &(*v)[(*n)++];
	memset(r, 0, sizeof(*r));
	r->ts = ts;
	r->package = ops_xstrndup(pkg, pl);
	r->from = ops_xstrndup(from, fl);
	r->to = ops_xstrndup(to, tl);
	r->action = ops_xstrdup(action);
}

/* "YYYY-MM-DD HH:MM:SS" (one blank or more in between), local time */
static int
local_time(const char *p, const char *e, int64_t *t)
{
	int v[6], k = 0;
	struct tm tm;
	time_t tt;

	while (k < 6) {
		int x = 0, digits = 0;

		while (p < e && *p >= '0' && *p <= '9' && digits < 4) {
			x = x * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0)
			return -1;
		v[k++] = x;
		if (k == 6)
			break;
		if (p >= e)
			return -1;
		if (k == 3) {
			if (*p != ' ')
				return -1;
			while (p < e && *p == ' ')
				p++;
		} else if (*p++ != (k < 3 ? '-' : ':')) {
			return -1;
		}
	}
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	tt = mktime(&tm);
	if (tt == (time_t)-1)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

/* the next blank-separated word of [*p, e) */
static bool
word(const char **p, const char *e, const char **w, size_t *wl)
{
	while (*p < e && **p == ' ')
		(*p)++;
	*w = *p;
	while (*p < e && **p != ' ')
		(*p)++;
	*wl = (size_t)(*p - *w);
	return *wl > 0;
}

/* one dpkg.log line; 1 when it is not a change */
static int
dpkg_line(struct ap_log *l, const char *p, const char *e, const char **why)
{
	static const char *const acts[] = {"install", "upgrade", "remove",
	    "purge"};
	const char *w, *pkg, *from, *to;
	size_t wl, pl, fl, tl, i;
	int64_t ts;

	if (e - p < 20)
		return 1;
	if (local_time(p, p + 19, &ts) < 0)
		return *why = "bad time (YYYY-MM-DD HH:MM:SS)", -1;
	p += 19;
	if (!word(&p, e, &w, &wl))
		return *why = "no action", -1;
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		if (wl == strlen(acts[i]) && memcmp(w, acts[i], wl) == 0)
			break;
	if (i == sizeof(acts) / sizeof(acts[0]))
		return 1; /* status, configure, trigproc, startup ... */
	if (!word(&p, e, &pkg, &pl) || !word(&p, e, &from, &fl) ||
	    !word(&p, e, &to, &tl))
		return *why = "expected \"ACTION PACKAGE FROM TO\"", -1;
	if (fl == 6 && memcmp(from, "<none>", 6) == 0)
		fl = 0;
	if (tl == 6 && memcmp(to, "<none>", 6) == 0)
		tl = 0;
	add_row(&l->rows, &l->n, &l->cap, ts, pkg, pl, from, fl, to, tl,
	    acts[i]);
	return 0;
}

/* "pkg:arch (v1, v2), pkg:arch (v, automatic), ..." of one action */
static int
history_list(struct ap_txn *t, const char *p, const char *e,
    const char *action, const char **why)
{
	while (p < e) {
		const char *name, *open, *close, *comma;
		const char *a, *ae, *b = NULL, *be = NULL;

		while (p < e && (*p == ' ' || *p == ','))
			p++;
		if (p >= e)
			break;
		name = p;
		open = memchr(p, '(', (size_t)(e - p));
		if (open == NULL)
			return *why = "expected \"PACKAGE (VERSION...)\"", -1;
		close = memchr(open, ')', (size_t)(e - open));
		if (close == NULL)
			return *why = "unclosed \"(\"", -1;
		a = open + 1;
		comma = memchr(a, ',', (size_t)(close - a));
		ae = comma ? comma : close;
		if (comma) {
			b = comma + 1;
			while (b < close && *b == ' ')
				b++;
			be = close;
		}
		{
			const char *ne = open;

			while (ne > name && ne[-1] == ' ')
				ne--;
			if (ne == name)
				return *why = "empty package name", -1;
			/* Upgrade: (old, new); Install: (new[, automatic]);
			 * Remove/Purge: (old) */
			if (strcmp(action, "upgrade") == 0) {
				if (b == NULL)
					return *why = "an upgrade needs two "
						      "versions",
					       -1;
				add_row(&t->v, &t->n, &t->cap, t->start, name,
				    (size_t)(ne - name), a, (size_t)(ae - a),
				    b, (size_t)(be - b), action);
			} else if (strcmp(action, "install") == 0 ||
				   strcmp(action, "reinstall") == 0) {
				add_row(&t->v, &t->n, &t->cap, t->start, name,
				    (size_t)(ne - name), "", 0, a,
				    (size_t)(ae - a), action);
			} else {
				add_row(&t->v, &t->n, &t->cap, t->start, name,
				    (size_t)(ne - name), a, (size_t)(ae - a),
				    "", 0, action);
			}
		}
		p = close + 1;
	}
	return 0;
}

static int
history(struct ap_log *l, const char *name, const char *text, size_t len,
    struct ops_err *err)
{
	static const struct {
		const char *key, *action;
	} lists[] = {{"Install: ", "install"}, {"Reinstall: ", "reinstall"},
	    {"Upgrade: ", "upgrade"}, {"Downgrade: ", "downgrade"},
	    {"Remove: ", "remove"}, {"Purge: ", "purge"}};
	const char *p = text, *end = text + len, *why = NULL;
	struct ap_txn *t = NULL;
	long line = 0;
	size_t i;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if ((size_t)(le - p) >= 12 && memcmp(p, "Start-Date: ", 12) == 0) {
			ops_xgrow((void **)&l->txn, &l->captxn, l->ntxn + 1,
			    sizeof(*l->txn));
			t = &l->txn[l->ntxn++];
			memset(t, 0, sizeof(*t));
			if (local_time(p + 12, le, &t->start) < 0) {
				why = "bad Start-Date";
				break;
			}
			t->end = t->start;
		} else if (t && (size_t)(le - p) >= 10 &&
			   memcmp(p, "End-Date: ", 10) == 0) {
			if (local_time(p + 10, le, &t->end) < 0) {
				why = "bad End-Date";
				break;
			}
		} else if (t && (size_t)(le - p) >= 13 &&
			   memcmp(p, "Commandline: ", 13) == 0) {
			free(t->cmd);
			t->cmd = ops_xstrndup(p + 13, (size_t)(le - p - 13));
		} else if (t && (size_t)(le - p) >= 14 &&
			   memcmp(p, "Requested-By: ", 14) == 0) {
			free(t->by);
			t->by = ops_xstrndup(p + 14, (size_t)(le - p - 14));
		} else if (t) {
			for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
				size_t kl = strlen(lists[i].key);

				if ((size_t)(le - p) >= kl &&
				    memcmp(p, lists[i].key, kl) == 0) {
					if (history_list(t, p + kl, le,
						lists[i].action, &why) < 0)
						break;
				}
			}
			if (why)
				break;
		}
		p = nl ? nl + 1 : end;
	}
	if (why)
		return ops_err_at(err, OPS_EXIT_USAGE, name, line, "%s", why);
	return 0;
}

int
ap_log_add(struct ap_log *l, const char *name, const char *text, size_t len,
    struct ops_err *err)
{
	const char *p = text, *end = text + len, *why = NULL;
	long line = 0;

	if (memchr(text, '\0', len))
		return ops_err_at(err, OPS_EXIT_USAGE, name, 0,
		    "NUL byte in the log");
	/* apt's history: a line starting "Start-Date:" */
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) >= 11 && memcmp(p, "Start-Date:", 11) == 0)
			return history(l, name, text, len, err);
		p = nl ? nl + 1 : end;
	}
	for (p = text; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (dpkg_line(l, p, le, &why) < 0)
			return ops_err_at(err, OPS_EXIT_USAGE, name, line,
			    "%s", why);
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct ap_row *x = a, *y = b;
	int c;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	c = strcmp(x->package, y->package);
	if (c)
		return c;
	c = strcmp(x->action, y->action);
	return c ? c : strcmp(x->to, y->to);
}

/* does t list the change r? */
static bool
txn_has(const struct ap_txn *t, const struct ap_row *r)
{
	size_t i;

	if (r->ts < t->start || r->ts > t->end + 1)
		return false;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i].package, r->package) == 0)
			return true;
	return false;
}

static char *
txn_source(const struct ap_txn *t)
{
	const char *cmd = t->cmd ? t->cmd : "(no Commandline)";
	size_t n = strlen(cmd) + (t->by ? strlen(t->by) : 0) + 16;
	char *s = ops_xmalloc(n);

	if (t->by)
		snprintf(s, n, "apt: %s (by %s)", cmd, t->by);
	else
		snprintf(s, n, "apt: %s", cmd);
	return s;
}

static void
copy_row(struct ap_row **v, size_t *n, size_t *cap, const struct ap_row *r,
    char *source)
{
	struct ap_row *d;

	ops_xgrow((void **)v, cap, *n + 1, sizeof(**v));
	d = &(*v)[(*n)++];
	d->ts = r->ts;
	d->package = ops_xstrdup(r->package);
	d->from = ops_xstrdup(r->from);
	d->to = ops_xstrdup(r->to);
	d->action = ops_xstrdup(r->action);
	d->source = source;
}

void
ap_log_list(struct ap_log *l, struct ap_row **out, size_t *n)
{
	struct ap_row *v = NULL;
	size_t cap = 0, i, k, j;

	*n = 0;
	for (i = 0; i < l->n; i++) {
		const struct ap_txn *hit = NULL;

		for (k = 0; k < l->ntxn && !hit; k++)
			if (txn_has(&l->txn[k], &l->rows[i]))
				hit = &l->txn[k];
		copy_row(&v, n, &cap, &l->rows[i],
		    hit ? txn_source(hit) : ops_xstrdup("dpkg"));
	}
	/* transactions that dpkg.log no longer has */
	for (k = 0; k < l->ntxn; k++) {
		const struct ap_txn *t = &l->txn[k];
		bool seen = false;

		for (i = 0; i < l->n && !seen; i++)
			seen = txn_has(t, &l->rows[i]);
		if (seen)
			continue;
		for (j = 0; j < t->n; j++)
			copy_row(&v, n, &cap, &t->v[j], txn_source(t));
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), cmp_row);
	*out = v;
}
