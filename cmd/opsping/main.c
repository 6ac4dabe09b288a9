/*
 * opsping - concurrent ICMP, TCP and HTTP(S) checks, state and alerts
 * SPDX-License-Identifier: MIT
 *
 * See opsping(1).  One run: parse the targets, run every engine at once in
 * its own thread until one deadline, apply the latency thresholds, print
 * one row per target, and with --record/--alert keep state and alert.
 */
#include "compat.h"

#include <sys/random.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "num.h"
#include "out.h"
#include "store.h"
#include "tsv.h"

#include "opsping.h"

static const char usage_text[] =
    "usage: opsping [-v] [-d dir] [-c file] [--lang ja|en] [--targets file]\n"
    "           [--record] [--alert] [--timeout ms] [--jobs n]\n"
    "           [--format tsv|csv|json|text|nagios|prom] [--prom-file file]\n"
    "           [--no-header] [--bom] [--strict] [--accept-new-hostkey]\n"
    "           [target ...]\n"
    "       opsping --stale duration [-d dir]\n"
    "       opsping maint add --from ts --to ts [--reason text] [--by name]\n"
    "           name|glob\n"
    "       opsping maint list [--format tsv|csv|json|text] [--no-header]\n"
    "           [--strict]\n";

enum {
	O_TARGETS = OPS_OPT_CMD,
	O_RECORD,
	O_ALERT,
	O_TIMEOUT,
	O_JOBS,
	O_PROM_FILE,
	O_STALE,
	O_FROM,
	O_TO,
	O_REASON,
	O_BY,
	O_ACCEPT_NEW,
};

static const struct option longopts[] = {
    OPS_CLI_LONGOPTS,
    {"targets", required_argument, NULL, O_TARGETS},
    {"record", no_argument, NULL, O_RECORD},
    {"alert", no_argument, NULL, O_ALERT},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"jobs", required_argument, NULL, O_JOBS},
    {"prom-file", required_argument, NULL, O_PROM_FILE},
    {"stale", required_argument, NULL, O_STALE},
    {"from", required_argument, NULL, O_FROM},
    {"to", required_argument, NULL, O_TO},
    {"reason", required_argument, NULL, O_REASON},
    {"by", required_argument, NULL, O_BY},
    {"accept-new-hostkey", no_argument, NULL, O_ACCEPT_NEW},
    {NULL, 0, NULL, 0},
};

enum fmt { F_TSV, F_CSV, F_JSON, F_TEXT, F_NAGIOS, F_PROM };

struct opts {
	struct ops_cli cli;
	const char *targets, *timeout, *jobs, *prom_file, *stale;
	const char *from, *to, *reason, *by;
	bool record, alert, accept_new;
	enum fmt fmt;
	struct ops_buf passphrase; /* [ssh] password-file */
};

static OPS_NORETURN void
usage(int code)
{
	fputs(usage_text, code ? stderr : stdout);
	exit(code);
}

