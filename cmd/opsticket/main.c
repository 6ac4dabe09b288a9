/*
 * opsticket - incident, request and inquiry tickets as an append-only log
 * SPDX-License-Identifier: MIT
 *
 * Every change to a ticket is one event line appended to DIR/tickets.tsv
 * under the store lock; a ticket's state is the fold of its events.  IDs are
 * allocated under the same lock, so concurrent writers never share one.
 * Status changes follow the workflow of workflow.c; an illegal one writes
 * nothing and exits 2.  See opsticket(1).
 */
#include "compat.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "num.h"
#include "out.h"
#include "store.h"
#include "ticket.h"
#include "tsv.h"

#include "opsticket.h"

#define MAX_LINE_FIELD 1024   /* title, names: one line */
#define MAX_TEXT_FIELD 65536  /* notes, plans */

static const char usage_text[] =
    "usage: opsticket [-v] [-d dir] [-c file] [--lang ja|en] command [args]\n"
    "       opsticket new --title text [--kind kind] [--impact impact]\n"
    "           [--assignee name] [--occurred ts] [--target name]\n"
    "           [--plan text] [--by name]\n"
    "       opsticket list [--status status] [--kind kind] [--open]\n"
    "           [--from ts] [--to ts] [--grep text]\n"
    "           [--format tsv|csv|json|text] [--no-header] [--strict]\n"
    "       opsticket show [--format tsv|csv|json|text] id\n"
    "       opsticket set [--by name] id field=value ...\n"
    "       opsticket note [--by name] id text\n"
    "       opsticket close --approver name [--note text] [--by name] id\n"
    "       opsticket export [--format csv|excel|tsv|json] [--bom]\n"
    "           [--no-header]\n"
    "       opsticket stats [--from ts] [--to ts] [--format tsv|csv|json|text]\n";

enum {
	O_TITLE = OPS_OPT_CMD,
	O_KIND,
	O_IMPACT,
	O_ASSIGNEE,
	O_OCCURRED,
	O_TARGET,
	O_PLAN,
	O_BY,
	O_STATUS,
	O_OPEN,
	O_FROM,
	O_TO,
	O_GREP,
	O_APPROVER,
	O_NOTE,
};

/* Everything the command line said. */
struct opts {
	struct ops_cli cli;
	const char *title, *kind, *impact, *assignee, *occurred, *target;
	const char *plan, *by, *status, *from, *to, *grep, *approver, *note;
	bool open;
	long long lock_ms;
};

struct cmd {
	const char *name;
	int (*run)(struct opts *, int, char **);
	const char *shorts;               /* extra short options */
	const struct option *longs;       /* the command's own long options */
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static int
fail(const struct ops_err *err)
{
	return ops_err_report(err);
}

/* ---- input checks ---- */

static int
check_text(const char *what, const char *v, size_t max, bool multiline,
    struct ops_err *err)
{
	size_t len = strlen(v);
	const unsigned char *p;

	if (len > max)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s is %zu bytes long; at most %zu are allowed", what, len,
		    max);
	if (!ops_utf8_valid(v, len))
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s is not valid UTF-8", what);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '\n' && multiline)
			continue;
		if (*p == '\t' && multiline)
			continue;
		if (*p < 0x20 || *p == 0x7f)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "%s holds a control character (0x%02x)%s", what,
			    *p, multiline ? "" : "; it must be one line");
	}
	return 0;
}

static int
parse_id_arg(const char *s, long *id, struct ops_err *err)
{
	long long v;
	const char *why;

	if (*s == '#')
		s++;
	if (ops_parse_int(s, 1, 999999999999LL, &v, &why) < 0)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "ticket id \"%s\" %s", s, why);
	*id = (long)v;
	return 0;
}

static int
parse_time_opt(const char *name, const char *s, int64_t *t,
    struct ops_err *err)
{
	if (ops_time_parse_user(s, t, err) < 0) {
		ops_err_prefix(err, "--%s", name);
		return -1;
	}
	return 0;
}

/* ---- writing ---- */

struct batch {
	struct ops_buf b;
	char ts[OPS_RFC3339_SIZE];
	char id[24];
	const char *by;
};

