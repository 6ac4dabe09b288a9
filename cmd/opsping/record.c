/*
 * record.c - checks.tsv, state.tsv and alerts (opsping --record --alert)
 * SPDX-License-Identifier: MIT
 *
 * Under the lock of checks.tsv (so that two runs at once cannot lose each
 * other's state): read state.tsv, fold this run's results into it, find
 * the hard changes, open or note incident tickets, append the results to
 * checks.tsv and replace state.tsv atomically.  Then, without the lock
 * (mail may take seconds): one mail for every change of the run, the
 * [alert] command for each, and the changes appended to alerts.tsv with
 * what became of the mail in "sent":
 *   yes          mailed
 *   failed       the mail could not be sent (the warning says why)
 *   limited      held back by [alert] mail-limit (mails in the last hour)
 *   maintenance  the target is inside a maintenance window
 *   parent       the target's parent= is down
 *   none         no [alert] mailto is configured
 * A crash after state.tsv is written and before alerts.tsv is appended
 * loses those alert rows (the state change itself is kept).
 *
 * State machine (per target name): a result other than OK adds one to
 * "attempts"; when attempts reaches the target's attempts= the hard state
 * becomes that result (OK -> CRITICAL is "down").  Once hard is not OK,
 * another bad status is a change at once (WARNING -> CRITICAL), and the
 * first OK is "recovered".
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "exitcode.h"
#include "fsx.h"
#include "mail.h"
#include "mem.h"
#include "num.h"
#include "store.h"
#include "ticket.h"
#include "tsv.h"

#include "opsping.h"

#define MAX_MAILTO OPS_MAIL_MAX_RCPT

static const char *const checks_cols[] = {
    "ts", "name", "check", "status", "ms", "value", "message"};
static const char *const state_cols[] = {"name", "status", "since",
    "attempts", "last_ts", "last_alert", "last_status", "ticket"};
static const char *const alerts_cols[] = {
    "ts", "name", "from", "to", "message", "sent"};

struct pg_state {
	char *name;
	enum pg_status status; /* hard */
	int64_t since;         /* hard status since */
	long attempts;         /* consecutive results other than OK */
	int64_t last_ts;
	int64_t last_alert;    /* 0: never */
	enum pg_status last;   /* latest result */
	long ticket;           /* open incident ticket, 0: none */
};

struct states {
	struct pg_state *v;
	size_t n, cap;
};

enum change_kind { CH_DOWN, CH_RECOVERED, CH_WARNING, CH_STILL, CH_GAP };

struct change {
	enum change_kind kind;
	const struct pg_check *c; /* NULL for CH_GAP */
	const char *name;
	enum pg_status from, to;
	int64_t since;
	char message[300];
	const char *sent;         /* what became of it (see the top) */
	bool deliver;             /* not silenced */
};

struct changes {
	struct change *v;
	size_t n, cap;
};

struct ctx {
	struct ops_cli *cli;
	const struct pg_record_opts *o;
	struct states st;
	struct changes ch;
	long long lock_ms;
};

static const char *
L(const struct ctx *x, const char *en, const char *ja)
{
	return x->cli->lang == OPS_LANG_JA ? ja : en;
}

/* ---- state.tsv ---- */