static int
parse(struct opts *o, int argc, char **argv)
{
	int c;

	/* options may follow operands: "opsping web01 --format text" */
	while ((c = getopt_long(argc, argv, OPS_CLI_SHORT, longopts,
		    NULL)) != -1) {
		if (ops_cli_option(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(OPS_EXIT_OK);
		case 'V':
			printf("opsping %s\n", OPS_VERSION);
			exit(OPS_EXIT_OK);
		case O_TARGETS:
			o->targets = optarg;
			break;
		case O_RECORD:
			o->record = true;
			break;
		case O_ALERT:
			o->alert = true;
			break;
		case O_TIMEOUT:
			o->timeout = optarg;
			break;
		case O_JOBS:
			o->jobs = optarg;
			break;
		case O_PROM_FILE:
			o->prom_file = optarg;
			break;
		case O_STALE:
			o->stale = optarg;
			break;
		case O_FROM:
			o->from = optarg;
			break;
		case O_TO:
			o->to = optarg;
			break;
		case O_REASON:
			o->reason = optarg;
			break;
		case O_BY:
			o->by = optarg;
			break;
		case O_ACCEPT_NEW:
			o->accept_new = true;
			break;
		default:
			usage(OPS_EXIT_USAGE);
		}
	}
	return optind;
}

static int
fail(const struct ops_err *err)
{
	return ops_err_report(err);
}

/* ---- engines in threads ---- */

struct engine {
	enum pg_kind kind;
	struct pg_check **v;
	size_t n;
	const struct pg_opts *o;
	struct ops_err err;
	int rc;
	pthread_t th;
	bool started;
};

static void *
engine_main(void *arg)
{
	struct engine *e = arg;

	ops_err_clear(&e->err);
	switch (e->kind) {
	case PG_ICMP:
	case PG_TCP:
		e->rc = pg_resolve(e->v, e->n, e->o, &e->err);
		if (e->rc == 0)
			e->rc = e->kind == PG_ICMP
				    ? pg_icmp_run(e->v, e->n, e->o, &e->err)
				    : pg_tcp_run(e->v, e->n, e->o, &e->err);
		break;
	case PG_HTTP:
		e->rc = pg_http_run(e->v, e->n, e->o, &e->err);
		break;
	case PG_SSH:
		e->rc = pg_ssh_run(e->v, e->n, e->o, &e->err);
		break;
	default:
		e->rc = 0;
		break;
	}
	return NULL;
}

/* Run every check; returns the worst engine set-up failure (0 or 3). */
static int
run_checks(struct pg_check *v, size_t n, const struct pg_opts *o)
{
	struct engine e[PG_KIND_COUNT];
	size_t i, k, cnt[PG_KIND_COUNT] = {0};
	int rc = OPS_EXIT_OK;

	memset(e, 0, sizeof(e));
	for (i = 0; i < n; i++)
		cnt[v[i].t->kind]++;
	for (k = 0; k < PG_KIND_COUNT; k++) {
		e[k].kind = (enum pg_kind)k;
		e[k].o = o;
		e[k].v = ops_xcalloc(cnt[k] ? cnt[k] : 1, sizeof(*e[k].v));
	}
	for (i = 0; i < n; i++) {
		struct engine *x = &e[v[i].t->kind];

		x->v[x->n++] = &v[i];
	}
	for (k = 0; k < PG_KIND_COUNT; k++) {
		if (e[k].n == 0)
			continue;
		if (pthread_create(&e[k].th, NULL, engine_main, &e[k]) != 0) {
			engine_main(&e[k]); /* run it here instead */
			continue;
		}
		e[k].started = true;
	}
	for (k = 0; k < PG_KIND_COUNT; k++) {
		if (e[k].started)
			pthread_join(e[k].th, NULL);
		if (e[k].rc < 0) {
			ops_err_report(&e[k].err);
			rc = OPS_EXIT_FAIL;
		}
		free(e[k].v);
	}
	/* an engine must leave no check without a result */
	for (i = 0; i < n; i++)
		if (!v[i].r.done)
			pg_result_set(&v[i], PG_UNKNOWN, -1,
			    "internal error: no result");
	return rc;
}

/* warn= and crit= on the measured time (not for probes: their value) */
static void
thresholds(struct pg_check *c)
{
	const struct pg_target *t = c->t;
	char r[80];

	if (t->kind == PG_SSH || c->r.ms < 0 ||
	    (c->r.status != PG_OK && c->r.status != PG_WARNING))
		return;
	if (ops_range_alert(&t->crit, c->r.ms)) {
		c->r.status = PG_CRITICAL;
		ops_range_format(&t->crit, 1, r, sizeof(r));
		snprintf(c->r.message + strlen(c->r.message),
		    sizeof(c->r.message) - strlen(c->r.message),
		    "; %.3f ms is outside crit=%s", c->r.ms, r);
	} else if (c->r.status == PG_OK &&
		   ops_range_alert(&t->warn, c->r.ms)) {
		c->r.status = PG_WARNING;
		ops_range_format(&t->warn, 1, r, sizeof(r));
		snprintf(c->r.message + strlen(c->r.message),
		    sizeof(c->r.message) - strlen(c->r.message),
		    "; %.3f ms is outside warn=%s", c->r.ms, r);
	}
}

/* ---- output ---- */

static const struct ops_out_col out_cols[] = {
    {"ts", "ts", false},
    {"name", "name", false},
    {"check", "check", false},
    {"status", "status", false},
    {"ms", "ms", true},
    {"value", "value", false},
    {"message", "message", false},
};

static int
print_rows(const struct opts *o, struct pg_check *v, size_t n, int64_t now,
    struct ops_err *err)
{
	static const enum ops_out_fmt map[] = {
	    OPS_OUT_TSV, OPS_OUT_CSV, OPS_OUT_JSON, OPS_OUT_TEXT};
	struct ops_out out;
	char ts[OPS_RFC3339_SIZE];
	size_t i;

	ops_rfc3339_format(now, ts);
	ops_out_begin(&out, stdout, map[o->fmt], o->cli.out_flags, out_cols,
	    OPS_ARRAY_SIZE(out_cols));
	for (i = 0; i < n; i++) {
		char ms[PG_MS_SIZE];
		const char *f[PG_ROW_COLS];

		pg_row(&v[i], ts, ms, f);
		if (ops_out_row(&out, f) < 0) {
			ops_out_discard(&out);
			return ops_err_set(err, OPS_EXIT_FAIL,
			    "result row too large");
		}
	}
	return ops_out_end(&out, err);
}

static const char *const kind_label[PG_KIND_COUNT] = {
    "PING", "TCP", "HTTP", "SSH"};

/* Monitoring Plugins output: "HTTP OK - message | perfdata" */
static void
print_nagios(const struct pg_check *c)
{
	const struct pg_target *t = c->t;
	char w[80], k[80];

	printf("%s %s - %s", kind_label[t->kind], pg_status_name[c->r.status],
	    c->r.message);
	if (t->kind == PG_SSH && c->r.value[0]) {
		ops_range_format(&t->warn, 1, w, sizeof(w));
		ops_range_format(&t->crit, 1, k, sizeof(k));
		printf(" | value=%s;%s;%s", c->r.value, w, k);
	} else if (c->r.ms >= 0) {
		ops_range_format(&t->warn, 1000, w, sizeof(w));
		ops_range_format(&t->crit, 1000, k, sizeof(k));
		printf(" | time=%.6fs;%s;%s;0", c->r.ms / 1000, w, k);
	}
	putchar('\n');
}

/* A Prometheus label value: \\ \" \n escaped. */
static void
prom_label(struct ops_buf *b, const char *s)
{
	for (; *s; s++) {
		int rc;

		if (*s == '\\')
			rc = ops_buf_adds(b, "\\\\");
		else if (*s == '"')
			rc = ops_buf_adds(b, "\\\"");
		else if (*s == '\n')
			rc = ops_buf_adds(b, "\\n");
		else
			rc = ops_buf_addc(b, *s);
		if (rc < 0)
			ops_fatal(OPS_EXIT_FAIL, "out of memory");
	}
}

static void
prom_metric(struct ops_buf *b, const char *metric, const char *help,
    const struct pg_check *v, size_t n, int which)
{
	char line[256];
	size_t i;

	snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s gauge\n",
	    metric, help, metric);
	ops_buf_puts(b, line);
	for (i = 0; i < n; i++) {
		const struct pg_check *c = &v[i];
		double val;
		char *end;

		if (which == 0) {
			val = c->r.status == PG_OK || c->r.status == PG_WARNING;
		} else if (which == 1) {
			val = c->r.status;
		} else if (which == 2) {
			if (c->r.ms < 0)
				continue;
			val = c->r.ms / 1000;
		} else {
			if (c->r.value[0] == '\0')
				continue;
			val = strtod(c->r.value, &end);
			if (*end != '\0' || !isfinite(val))
				continue;
		}
		ops_buf_puts(b, metric);
		ops_buf_puts(b, "{name=\"");
		prom_label(b, c->t->name);
		ops_buf_puts(b, "\",check=\"");
		prom_label(b, c->t->spec);
		snprintf(line, sizeof(line), "\"} %.9g\n", val);
		ops_buf_puts(b, line);
	}
}