static void
batch_init(struct batch *bt, long id, const char *by)
{
	ops_buf_init(&bt->b, 0);
	ops_rfc3339_format(ops_clock_now(), bt->ts);
	snprintf(bt->id, sizeof(bt->id), "%ld", id);
	bt->by = by;
}

static void
batch_add(struct batch *bt, const char *event, const char *field,
    const char *value)
{
	const char *f[6] = {bt->ts, bt->id, event, field, value, bt->by};

	if (ops_tsv_row(&bt->b, f, 6) < 0)
		ops_fatal(OPS_EXIT_FAIL, "event too large");
}

/* Open and lock the store; its path in *path. */
static int
store_begin(struct opts *o, struct ops_store *st, char **path,
    struct ops_err *err)
{
	*path = ops_path_join(o->cli.dir, TK_STORE);
	if (ops_store_open(st, o->cli.dir, TK_STORE, ops_ticket_cols,
		OPS_ARRAY_SIZE(ops_ticket_cols), 0640, err) < 0)
		return -1;
	if (ops_store_lock(st, (int)o->lock_ms, err) < 0) {
		ops_store_close(st);
		return -1;
	}
	return 0;
}

static int
store_finish(struct ops_store *st, struct batch *bt, struct ops_err *err)
{
	int rc = ops_store_append(st, bt->b.data, bt->b.len, err);

	ops_store_close(st);
	ops_buf_release(&bt->b);
	return rc;
}

/* Load one ticket under the lock; -1 with err when it does not exist. */
static int
load_one(struct opts *o, const char *path, long id, struct tk_table *tab,
    struct ticket **t, struct ops_err *err)
{
	struct tk_load lo = {.flags = 0, .only = id, .grep = NULL};
	char *snap = ops_path_join(o->cli.dir, TK_SNAP);
	int rc;

	lo.snap = snap;
	rc = tk_load(tab, path, &lo, err);
	free(snap);
	if (rc < 0)
		return -1;
	*t = tk_get(tab, id);
	if (*t == NULL)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "no ticket %ld (the last one is %ld)", id, tab->maxid);
	return 0;
}

/*
 * Open and lock the store and load ticket id from it: the start of every
 * change to an existing ticket.  On failure everything is released.
 */
static int
begin_ticket(struct opts *o, long id, struct ops_store *st,
    struct tk_table *tab, struct ticket **t, struct ops_err *err)
{
	char *path = NULL;
	int rc;

	tk_table_init(tab);
	rc = store_begin(o, st, &path, err);
	if (rc == 0 && (rc = load_one(o, path, id, tab, t, err)) < 0)
		ops_store_close(st);
	if (rc < 0)
		tk_table_release(tab);
	free(path);
	return rc;
}

/* ---- new ---- */