static struct pg_state *
state_find(struct states *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

static struct pg_state *
state_add(struct states *s, const char *name)
{
	struct pg_state *p;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = ops_xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	p = &s->v[s->n++];
	memset(p, 0, sizeof(*p));
	p->name = ops_xstrdup(name);
	p->status = PG_OK;
	p->last = PG_OK;
	return p;
}

static void
states_release(struct states *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
get_time(const struct ops_tsv_reader *r, size_t i, int64_t *t)
{
	if (r->fl[i] == 0) {
		*t = 0;
		return 0;
	}
	return ops_rfc3339_parse(r->f[i], r->fl[i], t, NULL);
}

static int
get_long(const struct ops_tsv_reader *r, size_t i, long *v)
{
	long long n;
	const char *why;

	if (r->fl[i] == 0) {
		*v = 0;
		return 0;
	}
	if (ops_parse_int(r->f[i], 0, 1000000000000LL, &n, &why) < 0)
		return -1;
	*v = (long)n;
	return 0;
}

/*
 * Read state.tsv.  A malformed row is reported and dropped (its target
 * starts afresh), or with --strict is an error: the state is ours to
 * rewrite, but not silently.
 */
static int
state_load(struct ctx *x, const char *path, struct ops_err *err)
{
	struct ops_tsv_reader r;
	int idx[8];
	int rc;

	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0)
		return -1;
	if (r.ncols == 0) {
		ops_tsv_close(&r);
		return 0;
	}
	if (ops_tsv_columns(&r, state_cols, idx, 8, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	while ((rc = ops_tsv_next(&r, err)) != 0) {
		struct pg_state *p;
		int hs, ls;
		int64_t since, last_ts, last_alert;
		long att, tk;

		if (rc == -1) {
			ops_tsv_close(&r);
			return -1;
		}
		if (rc == OPS_TSV_BAD)
			goto bad;
		hs = pg_status_parse(r.f[idx[1]]);
		ls = pg_status_parse(r.f[idx[6]]);
		if (r.fl[idx[0]] == 0 || hs < 0 || ls < 0 ||
		    get_time(&r, idx[2], &since) < 0 ||
		    get_long(&r, idx[3], &att) < 0 ||
		    get_time(&r, idx[4], &last_ts) < 0 ||
		    get_time(&r, idx[5], &last_alert) < 0 ||
		    get_long(&r, idx[7], &tk) < 0) {
			ops_err_at(err, OPS_EXIT_USAGE, r.path, r.line,
			    "malformed state row");
			goto bad;
		}
		if (state_find(&x->st, r.f[idx[0]])) {
			ops_err_at(err, OPS_EXIT_USAGE, r.path, r.line,
			    "target \"%s\" appears twice", r.f[idx[0]]);
			goto bad;
		}
		p = state_add(&x->st, r.f[idx[0]]);
		p->status = (enum pg_status)hs;
		p->last = (enum pg_status)ls;
		p->since = since;
		p->attempts = att;
		p->last_ts = last_ts;
		p->last_alert = last_alert;
		p->ticket = tk;
		continue;
	bad:
		if (x->cli->strict) {
			ops_tsv_close(&r);
			return -1;
		}
		ops_err_report(err);
	}
	ops_tsv_close(&r);
	return 0;
}

static void
add_time(const char **f, size_t i, int64_t t, char buf[OPS_RFC3339_SIZE])
{
	f[i] = t ? ops_rfc3339_format(t, buf) : "";
}

static int
state_save(struct ctx *x, const char *path, struct ops_err *err)
{
	struct ops_atomic a;
	struct ops_buf b;
	size_t i;
	int rc;

	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, state_cols, 8) < 0)
		ops_fatal(OPS_EXIT_FAIL, "state row too large");
	for (i = 0; i < x->st.n; i++) {
		const struct pg_state *p = &x->st.v[i];
		char t1[OPS_RFC3339_SIZE], t2[OPS_RFC3339_SIZE],
		    t3[OPS_RFC3339_SIZE], att[24], tk[24];
		const char *f[8];

		snprintf(att, sizeof(att), "%ld", p->attempts);
		snprintf(tk, sizeof(tk), "%ld", p->ticket);
		f[0] = p->name;
		f[1] = pg_status_name[p->status];
		add_time(f, 2, p->since, t1);
		f[3] = att;
		add_time(f, 4, p->last_ts, t2);
		add_time(f, 5, p->last_alert, t3);
		f[6] = pg_status_name[p->last];
		f[7] = p->ticket ? tk : "";
		if (ops_tsv_row(&b, f, 8) < 0)
			ops_fatal(OPS_EXIT_FAIL, "state row too large");
	}
	rc = ops_atomic_begin(&a, path, 0640, err);
	if (rc == 0 && (rc = ops_atomic_write(&a, b.data, b.len, err)) < 0)
		ops_atomic_abort(&a);
	if (rc == 0)
		rc = ops_atomic_commit(&a, err);
	ops_buf_release(&b);
	return rc;
}

/* ---- the state machine ---- */

static struct change *
change_add(struct ctx *x, enum change_kind kind, const struct pg_check *c,
    const char *name, enum pg_status from, enum pg_status to)
{
	struct change *ch;

	if (x->ch.n == x->ch.cap) {
		x->ch.cap = x->ch.cap ? x->ch.cap * 2 : 16;
		x->ch.v = ops_xreallocarray(x->ch.v, x->ch.cap,
		    sizeof(*x->ch.v));
	}
	ch = &x->ch.v[x->ch.n++];
	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	ch->c = c;
	ch->name = name;
	ch->from = from;
	ch->to = to;
	ch->since = x->o->now;
	if (c)
		snprintf(ch->message, sizeof(ch->message), "%s",
		    c->r.message);
	return ch;
}

static enum change_kind
kind_of(enum pg_status to)
{
	if (to == PG_OK)
		return CH_RECOVERED;
	if (to == PG_WARNING)
		return CH_WARNING;
	return CH_DOWN;
}

static void
fold_result(struct ctx *x, const struct pg_check *c)
{
	struct pg_state *p = state_find(&x->st, c->t->name);
	enum pg_status s = c->r.status, old;

	if (p == NULL) {
		p = state_add(&x->st, c->t->name);
		p->since = x->o->now;
	}
	old = p->status;
	if (s == PG_OK) {
		p->attempts = 0;
		if (old != PG_OK) {
			struct change *ch = change_add(x, CH_RECOVERED, c,
			    p->name, old, PG_OK);

			ch->since = p->since; /* down since */
			p->status = PG_OK;
			p->since = x->o->now;
		}
	} else {
		if (p->attempts < 1000000000L)
			p->attempts++;
		if ((old != PG_OK && s != old) ||
		    (old == PG_OK && p->attempts >= c->t->attempts)) {
			change_add(x, kind_of(s), c, p->name, old, s);
			p->status = s;
			p->since = x->o->now;
		}
	}
	p->last = s;
	p->last_ts = x->o->now;
}

/* Targets still down whose last alert is older than [alert] renotify. */
static int
renotify(struct ctx *x, struct pg_check *v, size_t n, struct ops_err *err)
{
	long long every;
	size_t i, k;

	if (ops_conf_get_duration_ms(&x->cli->conf, "alert", NULL, "renotify",
		&every, err) < 0)
		return -1;
	if (every <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct pg_state *p = state_find(&x->st, v[i].t->name);
		bool changed = false;

		if (p == NULL || p->status == PG_OK ||
		    p->status == PG_WARNING || p->last_alert == 0 ||
		    (x->o->now - p->last_alert) * 1000 < every)
			continue;
		for (k = 0; k < x->ch.n; k++)
			if (x->ch.v[k].c == &v[i])
				changed = true;
		if (!changed) {
			struct change *ch = change_add(x, CH_STILL, &v[i],
			    p->name, p->status, p->status);

			ch->since = p->since;
		}
	}
	return 0;
}

static int
gap_check(struct ctx *x, int64_t last, struct ops_err *err)
{
	long long every;
	char a[24], b[24];
	struct change *ch;

	if (ops_conf_get_duration_ms(&x->cli->conf, "ping", NULL, "interval",
		&every, err) < 0)
		return -1;
	if (last == 0 || every <= 0 || (x->o->now - last) * 1000 <= 2 * every)
		return 0;
	ch = change_add(x, CH_GAP, NULL, "*", PG_OK, PG_UNKNOWN);
	ch->since = last;
	ops_format_duration(x->o->now - last, a, sizeof(a));
	ops_format_duration(every / 1000, b, sizeof(b));
	if (x->cli->lang == OPS_LANG_JA)
		snprintf(ch->message, sizeof(ch->message),
		    "%s のあいだ記録がありません (間隔 %s): "
		    "監視が止まっていました",
		    a, b);
	else
		snprintf(ch->message, sizeof(ch->message),
		    "no recorded run for %s (interval %s): monitoring was "
		    "not running",
		    a, b);
	return 0;
}

/* ---- silencing ---- */

static const struct pg_target *
target_named(struct pg_check *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].t->name, name) == 0)
			return v[i].t;
	return NULL;
}