static int
print_prom(const struct opts *o, const struct pg_check *v, size_t n,
    struct ops_err *err)
{
	struct ops_buf b;
	int rc = 0;

	ops_buf_init(&b, 0);
	prom_metric(&b, "ops_up", "1 when the check is OK or WARNING.", v, n,
	    0);
	prom_metric(&b, "ops_status",
	    "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.", v, n, 1);
	prom_metric(&b, "ops_check_seconds", "Time the check took.", v, n, 2);
	prom_metric(&b, "ops_value", "Value of an ssh:// probe.", v, n, 3);
	if (o->prom_file) {
		struct ops_atomic a;

		rc = ops_atomic_begin(&a, o->prom_file, 0644, err);
		if (rc == 0 &&
		    (rc = ops_atomic_write(&a, b.data, b.len, err)) < 0)
			ops_atomic_abort(&a);
		if (rc == 0)
			rc = ops_atomic_commit(&a, err);
	} else {
		fwrite(b.data, 1, b.len, stdout);
	}
	ops_buf_release(&b);
	return rc;
}

/* ---- targets ---- */

static int
load_targets(struct opts *o, int argc, char **argv, struct pg_target ***tv,
    size_t *n, struct ops_err *err)
{
	char *def = NULL;
	const char *path;
	int i, rc;

	if (argc > 0) {
		*tv = ops_xcalloc((size_t)argc, sizeof(**tv));
		*n = 0;
		for (i = 0; i < argc; i++) {
			struct pg_target *t = pg_target_new();

			(*tv)[(*n)++] = t;
			/* an operand is its own name (set by the parser) */
			if (pg_target_parse(t, argv[i], err) < 0)
				return -1;
		}
		return 0;
	}
	path = o->targets;
	if (path == NULL)
		path = ops_conf_get(&o->cli.conf, "ping", NULL, "targets");
	if (path == NULL)
		path = def = ops_path_join(o->cli.dir, "targets.tsv");
	rc = pg_targets_load(path, tv, n, err);
	if (rc < 0 && err->errnum == ENOENT && o->targets == NULL)
		ops_err_set(err, OPS_EXIT_USAGE,
		    "no targets: give them on the command line, or list them "
		    "in %s (see opsping(1))",
		    path);
	free(def);
	return rc;
}