static int
cmd_new(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct ops_store st;
	struct batch bt;
	char *path = NULL, occ[OPS_RFC3339_SIZE];
	const char *by = ops_cli_user(o->by);
	int64_t t;
	long id;
	int kind = KIND_INCIDENT, impact = -1;

	(void)argv;
	if (argc > 0)
		usage(OPS_EXIT_USAGE);
	if (o->title == NULL) {
		ops_warn("new needs --title TEXT");
		return OPS_EXIT_USAGE;
	}
	if (check_text("--title", o->title, MAX_LINE_FIELD, false, &err) <
		0 ||
	    (o->assignee && check_text("--assignee", o->assignee,
				MAX_LINE_FIELD, false, &err) < 0) ||
	    (o->target && check_text("--target", o->target, MAX_LINE_FIELD,
			      false, &err) < 0) ||
	    (o->plan &&
		check_text("--plan", o->plan, MAX_TEXT_FIELD, true, &err) <
		    0) ||
	    check_text("--by", by, MAX_LINE_FIELD, false, &err) < 0)
		return fail(&err);
	if (*o->title == '\0') {
		ops_warn("--title must not be empty");
		return OPS_EXIT_USAGE;
	}
	if (o->kind && (kind = tk_kind_parse(o->kind)) < 0) {
		ops_warn("unknown kind \"%s\": use incident, request, inquiry "
			 "or maintenance",
		    o->kind);
		return OPS_EXIT_USAGE;
	}
	if (o->impact && (impact = tk_impact_parse(o->impact)) < 0) {
		ops_warn("unknown impact \"%s\": use high, medium or low",
		    o->impact);
		return OPS_EXIT_USAGE;
	}
	t = ops_clock_now();
	if (o->occurred && parse_time_opt("occurred", o->occurred, &t, &err) <
		0)
		return fail(&err);
	ops_rfc3339_format(t, occ);

	if (store_begin(o, &st, &path, &err) < 0) {
		free(path);
		return fail(&err);
	}
	if (ops_ticket_last_id(path, &id, &err) < 0) {
		ops_store_close(&st);
		free(path);
		return fail(&err);
	}
	id++;
	batch_init(&bt, id, by);
	batch_add(&bt, "new", "title", o->title);
	batch_add(&bt, "set", "kind", tk_kind_name[kind]);
	batch_add(&bt, "set", "occurred", occ);
	if (impact > 0)
		batch_add(&bt, "set", "impact", tk_impact_name[impact]);
	if (o->assignee)
		batch_add(&bt, "set", "assignee", o->assignee);
	if (o->target)
		batch_add(&bt, "set", "target", o->target);
	if (o->plan)
		batch_add(&bt, "set", "plan", o->plan);
	free(path);
	if (store_finish(&st, &bt, &err) < 0)
		return fail(&err);
	printf("%ld\n", id);
	return OPS_EXIT_OK;
}

/* ---- set, note, close ---- */

static const char *const settable[] = {"title", "status", "assignee",
    "impact", "plan", "approver", "target", "kind", "occurred"};

/*
 * Check one FIELD=VALUE against ticket t (whose status it may move);
 * canonical value in *val (static words or a timestamp in tsbuf).
 */
static int
check_assignment(struct ticket *t, const char *field, const char **val,
    char tsbuf[OPS_RFC3339_SIZE], struct ops_err *err)
{
	int k;
	int64_t when;
	bool multi = strcmp(field, "plan") == 0;
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(settable); i++)
		if (strcmp(field, settable[i]) == 0)
			break;
	if (i == OPS_ARRAY_SIZE(settable))
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "unknown field \"%s\": use title, status, assignee, "
		    "impact, plan, approver, target, kind or occurred",
		    field);
	if (check_text(field, *val, multi ? MAX_TEXT_FIELD : MAX_LINE_FIELD,
		multi, err) < 0)
		return -1;
	if (strcmp(field, "status") == 0) {
		if ((k = tk_status_parse(*val)) < 0)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "unknown status \"%s\": use received, "
			    "in-progress, on-hold, confirming or done",
			    *val);
		if (k == ST_DONE && t->status != ST_DONE)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "ticket %ld: done is set by \"opsticket close "
			    "%ld --approver NAME\"",
			    t->id, t->id);
		if (!tk_move_allowed(t->status, (enum tk_status)k))
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "ticket %ld is %s; it cannot move to %s "
			    "(allowed: %s)",
			    t->id, tk_status_name[t->status],
			    tk_status_name[k],
			    *tk_moves_from(t->status) ? tk_moves_from(t->status)
						      : "none");
		*val = tk_status_name[k];
		t->status = (enum tk_status)k; /* a later status= sees it */
	} else if (strcmp(field, "kind") == 0) {
		if ((k = tk_kind_parse(*val)) < 0)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "unknown kind \"%s\": use incident, request, "
			    "inquiry or maintenance",
			    *val);
		*val = tk_kind_name[k];
	} else if (strcmp(field, "impact") == 0) {
		if ((k = tk_impact_parse(*val)) < 0)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "unknown impact \"%s\": use high, medium or low",
			    *val);
		*val = tk_impact_name[k];
	} else if (strcmp(field, "occurred") == 0) {
		if (ops_time_parse_user(*val, &when, err) < 0)
			return -1;
		*val = ops_rfc3339_format(when, tsbuf);
	} else if (strcmp(field, "title") == 0 && **val == '\0') {
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "the title must not be empty");
	}
	return 0;
}