static int
silence(struct ctx *x, struct pg_check *v, size_t n, struct ops_err *err)
{
	struct pg_maint *m;
	size_t nm, i;

	if (pg_maint_load(x->cli->dir, x->cli->strict, &m, &nm, err) < 0)
		return -1;
	for (i = 0; i < x->ch.n; i++) {
		struct change *ch = &x->ch.v[i];
		const struct pg_target *t = ch->c ? ch->c->t : NULL;
		int hops = 0;

		ch->deliver = true;
		if (t && pg_maint_active(m, nm, t->name, x->o->now)) {
			ch->sent = "maintenance";
			ch->deliver = false;
			continue;
		}
		/* any ancestor down silences (not a recovery) */
		while (t && t->parent && hops++ < 64 && ch->to != PG_OK) {
			struct pg_state *p = state_find(&x->st, t->parent);

			if (p && (p->status == PG_CRITICAL ||
				     p->status == PG_UNKNOWN)) {
				ch->sent = "parent";
				ch->deliver = false;
				break;
			}
			t = target_named(v, n, t->parent);
		}
	}
	pg_maint_free(m, nm);
	return 0;
}

/* ---- tickets ---- */

static void
tickets(struct ctx *x)
{
	bool on;
	struct ops_err err;
	size_t i;

	if (ops_conf_get_bool(&x->cli->conf, "alert", NULL, "ticket", &on,
		&err) < 0 ||
	    !on)
		return;
	for (i = 0; i < x->ch.n; i++) {
		struct change *ch = &x->ch.v[i];
		struct pg_state *p;
		char ts[OPS_RFC3339_SIZE], title[400], note[600], d[24];

		if (!ch->deliver || ch->c == NULL)
			continue;
		p = state_find(&x->st, ch->name);
		ops_rfc3339_format(x->o->now, ts);
		if (ch->kind == CH_DOWN && p->ticket == 0) {
			struct ops_ticket_ev ev[4];
			long id;

			snprintf(title, sizeof(title), "%s %s: %s", ch->name,
			    L(x, "down", "停止"), ch->message);
			ev[0] = (struct ops_ticket_ev){"new", "title", title};
			ev[1] = (struct ops_ticket_ev){"set", "kind",
			    "incident"};
			ev[2] = (struct ops_ticket_ev){"set", "occurred", ts};
			ev[3] = (struct ops_ticket_ev){"set", "target",
			    ch->name};
			if (ops_ticket_append(x->cli->dir, 0, ts, ev, 4,
				x->o->by, (int)x->lock_ms, &id, &err) < 0) {
				ops_warn("%s: cannot open a ticket: %s",
				    ch->name, err.msg);
				continue;
			}
			p->ticket = id;
		} else if (ch->kind == CH_RECOVERED && p->ticket != 0) {
			struct ops_ticket_ev ev;

			ops_format_duration(x->o->now - ch->since, d,
			    sizeof(d));
			snprintf(note, sizeof(note), "%s %s (%s, %s %s): %s",
			    ch->name, L(x, "recovered", "復旧"), ts,
			    L(x, "down for", "停止時間"), d, ch->message);
			ev = (struct ops_ticket_ev){"note", "", note};
			if (ops_ticket_append(x->cli->dir, p->ticket, ts, &ev,
				1, x->o->by, (int)x->lock_ms, NULL,
				&err) < 0) {
				ops_warn("%s: cannot add a note to ticket "
					 "%ld: %s",
				    ch->name, p->ticket, err.msg);
				continue;
			}
			p->ticket = 0;
		}
	}
}