static void
free_targets(struct pg_target **tv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pg_target_free(tv[i]);
	free(tv);
}

/* ---- --stale ---- */

static int
cmd_stale(struct opts *o)
{
	struct ops_err err;
	long long limit;
	const char *why = NULL;
	int64_t last, now = ops_clock_now();
	char age[24], lim[24];

	if (ops_parse_duration_ms(o->stale, 1000, &limit, &why) < 0 ||
	    limit <= 0) {
		ops_warn("--stale \"%s\" %s", o->stale,
		    why ? why : "must be longer than 0");
		return OPS_PLUGIN_UNKNOWN;
	}
	if (ops_cli_setup(&o->cli, OPS_CLI_NEED_DIR, &err) < 0 ||
	    pg_last_check_ts(o->cli.dir, &last, &err) < 0) {
		printf("OPSPING UNKNOWN - %s\n", err.msg);
		return OPS_PLUGIN_UNKNOWN;
	}
	ops_format_duration(limit / 1000, lim, sizeof(lim));
	if (last == 0) {
		printf("OPSPING UNKNOWN - no recorded run in %s/%s\n",
		    o->cli.dir, PG_CHECKS_STORE);
		return OPS_PLUGIN_UNKNOWN;
	}
	ops_format_duration(now - last, age, sizeof(age));
	if ((now - last) * 1000 > limit) {
		printf("OPSPING CRITICAL - last recorded run %s ago (limit %s):"
		       " monitoring has stopped | age=%llds;;%llds;0\n",
		    age, lim, (long long)(now - last), limit / 1000);
		return OPS_PLUGIN_CRITICAL;
	}
	printf("OPSPING OK - last recorded run %s ago (limit %s) | "
	       "age=%llds;;%llds;0\n",
	    age, lim, (long long)(now - last), limit / 1000);
	return OPS_PLUGIN_OK;
}