static int
cmd_set(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct ops_store st;
	struct tk_table tab;
	struct ticket *t;
	struct batch bt;
	char (*tsbuf)[OPS_RFC3339_SIZE];
	const char *by = ops_cli_user(o->by);
	long id;
	int i, rc = OPS_EXIT_OK;

	if (argc < 2)
		usage(OPS_EXIT_USAGE);
	if (parse_id_arg(argv[0], &id, &err) < 0 ||
	    check_text("--by", by, MAX_LINE_FIELD, false, &err) < 0)
		return fail(&err);
	for (i = 1; i < argc; i++) {
		if (strchr(argv[i], '=') == NULL || argv[i][0] == '=') {
			ops_warn("\"%s\" is not FIELD=VALUE", argv[i]);
			return OPS_EXIT_USAGE;
		}
	}
	if (begin_ticket(o, id, &st, &tab, &t, &err) < 0)
		return fail(&err);
	tsbuf = ops_xcalloc((size_t)argc, sizeof(*tsbuf));
	batch_init(&bt, id, by);
	for (i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		char *field = ops_xstrndup(argv[i], (size_t)(eq - argv[i]));
		const char *val = eq + 1;

		if (check_assignment(t, field, &val, tsbuf[i], &err) < 0) {
			free(field);
			rc = fail(&err);
			break;
		}
		batch_add(&bt, "set", field, val);
		free(field);
	}
	if (rc == OPS_EXIT_OK) {
		if (store_finish(&st, &bt, &err) < 0)
			rc = fail(&err);
	} else {
		ops_store_close(&st);
		ops_buf_release(&bt.b);
	}
	free(tsbuf);
	tk_table_release(&tab);
	return rc;
}

static int
cmd_note(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct ops_store st;
	struct tk_table tab;
	struct ticket *t;
	struct batch bt;
	const char *by = ops_cli_user(o->by);
	long id;

	if (argc != 2)
		usage(OPS_EXIT_USAGE);
	if (parse_id_arg(argv[0], &id, &err) < 0 ||
	    check_text("the note", argv[1], MAX_TEXT_FIELD, true, &err) < 0 ||
	    check_text("--by", by, MAX_LINE_FIELD, false, &err) < 0)
		return fail(&err);
	if (*argv[1] == '\0') {
		ops_warn("the note is empty");
		return OPS_EXIT_USAGE;
	}
	if (begin_ticket(o, id, &st, &tab, &t, &err) < 0)
		return fail(&err);
	batch_init(&bt, id, by);
	batch_add(&bt, "note", "", argv[1]);
	tk_table_release(&tab);
	if (store_finish(&st, &bt, &err) < 0)
		return fail(&err);
	return OPS_EXIT_OK;
}

static int
cmd_close(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct ops_store st;
	struct tk_table tab;
	struct ticket *t;
	struct batch bt;
	const char *by = ops_cli_user(o->by);
	long id;

	if (argc != 1)
		usage(OPS_EXIT_USAGE);
	if (o->approver == NULL || *o->approver == '\0') {
		ops_warn("close needs --approver NAME");
		return OPS_EXIT_USAGE;
	}
	if (parse_id_arg(argv[0], &id, &err) < 0 ||
	    check_text("--approver", o->approver, MAX_LINE_FIELD, false,
		&err) < 0 ||
	    (o->note &&
		check_text("--note", o->note, MAX_TEXT_FIELD, true, &err) <
		    0) ||
	    check_text("--by", by, MAX_LINE_FIELD, false, &err) < 0)
		return fail(&err);
	if (begin_ticket(o, id, &st, &tab, &t, &err) < 0)
		return fail(&err);
	if (t->status != ST_CONFIRMING) {
		ops_warn("ticket %ld is %s; only a confirming ticket can be "
			 "closed (first: opsticket set %ld status=confirming)",
		    id, tk_status_name[t->status], id);
		ops_store_close(&st);
		tk_table_release(&tab);
		return OPS_EXIT_USAGE;
	}
	batch_init(&bt, id, by);
	if (o->note && *o->note)
		batch_add(&bt, "note", "", o->note);
	batch_add(&bt, "close", "approver", o->approver);
	tk_table_release(&tab);
	if (store_finish(&st, &bt, &err) < 0)
		return fail(&err);
	return OPS_EXIT_OK;
}