/* ---- mail ---- */

static const char *
kind_word(const struct ctx *x, enum change_kind k)
{
	switch (k) {
	case CH_DOWN:
		return L(x, "DOWN", "停止");
	case CH_RECOVERED:
		return L(x, "RECOVERED", "復旧");
	case CH_WARNING:
		return L(x, "WARNING", "警告");
	case CH_STILL:
		return L(x, "STILL DOWN", "停止継続");
	case CH_GAP:
		return L(x, "MONITORING GAP", "監視の中断");
	}
	return "?";
}

/* Mails sent in the hour before now, from alerts.tsv (distinct ts). */
static long
mails_last_hour(const char *dir, int64_t now)
{
	static const char *const names[] = {"ts", "sent"};
	struct ops_tsv_reader r;
	struct ops_err err;
	int idx[2];
	char last[OPS_RFC3339_SIZE] = "";
	char *path = ops_path_join(dir, PG_ALERTS_STORE);
	long count = 0;
	int rc;

	rc = ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, &err);
	free(path);
	if (rc < 0)
		return 0;
	if (r.ncols == 0 || ops_tsv_columns(&r, names, idx, 2, &err) < 0) {
		ops_tsv_close(&r);
		return 0;
	}
	while ((rc = ops_tsv_next(&r, &err)) != 0) {
		int64_t t;

		if (rc == -1)
			break;
		if (rc == OPS_TSV_BAD || strcmp(r.f[idx[1]], "yes") != 0 ||
		    ops_rfc3339_parse(r.f[idx[0]], r.fl[idx[0]], &t, NULL) <
			0 ||
		    t <= now - 3600 || t > now)
			continue;
		if (strcmp(last, r.f[idx[0]]) != 0) {
			count++;
			snprintf(last, sizeof(last), "%s", r.f[idx[0]]);
		}
	}
	ops_tsv_close(&r);
	return count;
}

