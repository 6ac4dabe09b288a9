/*
 * fold.c - read tickets.tsv and fold its events into tickets
 * SPDX-License-Identifier: MIT
 *
 * Events, one line each (ts id event field value by):
 *   new   title  TEXT      creates ticket id: status received
 *   set   FIELD  VALUE     title status assignee impact plan approver
 *                          target kind occurred
 *   note  ""     TEXT      a note in the history
 *   close approver NAME    status done, completion time = ts
 * The log is written in time order under the store lock, so file order is
 * the order of events.  Lines that do not make sense (an unknown event, a
 * ticket created twice, an event for a ticket never created) are reported
 * like malformed lines and skipped.
 */
#include "compat.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "mem.h"
#include "opsticket.h"
#include "ticket.h"
#include "tsv.h"

enum { C_TS, C_ID, C_EVENT, C_FIELD, C_VALUE, C_BY, C_COUNT };
static const char *const cols[C_COUNT] = {
    "ts", "id", "event", "field", "value", "by"};

void
tk_table_init(struct tk_table *tab)
{
	memset(tab, 0, sizeof(*tab));
}

static void
ticket_release(struct ticket *t)
{
	size_t i;

	free(t->title);
	free(t->assignee);
	free(t->target);
	free(t->plan);
	free(t->approver);
	for (i = 0; i < t->nev; i++) {
		free(t->ev[i].tsstr);
		free(t->ev[i].event);
		free(t->ev[i].field);
		free(t->ev[i].value);
		free(t->ev[i].by);
	}
	free(t->ev);
}

void
tk_table_release(struct tk_table *tab)
{
	size_t i;

	for (i = 0; i < tab->cap; i++) {
		if (tab->t[i] == NULL)
			continue;
		ticket_release(tab->t[i]);
		free(tab->t[i]);
	}
	free(tab->t);
	tk_table_init(tab);
}

struct ticket *
tk_get(const struct tk_table *tab, long id)
{
	if (id < 1 || (size_t)id >= tab->cap)
		return NULL;
	return tab->t[id];
}

static int
cmp_event(const void *a, const void *b)
{
	const struct tk_event *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

void
tk_sort_events(struct ticket *t)
{
	qsort(t->ev, t->nev, sizeof(*t->ev), cmp_event);
}

bool
tk_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	const char *p;

	if (n == 0)
		return true;
	for (p = hay; *p; p++)
		if (strncasecmp(p, needle, n) == 0)
			return true;
	return false;
}

static void
setstr(char **dst, const char *v, size_t len)
{
	free(*dst);
	*dst = len ? ops_xstrndup(v, len) : NULL;
}