/* ---- reading ---- */

static int
load_all(struct opts *o, struct tk_table *tab, unsigned flags, long only,
    struct ops_err *err)
{
	struct tk_load lo = {.flags = flags, .only = only, .grep = o->grep};
	char *path = ops_path_join(o->cli.dir, TK_STORE);
	char *snap = ops_path_join(o->cli.dir, TK_SNAP);
	int rc;

	if (o->cli.strict)
		lo.flags |= TK_STRICT;
	if (!(lo.flags & (TK_STRICT | TK_EVENTS)) && o->grep == NULL)
		lo.snap = snap;
	tk_table_init(tab);
	rc = tk_load(tab, path, &lo, err);
	free(path);
	free(snap);
	if (rc < 0)
		tk_table_release(tab);
	return rc;
}

static const char *
L(struct opts *o, const char *key)
{
	return ops_L(o->cli.lang, key);
}

static int
begin_out(struct opts *o, struct ops_out *out, const char *const allowed[],
    const struct ops_out_col *cols, size_t n, struct ops_err *err)
{
	enum ops_out_fmt fmt = OPS_OUT_TSV;
	unsigned flags = o->cli.out_flags;

	if (o->cli.format_opt && ops_out_format_parse(o->cli.format_opt,
				     allowed, &fmt, &flags, err) < 0)
		return -1;
	ops_out_begin(out, stdout, fmt, flags, cols, n);
	return 0;
}

static const char *
status_word(struct opts *o, enum tk_status s)
{
	return L(o, tk_status_name[s]);
}

static int
cmd_list(struct opts *o, int argc, char **argv)
{
	static const char *const fmts[] = {"tsv", "csv", "json", "text", NULL};
	struct ops_out_col cols[] = {{"id", NULL, true}, {"kind", NULL, false},
	    {"status", NULL, false}, {"impact", NULL, false},
	    {"title", NULL, false}, {"assignee", NULL, false},
	    {"occurred", NULL, false}, {"updated", NULL, false},
	    {"completed", NULL, false}, {"approver", NULL, false}};
	struct ops_err err;
	struct tk_table tab;
	struct ops_out out;
	int64_t from = INT64_MIN, to = INT64_MAX;
	int status = -1, kind = -1;
	size_t i;
	long id;

	(void)argv;
	if (argc > 0)
		usage(OPS_EXIT_USAGE);
	for (i = 0; i < OPS_ARRAY_SIZE(cols); i++)
		cols[i].label = L(o, cols[i].name);
	if (o->status && (status = tk_status_parse(o->status)) < 0) {
		ops_warn("unknown status \"%s\": use received, in-progress, "
			 "on-hold, confirming or done",
		    o->status);
		return OPS_EXIT_USAGE;
	}
	if (o->kind && (kind = tk_kind_parse(o->kind)) < 0) {
		ops_warn("unknown kind \"%s\": use incident, request, inquiry "
			 "or maintenance",
		    o->kind);
		return OPS_EXIT_USAGE;
	}
	if ((o->from && parse_time_opt("from", o->from, &from, &err) < 0) ||
	    (o->to && parse_time_opt("to", o->to, &to, &err) < 0))
		return fail(&err);
	if (begin_out(o, &out, fmts, cols, OPS_ARRAY_SIZE(cols), &err) < 0)
		return fail(&err);
	if (load_all(o, &tab,
		o->open || (status >= 0 && status != ST_DONE) ? TK_OPEN : 0, 0,
		&err) < 0) {
		ops_out_discard(&out);
		return fail(&err);
	}
	for (id = 1; id <= tab.maxid; id++) {
		struct ticket *t = tk_get(&tab, id);
		char ids[24];
		const char *v[10];

		if (t == NULL)
			continue;
		if ((status >= 0 && (int)t->status != status) ||
		    (kind >= 0 && (int)t->kind != kind) ||
		    (o->open && t->status == ST_DONE) || t->occurred < from ||
		    t->occurred >= to)
			continue;
		if (o->grep && !t->grep_hit &&
		    !tk_contains(t->title ? t->title : "", o->grep) &&
		    !tk_contains(t->plan ? t->plan : "", o->grep) &&
		    !tk_contains(t->target ? t->target : "", o->grep) &&
		    !tk_contains(t->assignee ? t->assignee : "", o->grep))
			continue;
		snprintf(ids, sizeof(ids), "%ld", t->id);
		v[0] = ids;
		v[1] = L(o, tk_kind_name[t->kind]);
		v[2] = status_word(o, t->status);
		v[3] = L(o, tk_impact_name[t->impact]);
		v[4] = t->title;
		v[5] = t->assignee;
		v[6] = t->occurred_s;
		v[7] = t->updated_s;
		v[8] = t->completed_s;
		v[9] = t->approver;
		if (ops_out_row(&out, v) < 0)
			break;
	}
	tk_table_release(&tab);
	if (ops_out_end(&out, &err) < 0)
		return fail(&err);
	return OPS_EXIT_OK;
}