static void
subject_group(const struct ctx *x, struct ops_buf *s, enum change_kind k)
{
	size_t i, shown = 0, total = 0;

	for (i = 0; i < x->ch.n; i++)
		if (x->ch.v[i].deliver && x->ch.v[i].kind == k)
			total++;
	if (total == 0)
		return;
	if (s->len > 0)
		ops_buf_puts(s, " / ");
	ops_buf_puts(s, kind_word(x, k));
	if (k == CH_GAP)
		return;
	ops_buf_puts(s, ": ");
	for (i = 0; i < x->ch.n && shown < 5; i++) {
		if (!x->ch.v[i].deliver || x->ch.v[i].kind != k)
			continue;
		if (shown++)
			ops_buf_puts(s, ", ");
		ops_buf_puts(s, x->ch.v[i].name);
	}
	if (total > shown) {
		char more[32];

		snprintf(more, sizeof(more), " +%zu", total - shown);
		ops_buf_puts(s, more);
	}
}

static void
body_group(const struct ctx *x, struct ops_buf *b, enum change_kind k)
{
	size_t i;

	for (i = 0; i < x->ch.n; i++) {
		const struct change *ch = &x->ch.v[i];
		char line[1200], ts[OPS_RFC3339_SIZE];

		if (!ch->deliver || ch->kind != k)
			continue;
		ops_rfc3339_format(ch->since, ts);
		if (k == CH_GAP)
			snprintf(line, sizeof(line), "%s  (%s %s)\n",
			    kind_word(x, k), L(x, "last run", "前回の実行"),
			    ts);
		else
			snprintf(line, sizeof(line),
			    "%s  %s  %s -> %s  (%s %s)\n", kind_word(x, k),
			    ch->name, pg_status_name[ch->from],
			    pg_status_name[ch->to], L(x, "since", "開始"),
			    ts);
		ops_buf_puts(b, line);
		if (ch->c) {
			snprintf(line, sizeof(line), "    %s\n",
			    ch->c->t->spec);
			ops_buf_puts(b, line);
		}
		snprintf(line, sizeof(line), "    %s\n\n", ch->message);
		ops_buf_puts(b, line);
	}
}