/* ---- maint ---- */

static int
check_line(const char *what, const char *v, struct ops_err *err)
{
	const unsigned char *p;
	size_t len = strlen(v);

	if (len > 1024 || !ops_utf8_valid(v, len))
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "%s must be valid UTF-8 of at most 1024 bytes", what);
	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "%s holds a control character; it must be one "
			    "line",
			    what);
	return 0;
}

static const char *const maint_cols[] = {
    "start", "end", "name", "reason", "by"};

static int
maint_add(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct ops_store st;
	struct ops_buf b;
	int64_t from, to;
	char fs[OPS_RFC3339_SIZE], ts[OPS_RFC3339_SIZE];
	const char *by = ops_cli_user(o->by), *f[5];
	long long lock_ms;
	int rc;

	if (argc != 1 || o->from == NULL || o->to == NULL) {
		ops_warn("maint add needs --from TS --to TS and one NAME or "
			 "GLOB");
		return OPS_EXIT_USAGE;
	}
	if (ops_time_parse_user(o->from, &from, &err) < 0) {
		ops_err_prefix(&err, "--from");
		return fail(&err);
	}
	if (ops_time_parse_user(o->to, &to, &err) < 0) {
		ops_err_prefix(&err, "--to");
		return fail(&err);
	}
	if (to <= from) {
		ops_warn("--to must come after --from");
		return OPS_EXIT_USAGE;
	}
	if (argv[0][0] == '\0' || check_line("NAME", argv[0], &err) < 0 ||
	    (o->reason && check_line("--reason", o->reason, &err) < 0) ||
	    check_line("--by", by, &err) < 0) {
		if (argv[0][0] == '\0')
			ops_err_set(&err, OPS_EXIT_USAGE,
			    "NAME must not be empty");
		return fail(&err);
	}
	f[0] = ops_rfc3339_format(from, fs);
	f[1] = ops_rfc3339_format(to, ts);
	f[2] = argv[0];
	f[3] = o->reason ? o->reason : "";
	f[4] = by;
	ops_buf_init(&b, 0);
	if (ops_tsv_row(&b, f, 5) < 0)
		ops_fatal(OPS_EXIT_FAIL, "row too large");
	if (ops_conf_get_duration_ms(&o->cli.conf, "ping", NULL,
		"lock-timeout", &lock_ms, &err) < 0) {
		ops_buf_release(&b);
		return fail(&err);
	}
	rc = ops_store_open(&st, o->cli.dir, PG_MAINT_STORE, maint_cols, 5,
	    0640, &err);
	if (rc == 0 && (rc = ops_store_lock(&st,
			    (int)(lock_ms > INT_MAX ? INT_MAX : lock_ms),
			    &err)) == 0)
		rc = ops_store_append(&st, b.data, b.len, &err);
	ops_store_close(&st);
	ops_buf_release(&b);
	return rc < 0 ? fail(&err) : OPS_EXIT_OK;
}