/* An event as people read it: the value, with status words translated. */
static const char *
event_value(struct opts *o, const struct tk_event *e)
{
	int k;

	if (strcmp(e->field, "status") == 0 &&
	    (k = tk_status_parse(e->value)) >= 0)
		return status_word(o, (enum tk_status)k);
	if (strcmp(e->field, "kind") == 0 && (k = tk_kind_parse(e->value)) >= 0)
		return L(o, tk_kind_name[k]);
	if (strcmp(e->field, "impact") == 0 &&
	    (k = tk_impact_parse(e->value)) >= 0)
		return L(o, tk_impact_name[k]);
	return e->value;
}

static void
show_text(struct opts *o, struct ticket *t)
{
	struct ops_buf b;
	char *hist;
	const char *none = "-";

	ops_buf_init(&b, 0);
#define LINE(label, val)                                                     \
	do {                                                                 \
		ops_buf_reset(&b);                                           \
		if (ops_out_sanitize(&b, (val) && *(val) ? (val) : none,     \
			true) == 0)                                          \
			printf("%s%*s %s\n", L(o, label),                  \
			    (int)(14 - ops_utf8_width(L(o, label))), "",     \
			    ops_buf_cstr(&b));                               \
	} while (0)
	ops_buf_reset(&b);
	if (ops_out_sanitize(&b, t->title ? t->title : "", false) == 0)
		printf("#%ld %s\n", t->id, ops_buf_cstr(&b));
	LINE("kind", L(o, tk_kind_name[t->kind]));
	LINE("status", status_word(o, t->status));
	LINE("impact", L(o, tk_impact_name[t->impact]));
	LINE("assignee", t->assignee);
	LINE("target", t->target);
	LINE("occurred", t->occurred_s);
	LINE("created", t->created_s);
	LINE("first_response", t->response_s);
	LINE("updated", t->updated_s);
	LINE("completed", t->completed_s);
	LINE("approver", t->approver);
	LINE("plan", t->plan);
#undef LINE
	printf("\n%s:\n", L(o, "history"));
	hist = tk_history_text(t, o->cli.lang);
	ops_buf_reset(&b);
	if (ops_out_sanitize(&b, hist, true) == 0)
		printf("%s\n", ops_buf_cstr(&b));
	free(hist);
	ops_buf_release(&b);
}