static void
mail(struct ctx *x)
{
	static const enum change_kind order[] = {
	    CH_GAP, CH_DOWN, CH_STILL, CH_WARNING, CH_RECOVERED};
	const char *to[MAX_MAILTO];
	size_t nto, i, ndeliver = 0;
	long long limit;
	struct ops_err err;
	const char *sent;

	nto = ops_conf_get_all(&x->cli->conf, "alert", NULL, "mailto", to,
	    MAX_MAILTO);
	for (i = 0; i < x->ch.n; i++)
		if (x->ch.v[i].deliver)
			ndeliver++;
	if (ndeliver == 0)
		return;
	if (nto == 0) {
		sent = "none";
	} else if (ops_conf_get_int(&x->cli->conf, "alert", NULL,
		       "mail-limit", &limit, &err) == 0 &&
	    limit > 0 && mails_last_hour(x->cli->dir, x->o->now) >= limit) {
		ops_warn("%zu alert(s) not mailed: [alert] mail-limit of "
			 "%lld mails an hour reached (see %s)",
		    ndeliver, limit, PG_ALERTS_STORE);
		sent = "limited";
	} else {
		struct ops_buf subj, body, pw, groups;
		struct ops_mail m;
		struct ops_smtp s;
		const char *from, *pwfile;
		char host[256];
		size_t k;

		ops_buf_init(&subj, 0);
		ops_buf_init(&body, 0);
		ops_buf_init(&pw, 4096);
		ops_buf_init(&groups, 0);
		ops_buf_puts(&subj, "[ops] ");
		for (k = 0; k < OPS_ARRAY_SIZE(order); k++) {
			subject_group(x, &groups, order[k]);
			body_group(x, &body, order[k]);
		}
		ops_buf_puts(&subj, groups.data);
		ops_buf_puts(&body, L(x,
		    "-- \nopsping: every change is also in alerts.tsv\n",
		    "-- \nopsping: 変化はすべて alerts.tsv に記録されています\n"));
		from = ops_conf_get(&x->cli->conf, "alert", NULL,
		    "mail-from");
		if (from == NULL) {
			static char def[300];

			if (gethostname(host, sizeof(host)) < 0)
				snprintf(host, sizeof(host), "localhost");
			host[sizeof(host) - 1] = '\0';
			snprintf(def, sizeof(def), "opsping@%s", host);
			from = def;
		}
		m = (struct ops_mail){.from = from, .to = to,
		    .nto = nto > MAX_MAILTO ? MAX_MAILTO : nto,
		    .subject = subj.data, .body = body.data};
		s = (struct ops_smtp){
		    .url = ops_conf_get(&x->cli->conf, "alert", NULL,
			"smtp-url"),
		    .user = ops_conf_get(&x->cli->conf, "alert", NULL,
			"smtp-user"),
		    .ca_file = ops_conf_get(&x->cli->conf, "alert", NULL,
			"ca-file"),
		    .timeout_ms = 30000};
		pwfile = ops_conf_get(&x->cli->conf, "alert", NULL,
		    "password-file");
		sent = "yes";
		if (s.user && pwfile == NULL &&
		    (s.password = getenv("OPS_SMTP_PASSWORD")) == NULL) {
			ops_warn("[alert] smtp-user needs password-file "
				 "(or OPS_SMTP_PASSWORD)");
			sent = "failed";
		} else if (s.user && pwfile) {
			if (ops_secret_read(pwfile, &pw, &err) < 0) {
				ops_err_report(&err);
				sent = "failed";
			}
			s.password = pw.data;
		}
		if (strcmp(sent, "yes") == 0 &&
		    ops_mail_send(&s, &m, &err) < 0) {
			ops_warn("alert mail not sent: %s", err.msg);
			sent = "failed";
		}
		ops_buf_release(&subj);
		ops_buf_release(&body);
		ops_buf_release(&pw);
		ops_buf_release(&groups);
	}
	for (i = 0; i < x->ch.n; i++)
		if (x->ch.v[i].deliver)
			x->ch.v[i].sent = sent;
}

/* ---- [alert] command ---- */

static const char *const kind_env[] = {
    "down", "recovered", "warning", "still-down", "gap"};