static int
maint_list(struct opts *o, int argc)
{
	static const struct ops_out_col cols[] = {
	    {"start", "start", false},
	    {"end", "end", false},
	    {"name", "name", false},
	    {"reason", "reason", false},
	    {"by", "by", false},
	    {"active", "active", false},
	};
	static const enum ops_out_fmt map[] = {
	    OPS_OUT_TSV, OPS_OUT_CSV, OPS_OUT_JSON, OPS_OUT_TEXT};
	struct ops_tsv_reader r;
	struct ops_out out;
	struct ops_err err;
	int idx[5];
	char *path;
	int64_t now = ops_clock_now();
	int rc, exit_rc = OPS_EXIT_OK;

	if (argc != 0)
		usage(OPS_EXIT_USAGE);
	if (o->fmt > F_TEXT) {
		ops_warn("maint list prints tsv, csv, json or text");
		return OPS_EXIT_USAGE;
	}
	path = ops_path_join(o->cli.dir, PG_MAINT_STORE);
	rc = ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, &err);
	free(path);
	if (rc < 0)
		return fail(&err);
	if (r.ncols > 0 && ops_tsv_columns(&r, maint_cols, idx, 5, &err) < 0) {
		ops_tsv_close(&r);
		return fail(&err);
	}
	ops_out_begin(&out, stdout, map[o->fmt], o->cli.out_flags, cols, 6);
	while (r.ncols > 0 && (rc = ops_tsv_next(&r, &err)) != 0) {
		const char *f[6];
		int64_t s, e;

		if (rc == OPS_TSV_BAD && !o->cli.strict) {
			ops_err_report(&err);
			continue;
		}
		if (rc < 0) {
			exit_rc = fail(&err);
			break;
		}
		f[0] = r.f[idx[0]];
		f[1] = r.f[idx[1]];
		f[2] = r.f[idx[2]];
		f[3] = r.f[idx[3]];
		f[4] = r.f[idx[4]];
		f[5] = ops_rfc3339_parse(f[0], r.fl[idx[0]], &s, NULL) == 0 &&
			       ops_rfc3339_parse(f[1], r.fl[idx[1]], &e,
				   NULL) == 0 &&
			       s <= now && now < e
			   ? "yes"
			   : "no";
		if (ops_out_row(&out, f) < 0)
			ops_fatal(OPS_EXIT_FAIL, "row too large");
	}
	ops_tsv_close(&r);
	if (ops_out_end(&out, &err) < 0)
		exit_rc = ops_exit_worst(exit_rc, fail(&err));
	return exit_rc;
}

static int
cmd_maint(struct opts *o, int argc, char **argv)
{
	struct ops_err err;

	if (argc < 1)
		usage(OPS_EXIT_USAGE);
	if (ops_cli_setup(&o->cli, OPS_CLI_NEED_DIR, &err) < 0)
		return fail(&err);
	if (strcmp(argv[0], "add") == 0)
		return maint_add(o, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return maint_list(o, argc - 1);
	ops_warn("unknown maint command \"%s\": use add or list", argv[0]);
	return OPS_EXIT_USAGE;
}

/* ---- a run ---- */

static int
settings(struct opts *o, struct pg_opts *po, long long *timeout,
    struct ops_err *err)
{
	const struct ops_conf *c = &o->cli.conf;
	long long jobs, v;
	const char *why;
	bool agent;

	if (ops_conf_get_duration_ms(c, "ping", NULL, "timeout", timeout,
		err) < 0 ||
	    ops_conf_get_int(c, "ping", NULL, "jobs", &jobs, err) < 0)
		return -1;
	if (*timeout < 1 || *timeout > 3600000) {
		const struct ops_conf_entry *e = ops_conf_entry(c, "ping",
		    NULL, "timeout");

		return ops_err_at(err, OPS_EXIT_USAGE, c->path,
		    e ? e->line : 0, "timeout must be 1ms to 1h");
	}
	if (o->timeout) {
		why = NULL;
		if (ops_parse_duration_ms(o->timeout, 1, timeout, &why) < 0 ||
		    *timeout < 1 || *timeout > 3600000)
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "--timeout \"%s\" %s", o->timeout,
			    why ? why : "must be 1 ms to 1 h");
	}
	if (o->jobs &&
	    ops_parse_int(o->jobs, 1, 10000, &jobs, &why) < 0)
		return ops_err_set(err, OPS_EXIT_USAGE, "--jobs \"%s\" %s",
		    o->jobs, why);
	po->jobs = (int)jobs;
	if (ops_conf_get_duration_ms(c, "ping", NULL, "icmp-interval", &v,
		err) < 0)
		return -1;
	po->icmp_interval_us = (long)(v > 60000 ? 60000000 : v * 1000);
	if (ops_conf_get_duration_ms(c, "ping", NULL, "icmp-period", &v,
		err) < 0)
		return -1;
	po->icmp_period_ms = (long)(v > 60000 ? 60000 : v);
	po->ca_file = ops_conf_get(c, "ping", NULL, "ca-file");
	po->icmp_socket = ops_conf_get(c, "ping", NULL, "icmp-socket");
	if (strcmp(po->icmp_socket, "auto") != 0 &&
	    strcmp(po->icmp_socket, "dgram") != 0 &&
	    strcmp(po->icmp_socket, "raw") != 0) {
		const struct ops_conf_entry *e = ops_conf_entry(c, "ping",
		    NULL, "icmp-socket");

		return ops_err_at(err, OPS_EXIT_USAGE, c->path,
		    e ? e->line : 0,
		    "icmp-socket must be auto, dgram or raw");
	}
	po->conf = c;
	po->ssh_user = ops_conf_get(c, "ssh", NULL, "user");
	po->ssh_identity = ops_conf_get(c, "ssh", NULL, "identity");
	po->ssh_known_hosts = ops_conf_get(c, "ssh", NULL, "known-hosts");
	po->accept_new = o->accept_new;
	if (ops_conf_get_bool(c, "ssh", NULL, "agent", &agent, err) < 0 ||
	    ops_conf_get_int(c, "ssh", NULL, "sessions-per-host", &v, err) <
		0)
		return -1;
	po->ssh_no_agent = !agent;
	po->ssh_per_host = (int)v;
	if (getrandom(&po->cookie, sizeof(po->cookie), 0) !=
	    (ssize_t)sizeof(po->cookie))
		po->cookie = (uint32_t)ops_clock_mono_ms() ^ (uint32_t)getpid();
	return 0;
}