static int
cmd_show(struct opts *o, int argc, char **argv)
{
	static const char *const fmts[] = {"tsv", "csv", "json", "text", NULL};
	struct ops_out_col cols[] = {{"ts", NULL, false}, {"id", NULL, true},
	    {"event", NULL, false}, {"field", NULL, false},
	    {"value", NULL, false}, {"by", NULL, false}};
	struct ops_err err;
	struct tk_table tab;
	struct ticket *t;
	struct ops_out out;
	long id;
	size_t i;
	int rc = OPS_EXIT_OK;

	if (argc != 1)
		usage(OPS_EXIT_USAGE);
	if (parse_id_arg(argv[0], &id, &err) < 0)
		return fail(&err);
	for (i = 0; i < OPS_ARRAY_SIZE(cols); i++)
		cols[i].label = L(o, cols[i].name);
	if (begin_out(o, &out, fmts, cols, OPS_ARRAY_SIZE(cols), &err) < 0)
		return fail(&err);
	if (load_all(o, &tab, TK_EVENTS, id, &err) < 0) {
		ops_out_discard(&out);
		return fail(&err);
	}
	t = tk_get(&tab, id);
	if (t == NULL) {
		ops_warn("no ticket %ld (the last one is %ld)", id, tab.maxid);
		ops_out_discard(&out);
		tk_table_release(&tab);
		return OPS_EXIT_USAGE;
	}
	tk_sort_events(t);
	if (out.fmt == OPS_OUT_TEXT) {
		ops_out_discard(&out);
		show_text(o, t);
		tk_table_release(&tab);
		return OPS_EXIT_OK;
	} else {
		for (i = 0; i < t->nev; i++) {
			struct tk_event *e = &t->ev[i];
			char ids[24];
			const char *v[6];

			snprintf(ids, sizeof(ids), "%ld", id);
			v[0] = e->tsstr;
			v[1] = ids;
			v[2] = e->event;
			v[3] = e->field;
			v[4] = event_value(o, e);
			v[5] = e->by;
			if (ops_out_row(&out, v) < 0)
				break;
		}
	}
	tk_table_release(&tab);
	if (ops_out_end(&out, &err) < 0)
		rc = fail(&err);
	return rc;
}

static int
cmd_export(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct tk_table tab;
	int rc;

	(void)argv;
	if (argc > 0)
		usage(OPS_EXIT_USAGE);
	if (load_all(o, &tab, TK_EVENTS, 0, &err) < 0)
		return fail(&err);
	rc = tk_export(&tab, &o->cli, o->cli.format_opt, &err);
	tk_table_release(&tab);
	return rc < 0 ? fail(&err) : OPS_EXIT_OK;
}

static int
cmd_stats(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct tk_table tab;
	int64_t from = INT64_MIN, to = INT64_MAX;
	long long resp, iso;
	int rc;

	(void)argv;
	if (argc > 0)
		usage(OPS_EXIT_USAGE);
	if ((o->from && parse_time_opt("from", o->from, &from, &err) < 0) ||
	    (o->to && parse_time_opt("to", o->to, &to, &err) < 0))
		return fail(&err);
	if (ops_conf_get_duration_ms(&o->cli.conf, "ticket", NULL,
		"response-target", &resp, &err) < 0 ||
	    ops_conf_get_duration_ms(&o->cli.conf, "ticket", NULL,
		"isolation-target", &iso, &err) < 0)
		return fail(&err);
	if (load_all(o, &tab, 0, 0, &err) < 0)
		return fail(&err);
	rc = tk_stats(&tab, &o->cli, from, to, resp / 1000, iso / 1000, &err);
	tk_table_release(&tab);
	if (rc < 0)
		return fail(&err);
	return rc ? OPS_EXIT_FOUND : OPS_EXIT_OK;
}

/* ---- options and dispatch ---- */

static const struct option new_opts[] = {
    {"title", required_argument, NULL, O_TITLE},
    {"kind", required_argument, NULL, O_KIND},
    {"impact", required_argument, NULL, O_IMPACT},
    {"assignee", required_argument, NULL, O_ASSIGNEE},
    {"occurred", required_argument, NULL, O_OCCURRED},
    {"target", required_argument, NULL, O_TARGET},
    {"plan", required_argument, NULL, O_PLAN},
    {"by", required_argument, NULL, O_BY},
    {NULL, 0, NULL, 0}};
static const struct option list_opts[] = {
    {"status", required_argument, NULL, O_STATUS},
    {"kind", required_argument, NULL, O_KIND},
    {"open", no_argument, NULL, O_OPEN},
    {"from", required_argument, NULL, O_FROM},
    {"to", required_argument, NULL, O_TO},
    {"grep", required_argument, NULL, O_GREP},
    {NULL, 0, NULL, 0}};
static const struct option by_opts[] = {
    {"by", required_argument, NULL, O_BY}, {NULL, 0, NULL, 0}};
static const struct option close_opts[] = {
    {"approver", required_argument, NULL, O_APPROVER},
    {"note", required_argument, NULL, O_NOTE},
    {"by", required_argument, NULL, O_BY},
    {NULL, 0, NULL, 0}};