static void
copyts(char dst[OPS_RFC3339_SIZE], const char *s, size_t len)
{
	if (len >= OPS_RFC3339_SIZE)
		len = OPS_RFC3339_SIZE - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void
keep_event(struct ticket *t, char *const f[], const size_t fl[], int64_t ts,
    long line)
{
	struct tk_event *e;

	ops_xgrow((void **)&t->ev, &t->evcap, t->nev + 1, sizeof(*t->ev));
	e = &t->ev[t->nev++];
	e->ts = ts;
	e->line = line;
	e->tsstr = ops_xstrndup(f[C_TS], fl[C_TS]);
	e->event = ops_xstrndup(f[C_EVENT], fl[C_EVENT]);
	e->field = ops_xstrndup(f[C_FIELD], fl[C_FIELD]);
	e->value = ops_xstrndup(f[C_VALUE], fl[C_VALUE]);
	e->by = ops_xstrndup(f[C_BY], fl[C_BY]);
}

static void
responded(struct ticket *t, int64_t ts, const char *tsstr, size_t len)
{
	if (t->response_s[0] == '\0') {
		t->first_response = ts;
		copyts(t->response_s, tsstr, len);
	}
}

static void
set_status(struct ticket *t, enum tk_status st, int64_t ts, const char *tsstr,
    size_t len)
{
	if (t->status == ST_RECEIVED && st != ST_RECEIVED)
		responded(t, ts, tsstr, len);
	if ((st == ST_CONFIRMING || st == ST_DONE) && t->isolated == 0)
		t->isolated = ts;
	if (st == ST_DONE) {
		t->completed = ts;
		copyts(t->completed_s, tsstr, len);
	} else {
		t->completed = 0;
		t->completed_s[0] = '\0';
	}
	t->status = st;
}

/* Apply a "set"; returns NULL or why the line makes no sense. */
static const char *
apply_set(struct ticket *t, const char *field, const char *v, size_t vl,
    int64_t ts, const char *tsstr, size_t tslen)
{
	int k;

	if (strcmp(field, "status") == 0) {
		if ((k = tk_status_parse(v)) < 0)
			return "unknown status";
		set_status(t, (enum tk_status)k, ts, tsstr, tslen);
	} else if (strcmp(field, "title") == 0) {
		setstr(&t->title, v, vl);
	} else if (strcmp(field, "assignee") == 0) {
		setstr(&t->assignee, v, vl);
	} else if (strcmp(field, "target") == 0) {
		setstr(&t->target, v, vl);
	} else if (strcmp(field, "plan") == 0) {
		setstr(&t->plan, v, vl);
	} else if (strcmp(field, "approver") == 0) {
		setstr(&t->approver, v, vl);
	} else if (strcmp(field, "kind") == 0) {
		if ((k = tk_kind_parse(v)) < 0)
			return "unknown kind";
		t->kind = (enum tk_kind)k;
	} else if (strcmp(field, "impact") == 0) {
		if ((k = tk_impact_parse(v)) < 0 && vl > 0)
			return "unknown impact";
		t->impact = k < 0 ? IMPACT_NONE : (enum tk_impact)k;
	} else if (strcmp(field, "occurred") == 0) {
		if (ops_rfc3339_parse(v, vl, &t->occurred, NULL) < 0)
			return "bad occurred time";
		copyts(t->occurred_s, v, vl);
	} else {
		return "unknown field";
	}
	return NULL;
}

struct ticket *
tk_table_add(struct tk_table *tab, long id)
{
	size_t old = tab->cap;
	struct ticket *t;

	if ((size_t)id >= tab->cap) {
		ops_xgrow((void **)&tab->t, &tab->cap, (size_t)id + 1,
		    sizeof(*tab->t));
		memset(tab->t + old, 0, (tab->cap - old) * sizeof(*tab->t));
	}
	if (tab->t[id] != NULL)
		return NULL;
	t = ops_xcalloc(1, sizeof(*t));
	t->id = id;
	tab->t[id] = t;
	return t;
}

/* apply(): the event is for a ticket a partial snapshot load left out */
static const char need_full[] = "ticket not loaded";

static bool
is(const char *s, size_t len, const char *lit, size_t litlen)
{
	return len == litlen && memcmp(s, lit, litlen) == 0;
}

#define IS(i, lit) is(f[i], fl[i], lit, sizeof(lit) - 1)

/*
 * Fold one row; returns NULL or why it was skipped.  The hot path of every
 * listing: a timestamp is parsed only for the events that need its value.
 */
static const char *
apply(struct tk_table *tab, const struct tk_load *o, char *const f[],
    const size_t fl[], long line)
{
	struct ticket *t;
	int64_t ts = 0;
	long id;
	const char *why = NULL;
	bool need_ts;

	id = ops_ticket_parse_id(f[C_ID], fl[C_ID]);
	if (id < 1)
		return "bad ticket id";
	if (id > tab->maxid)
		tab->maxid = id;
	if (o->only > 0 && id != o->only)
		return NULL;
	if (IS(C_EVENT, "note")) {
		t = tk_get(tab, id);
		if (t == NULL)
			return tab->partial ? need_full :
			    "event for a ticket that was never created";
		need_ts = t->response_s[0] == '\0' || (o->flags & TK_EVENTS);
	} else {
		need_ts = true;
		t = NULL;
	}
	if (need_ts && ops_rfc3339_parse(f[C_TS], fl[C_TS], &ts, NULL) < 0)
		return "bad timestamp";
	if (t != NULL) {
		responded(t, ts, f[C_TS], fl[C_TS]);
		if (o->grep && tk_contains(f[C_VALUE], o->grep))
			t->grep_hit = true;
	} else if (IS(C_EVENT, "new")) {
		t = tk_table_add(tab, id);
		if (t == NULL)
			return "ticket created twice";
		t->status = ST_RECEIVED;
		t->kind = KIND_INCIDENT;
		t->created = t->occurred = ts;
		copyts(t->created_s, f[C_TS], fl[C_TS]);
		copyts(t->occurred_s, f[C_TS], fl[C_TS]);
		setstr(&t->title, f[C_VALUE], fl[C_VALUE]);
	} else {
		t = tk_get(tab, id);
		if (t == NULL)
			return tab->partial ? need_full :
			    "event for a ticket that was never created";
		if (IS(C_EVENT, "set"))
			why = apply_set(t, f[C_FIELD], f[C_VALUE], fl[C_VALUE],
			    ts, f[C_TS], fl[C_TS]);
		else if (IS(C_EVENT, "close")) {
			setstr(&t->approver, f[C_VALUE], fl[C_VALUE]);
			set_status(t, ST_DONE, ts, f[C_TS], fl[C_TS]);
		} else
			why = "unknown event";
		if (why)
			return why;
	}
	copyts(t->updated_s, f[C_TS], fl[C_TS]);
	if (o->flags & TK_EVENTS)
		keep_event(t, f, fl, ts, line);
	return NULL;
}

int
tk_load(struct tk_table *tab, const char *path, const struct tk_load *o,
    struct ops_err *err)
{
	struct ops_tsv_reader r;
	struct ops_err e;
	int idx[C_COUNT], rc;
	char *f[C_COUNT];
	size_t fl[C_COUNT], k;
	const char *why;
	uint64_t from = 0;
	long nlines = 0;

	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0)
		return -1;
	if (ops_tsv_columns(&r, cols, idx, C_COUNT, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	if (o->snap && r.ncols > 0 &&
	    tk_snap_load(tab, o->snap, path, (o->flags & TK_OPEN) != 0,
		&from, &nlines) == 1 &&
	    ops_tsv_seek(&r, from, nlines, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	while ((rc = ops_tsv_next(&r, &e)) != 0) {
		if (rc == -1) {
			*err = e;
			ops_tsv_close(&r);
			return -1;
		}
		if (rc == OPS_TSV_BAD) {
			tab->bad++;
			if (o->flags & TK_STRICT) {
				*err = e;
				ops_tsv_close(&r);
				return -1;
			}
			ops_err_report(&e);
			continue;
		}
		for (k = 0; k < C_COUNT; k++) {
			f[k] = r.f[idx[k]];
			fl[k] = r.fl[idx[k]];
		}
		why = apply(tab, o, f, fl, r.line);
		if (why == NULL)
			continue;
		if (why == need_full) {
			/* a done ticket changed: fold with every ticket */
			struct tk_load full = *o;

			full.flags &= ~(unsigned)TK_OPEN;
			ops_tsv_close(&r);
			tk_table_release(tab);
			return tk_load(tab, path, &full, err);
		}
		tab->bad++;
		if (o->flags & TK_STRICT) {
			ops_err_at(err, OPS_EXIT_USAGE, path, r.line, "%s", why);
			ops_tsv_close(&r);
			return -1;
		}
		ops_warn_at(path, r.line, "%s; line skipped", why);
	}
	if (o->snap && o->only == 0 && !tab->partial &&
	    r.offset - from >= SNAP_MIN_BYTES &&
	    tk_snap_save(tab, o->snap, path, r.offset, r.line, &e) < 0)
		ops_info(1, "cannot save the snapshot: %s", e.msg);
	ops_tsv_close(&r);
	return 0;
}