/* The key passphrase: [ssh] password-file, else $OPS_SSH_PASSPHRASE. */
static int
ssh_passphrase(struct opts *o, struct pg_opts *po, struct ops_err *err)
{
	const char *f = ops_conf_get(&o->cli.conf, "ssh", NULL,
	    "password-file");

	if (f == NULL) {
		po->ssh_passphrase = getenv("OPS_SSH_PASSPHRASE");
		return 0;
	}
	if (ops_secret_read(f, &o->passphrase, err) < 0)
		return -1;
	po->ssh_passphrase = o->passphrase.data;
	return 0;
}

static int
cmd_run(struct opts *o, int argc, char **argv)
{
	struct ops_err err;
	struct pg_target **tv = NULL;
	struct pg_check *v = NULL;
	struct pg_opts po;
	long long timeout;
	size_t n = 0, i;
	int64_t now;
	int rc = OPS_EXIT_OK, erc;
	bool need_dir = o->record || o->alert || argc == 0;

	memset(&po, 0, sizeof(po));
	if (o->alert && !o->record) {
		ops_warn("--alert needs --record (alerts follow the recorded "
			 "state)");
		return OPS_EXIT_USAGE;
	}
	if (o->prom_file && o->fmt != F_PROM) {
		ops_warn("--prom-file needs --format prom");
		return OPS_EXIT_USAGE;
	}
	if (ops_cli_setup(&o->cli, need_dir ? OPS_CLI_NEED_DIR : 0, &err) < 0)
		return o->fmt == F_NAGIOS ? (ops_err_report(&err),
					       OPS_PLUGIN_UNKNOWN)
					  : fail(&err);
	if (settings(o, &po, &timeout, &err) < 0 ||
	    (o->alert && pg_alert_conf_check(&o->cli.conf, &err) < 0) ||
	    load_targets(o, argc, argv, &tv, &n, &err) < 0) {
		free_targets(tv, n);
		rc = fail(&err);
		return o->fmt == F_NAGIOS ? OPS_PLUGIN_UNKNOWN : rc;
	}
	for (i = 0; i < n; i++) {
		const struct pg_target *t = tv[i];

		pg_ssh_defaults(tv[i]);
		if (t->kind == PG_SSH && strncmp(t->probe, "exec=", 5) == 0 &&
		    ops_conf_get(&o->cli.conf, "probe", t->probe + 5,
			"command") == NULL) {
			if (t->file)
				ops_err_at(&err, OPS_EXIT_USAGE, t->file,
				    t->line,
				    "no [probe \"%s\"] command in %s",
				    t->probe + 5,
				    o->cli.conf_path ? o->cli.conf_path
						     : "the configuration");
			else
				ops_err_set(&err, OPS_EXIT_USAGE,
				    "no [probe \"%s\"] command in %s",
				    t->probe + 5,
				    o->cli.conf_path ? o->cli.conf_path
						     : "the configuration");
			free_targets(tv, n);
			rc = fail(&err);
			return o->fmt == F_NAGIOS ? OPS_PLUGIN_UNKNOWN : rc;
		}
		if (t->kind == PG_SSH && po.ssh_passphrase == NULL &&
		    ssh_passphrase(o, &po, &err) < 0) {
			free_targets(tv, n);
			rc = fail(&err);
			return o->fmt == F_NAGIOS ? OPS_PLUGIN_UNKNOWN : rc;
		}
	}
	if (o->fmt == F_NAGIOS && n != 1) {
		ops_warn("--format nagios checks exactly one target (%zu "
			 "given)",
		    n);
		free_targets(tv, n);
		return OPS_PLUGIN_UNKNOWN;
	}
	now = ops_clock_now();
	po.deadline = ops_clock_mono_ms() + timeout;
	v = ops_xcalloc(n ? n : 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		v[i].t = tv[i];
		v[i].r.ms = -1;
	}
	erc = run_checks(v, n, &po);
	for (i = 0; i < n; i++) {
		thresholds(&v[i]);
		if (v[i].r.status == PG_CRITICAL || v[i].r.status == PG_UNKNOWN)
			rc = OPS_EXIT_FOUND;
	}
	if (o->fmt == F_NAGIOS) {
		print_nagios(&v[0]);
		rc = (int)v[0].r.status;
	} else if (o->fmt == F_PROM) {
		if (print_prom(o, v, n, &err) < 0)
			rc = ops_exit_worst(rc, fail(&err));
	} else if (print_rows(o, v, n, now, &err) < 0) {
		rc = ops_exit_worst(rc, fail(&err));
	}
	if (o->record) {
		struct pg_record_opts ro = {
		    .alert = o->alert, .now = now, .by = "opsping"};

		if (pg_record(&o->cli, v, n, &ro, &err) < 0) {
			erc = fail(&err);
			if (o->fmt == F_NAGIOS)
				rc = OPS_PLUGIN_UNKNOWN;
		}
	}
	if (o->fmt != F_NAGIOS)
		rc = ops_exit_worst(rc, erc);
	free(v);
	free_targets(tv, n);
	return rc;
}