static const struct option range_opts[] = {
    {"from", required_argument, NULL, O_FROM},
    {"to", required_argument, NULL, O_TO},
    {NULL, 0, NULL, 0}};
static const struct option no_opts[] = {{NULL, 0, NULL, 0}};

static const struct cmd cmds[] = {
    {"new", cmd_new, "", new_opts},
    {"list", cmd_list, "", list_opts},
    {"show", cmd_show, "", no_opts},
    {"set", cmd_set, "", by_opts},
    {"note", cmd_note, "", by_opts},
    {"close", cmd_close, "", close_opts},
    {"export", cmd_export, "", no_opts},
    {"stats", cmd_stats, "", range_opts},
};

static void
take(struct opts *o, int c, const char *arg)
{
	switch (c) {
	case O_TITLE: o->title = arg; break;
	case O_KIND: o->kind = arg; break;
	case O_IMPACT: o->impact = arg; break;
	case O_ASSIGNEE: o->assignee = arg; break;
	case O_OCCURRED: o->occurred = arg; break;
	case O_TARGET: o->target = arg; break;
	case O_PLAN: o->plan = arg; break;
	case O_BY: o->by = arg; break;
	case O_STATUS: o->status = arg; break;
	case O_OPEN: o->open = true; break;
	case O_FROM: o->from = arg; break;
	case O_TO: o->to = arg; break;
	case O_GREP: o->grep = arg; break;
	case O_APPROVER: o->approver = arg; break;
	case O_NOTE: o->note = arg; break;
	default: usage(OPS_EXIT_USAGE);
	}
}

/* Parse argv with the shared options plus extra; returns optind. */
static int
parse(struct opts *o, int argc, char **argv, const struct option *extra,
    bool stop_at_operand)
{
	static const struct option common[] = {OPS_CLI_LONGOPTS};
	struct option all[64];
	size_t n = 0, i;
	char shorts[32];
	int c;

	for (i = 0; i < OPS_ARRAY_SIZE(common); i++)
		all[n++] = common[i];
	for (i = 0; extra[i].name != NULL && n < OPS_ARRAY_SIZE(all) - 1; i++)
		all[n++] = extra[i];
	memset(&all[n], 0, sizeof(all[n]));
	snprintf(shorts, sizeof(shorts), "%s%s", stop_at_operand ? "+" : "",
	    OPS_CLI_SHORT);
	optind = 0; /* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (ops_cli_option(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(OPS_EXIT_OK);
		case 'V':
			printf("opsticket %s\n", OPS_VERSION);
			exit(OPS_EXIT_OK);
		case '?':
			usage(OPS_EXIT_USAGE);
		default:
			take(o, c, optarg);
		}
	}
	return optind;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct ops_err err;
	const struct cmd *cmd = NULL;
	int i, rc;

	ops_init(argc, argv);
	memset(&o, 0, sizeof(o));
	ops_cli_init(&o.cli);
	i = parse(&o, argc, argv, no_opts, true);
	if (i >= argc)
		usage(OPS_EXIT_USAGE);
	for (size_t k = 0; k < OPS_ARRAY_SIZE(cmds); k++)
		if (strcmp(argv[i], cmds[k].name) == 0)
			cmd = &cmds[k];
	if (cmd == NULL) {
		ops_warn("unknown command \"%s\"", argv[i]);
		usage(OPS_EXIT_USAGE);
	}
	argc -= i;
	argv += i;
	i = parse(&o, argc, argv, cmd->longs, false);
	if (ops_cli_setup(&o.cli, OPS_CLI_NEED_DIR, &err) < 0 ||
	    ops_conf_get_duration_ms(&o.cli.conf, "ticket", NULL,
		"lock-timeout", &o.lock_ms, &err) < 0) {
		ops_cli_release(&o.cli);
		return fail(&err);
	}
	if (o.lock_ms > INT_MAX)
		o.lock_ms = INT_MAX;
	rc = cmd->run(&o, argc - i, argv + i);
	ops_cli_release(&o.cli);
	if (ops_stdout_close(&err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