static void
run_command(struct ctx *x, const char *cmd, const struct change *ch,
    long long timeout_ms)
{
	char ts[OPS_RFC3339_SIZE], since[OPS_RFC3339_SIZE];
	int64_t end;
	pid_t pid, w;
	int status = 0;

	ops_rfc3339_format(x->o->now, ts);
	ops_rfc3339_format(ch->since, since);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ops_warn("[alert] command: cannot fork:");
		return;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		dup2(2, 1); /* stdout holds our rows: its output goes to stderr */
		unsetenv("OPS_SMTP_PASSWORD");
		setenv("OPS_ALERT_KIND", kind_env[ch->kind], 1);
		setenv("OPS_ALERT_NAME", ch->name, 1);
		setenv("OPS_ALERT_TARGET", ch->c ? ch->c->t->spec : "", 1);
		setenv("OPS_ALERT_FROM",
		    ch->kind == CH_GAP ? "" : pg_status_name[ch->from], 1);
		setenv("OPS_ALERT_TO",
		    ch->kind == CH_GAP ? "GAP" : pg_status_name[ch->to], 1);
		setenv("OPS_ALERT_MESSAGE", ch->message, 1);
		setenv("OPS_ALERT_TIME", ts, 1);
		setenv("OPS_ALERT_SINCE", since, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	end = ops_clock_mono_ms() + timeout_ms;
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (ops_clock_mono_ms() >= end) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			ops_warn("[alert] command for %s killed after %lld ms",
			    ch->name, timeout_ms);
			return;
		}
		(void)poll(NULL, 0, 10);
	}
	if (w == pid && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		ops_warn("[alert] command for %s failed (%s %d)", ch->name,
		    WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status)
				      : WTERMSIG(status));
}

static void
commands(struct ctx *x)
{
	const char *cmd = ops_conf_get(&x->cli->conf, "alert", NULL,
	    "command");
	long long to;
	struct ops_err err;
	size_t i;

	if (cmd == NULL || *cmd == '\0')
		return;
	if (ops_conf_get_duration_ms(&x->cli->conf, "alert", NULL,
		"command-timeout", &to, &err) < 0)
		to = 30000;
	for (i = 0; i < x->ch.n; i++)
		if (x->ch.v[i].deliver)
			run_command(x, cmd, &x->ch.v[i], to);
}

/* ---- stores ---- */

static int
append_checks(struct ops_store *st, struct pg_check *v, size_t n,
    int64_t now, struct ops_err *err)
{
	struct ops_buf b;
	char ts[OPS_RFC3339_SIZE];
	size_t i;
	int rc;

	ops_buf_init(&b, 0);
	ops_rfc3339_format(now, ts);
	for (i = 0; i < n; i++) {
		char ms[PG_MS_SIZE];
		const char *f[PG_ROW_COLS];

		pg_row(&v[i], ts, ms, f);
		if (ops_tsv_row(&b, f, PG_ROW_COLS) < 0)
			ops_fatal(OPS_EXIT_FAIL, "result row too large");
	}
	rc = ops_store_append(st, b.data, b.len, err);
	ops_buf_release(&b);
	return rc;
}

static int
append_alerts(struct ctx *x, struct ops_err *err)
{
	struct ops_store st;
	struct ops_buf b;
	char ts[OPS_RFC3339_SIZE];
	size_t i;
	int rc;

	if (x->ch.n == 0)
		return 0;
	ops_buf_init(&b, 0);
	ops_rfc3339_format(x->o->now, ts);
	for (i = 0; i < x->ch.n; i++) {
		const struct change *ch = &x->ch.v[i];
		const char *f[6] = {ts, ch->name,
		    ch->kind == CH_GAP ? "" : pg_status_name[ch->from],
		    ch->kind == CH_GAP ? "GAP" : pg_status_name[ch->to],
		    ch->message, ch->sent ? ch->sent : "none"};

		if (ops_tsv_row(&b, f, 6) < 0)
			ops_fatal(OPS_EXIT_FAIL, "alert row too large");
	}
	rc = ops_store_open(&st, x->cli->dir, PG_ALERTS_STORE, alerts_cols,
	    OPS_ARRAY_SIZE(alerts_cols), 0640, err);
	if (rc == 0 && (rc = ops_store_lock(&st, (int)x->lock_ms, err)) == 0)
		rc = ops_store_append(&st, b.data, b.len, err);
	ops_store_close(&st);
	ops_buf_release(&b);
	return rc;
}

int
pg_alert_conf_check(const struct ops_conf *c, struct ops_err *err)
{
	const char *to[MAX_MAILTO + 1];
	size_t n, i;
	const char *keys[] = {"mail-from"};

	n = ops_conf_get_all(c, "alert", NULL, "mailto", to, MAX_MAILTO + 1);
	if (n > MAX_MAILTO)
		return ops_err_at(err, OPS_EXIT_USAGE, c->path, 0,
		    "[alert] mailto: at most %d recipients", MAX_MAILTO);
	for (i = 0; i < n + 1; i++) {
		const char *v = i < n ? to[i]
				      : ops_conf_get(c, "alert", NULL, keys[0]);
		struct ops_err e;

		if (v == NULL || ops_mail_addr_check(v, &e) == 0)
			continue;
		return ops_err_at(err, OPS_EXIT_USAGE, c->path, 0,
		    "[alert] %s: %s", i < n ? "mailto" : keys[0], e.msg);
	}
	return 0;
}