int
main(int argc, char **argv)
{
	static const char *const fmts[] = {
	    "tsv", "csv", "json", "text", "nagios", "prom"};
	struct opts o;
	struct ops_err err;
	int i, rc;

	ops_init(argc, argv);
	memset(&o, 0, sizeof(o));
	ops_cli_init(&o.cli);
	ops_buf_init(&o.passphrase, 4096);
	i = parse(&o, argc, argv);
	if (o.cli.format_opt) {
		size_t k;

		for (k = 0; k < OPS_ARRAY_SIZE(fmts); k++)
			if (strcmp(o.cli.format_opt, fmts[k]) == 0)
				o.fmt = (enum fmt)k;
		if (strcmp(o.cli.format_opt, fmts[o.fmt]) != 0) {
			ops_warn("unknown format \"%s\": use tsv, csv, json, "
				 "text, nagios or prom",
			    o.cli.format_opt);
			return OPS_EXIT_USAGE;
		}
	}
	if (o.stale) {
		if (i < argc)
			usage(OPS_EXIT_USAGE);
		rc = cmd_stale(&o);
	} else if (i < argc && strcmp(argv[i], "maint") == 0) {
		rc = cmd_maint(&o, argc - i - 1, argv + i + 1);
	} else {
		rc = cmd_run(&o, argc - i, argv + i);
	}
	ops_cli_release(&o.cli);
	ops_buf_release(&o.passphrase);
	if (ops_stdout_close(&err) < 0)
		rc = ops_exit_worst(rc, ops_err_report(&err));
	return rc;
}