int
pg_last_check_ts(const char *dir, int64_t *ts, struct ops_err *err)
{
	enum { TAIL = 64 * 1024 };
	char *path = ops_path_join(dir, PG_CHECKS_STORE), *buf, *end, *line;
	struct stat sb;
	off_t from;
	ssize_t got;
	int fd;

	*ts = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = errno == ENOENT
			     ? 0
			     : ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);

		free(path);
		return rc;
	}
	if (fstat(fd, &sb) < 0) {
		close(fd);
		ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
		free(path);
		return -1;
	}
	from = sb.st_size > TAIL ? sb.st_size - TAIL : 0;
	buf = ops_xmalloc(TAIL + 1);
	got = pread(fd, buf, (size_t)(sb.st_size - from), from);
	close(fd);
	if (got < 0) {
		free(buf);
		ops_err_set(err, OPS_EXIT_FAIL, "%s:", path);
		free(path);
		return -1;
	}
	free(path);
	buf[got] = '\0';
	end = buf + got;
	while (end > buf && end[-1] != '\n') /* torn last line */
		end--;
	while (end > buf) {
		char *tab;

		line = end - 1;
		while (line > buf && line[-1] != '\n')
			line--;
		if (line == buf && from > 0)
			break; /* may be partial */
		tab = memchr(line, '\t', (size_t)(end - line));
		if (tab && ops_rfc3339_parse(line, (size_t)(tab - line), ts,
			       NULL) == 0)
			break;
		end = line;
	}
	free(buf);
	return 0;
}

int
pg_record(struct ops_cli *cli, struct pg_check *v, size_t n,
    const struct pg_record_opts *o, struct ops_err *err)
{
	struct ctx x;
	struct ops_store st;
	char *spath = ops_path_join(cli->dir, PG_STATE_STORE);
	int64_t last;
	size_t i;
	int rc = -1;

	memset(&x, 0, sizeof(x));
	x.cli = cli;
	x.o = o;
	if (ops_conf_get_duration_ms(&cli->conf, "ping", NULL, "lock-timeout",
		&x.lock_ms, err) < 0)
		goto out;
	if (x.lock_ms > INT32_MAX)
		x.lock_ms = INT32_MAX;
	if (ops_store_open(&st, cli->dir, PG_CHECKS_STORE, checks_cols,
		OPS_ARRAY_SIZE(checks_cols), 0640, err) < 0)
		goto out;
	if (ops_store_lock(&st, (int)x.lock_ms, err) < 0) {
		ops_store_close(&st);
		goto out;
	}
	if (pg_last_check_ts(cli->dir, &last, err) < 0 ||
	    state_load(&x, spath, err) < 0)
		goto unlock;
	if (o->alert && gap_check(&x, last, err) < 0)
		goto unlock;
	for (i = 0; i < n; i++)
		fold_result(&x, &v[i]);
	if (o->alert) {
		if (renotify(&x, v, n, err) < 0 || silence(&x, v, n, err) < 0)
			goto unlock;
		tickets(&x);
		for (i = 0; i < x.ch.n; i++) {
			struct pg_state *p;

			if (!x.ch.v[i].deliver || x.ch.v[i].c == NULL)
				continue;
			p = state_find(&x.st, x.ch.v[i].name);
			if (p)
				p->last_alert = o->now;
		}
	}
	if (append_checks(&st, v, n, o->now, err) < 0 ||
	    state_save(&x, spath, err) < 0)
		goto unlock;
	ops_store_close(&st);
	rc = 0;
	if (o->alert) {
		mail(&x);
		commands(&x);
		rc = append_alerts(&x, err);
	}
	goto out;
unlock:
	ops_store_close(&st);
out:
	free(spath);
	states_release(&x.st);
	free(x.ch.v);
	return rc;
}
