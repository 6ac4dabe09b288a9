/*
 * ssh.c - ssh://[user@]HOST[:PORT]/PROBE checks over lib/ssh.c
 * SPDX-License-Identifier: MIT
 *
 * Checks are grouped by user, host and port; each group is cut into at
 * most o->ssh_per_host lanes, and each lane is one session that runs its
 * probes one after the other.  Lanes run in worker threads, at most
 * o->jobs at once.  Every remote command is a fixed template; the only
 * variable parts (a mount point, a unit name) were allow-listed by the
 * target parser and are single-quoted here as well.
 *
 * Probes and their values:
 *   disk[=MOUNT]  use % of the file system holding MOUNT (df -P), default /
 *   mem           used memory % ((MemTotal - MemAvailable) / MemTotal)
 *   load          1-minute load average per online CPU
 *   service=UNIT  systemctl is-active: "active" is OK, anything else
 *                 CRITICAL (no value)
 *   exec=NAME     the command of [probe "NAME"]: its exit status in the
 *                 Monitoring Plugins sense (0 OK, 1 WARNING, 2 CRITICAL,
 *                 else UNKNOWN), its first output line the message; when
 *                 that line is a plain number it is the value too
 * warn= and crit= apply to the value; defaults: disk 80 and 90, mem 90
 * and 95, load 2 and 4 (per CPU).
 */
#include "compat.h"

#include <ctype.h>
#include <pthread.h>

#include "buf.h"
#include "clock.h"
#include "conf.h"
#include "exitcode.h"
#include "mem.h"
#include "ssh.h"

#include "opsping.h"

#define OUT_LIMIT (64 * 1024) /* probe output we read */

void
pg_ssh_defaults(struct pg_target *t)
{
	const char *w = NULL, *c = NULL, *why;

	if (t->kind != PG_SSH || t->probe == NULL)
		return;
	if (strncmp(t->probe, "disk", 4) == 0) {
		w = "80";
		c = "90";
	} else if (strcmp(t->probe, "mem") == 0) {
		w = "90";
		c = "95";
	} else if (strcmp(t->probe, "load") == 0) {
		w = "2";
		c = "4";
	}
	if (w && !t->warn.set && ops_range_parse(w, 0, &t->warn, &why) < 0)
		t->warn.set = false;
	if (c && !t->crit.set && ops_range_parse(c, 0, &t->crit, &why) < 0)
		t->crit.set = false;
}

struct lane {
	struct pg_check **v; /* the lane's checks, all to one host */
	size_t n;
};

struct pool {
	const struct pg_opts *o;
	struct lane *lanes;
	size_t nlanes;
	size_t next;           /* next lane to take, under mu */
	pthread_mutex_t mu;
	struct ops_err err;    /* the first refusal (host key, auth) */
	bool failed;
};

/* ---- probes ---- */

/* prec digits after the point; prec < 0: %g */
static void
set_value(struct pg_check *c, double v, int prec)
{
	if (prec < 0)
		snprintf(c->r.value, sizeof(c->r.value), "%g", v);
	else
		snprintf(c->r.value, sizeof(c->r.value), "%.*f", prec, v);
}

/* Apply warn/crit to v on top of status st. */
static enum pg_status
judge(const struct pg_target *t, double v, enum pg_status st)
{
	if (ops_range_alert(&t->crit, v))
		return PG_CRITICAL;
	if (ops_range_alert(&t->warn, v) && st == PG_OK)
		return PG_WARNING;
	return st;
}

/* The first line of s (NUL-terminated, at most size - 1 bytes) into buf. */
static void
first_line(const char *s, char *buf, size_t size)
{
	size_t n = strcspn(s, "\n");

	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static bool
plain_number(const char *s, double *v)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0')
		return false;
	*v = strtod(s, &end);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	return *end == '\0';
}

/* df -P: the last line's fifth field is "NN%". */
static void
probe_disk(struct pg_check *c, const struct ops_ssh_exec *x, double ms,
    const char *mount)
{
	const char *out = x->out.data ? x->out.data : "";
	const char *line = NULL, *p;
	char fields[6][256];
	int nf = 0;
	double use;

	if (x->status != 0) {
		char e[200];

		first_line(x->err.data ? x->err.data : "", e, sizeof(e));
		pg_result_set(c, PG_UNKNOWN, ms, "df %s failed (exit %d): %s",
		    mount, x->status, e);
		return;
	}
	/* the last non-empty line */
	for (p = out; *p; p++)
		if ((p == out || p[-1] == '\n') && *p != '\n')
			line = p;
	while (line && nf < 6) {
		size_t n;

		while (*line == ' ' || *line == '\t')
			line++;
		n = strcspn(line, " \t\n");
		if (n == 0)
			break;
		if (n >= sizeof(fields[0]))
			n = sizeof(fields[0]) - 1;
		memcpy(fields[nf], line, n);
		fields[nf++][n] = '\0';
		line += strcspn(line, " \t\n");
	}
	if (nf == 6 && strchr(fields[4], '%'))
		*strchr(fields[4], '%') = '\0';
	if (nf < 6 || !isdigit((unsigned char)fields[4][0]) ||
	    !plain_number(fields[4], &use)) {
		pg_result_set(c, PG_UNKNOWN, ms, "cannot read the output of df");
		return;
	}
	set_value(c, use, 0);
	pg_result_set(c, judge(c->t, use, PG_OK), ms,
	    "%s %.0f%% used (%s KiB available of %s)", fields[5], use,
	    fields[3], fields[1]);
}

static bool
meminfo(const char *s, const char *key, double *kib)
{
	size_t kl = strlen(key);

	for (; *s; s += strcspn(s, "\n"), s += *s == '\n') {
		if (strncmp(s, key, kl) == 0 && s[kl] == ':') {
			char *end;

			*kib = strtod(s + kl + 1, &end);
			return end != s + kl + 1;
		}
	}
	return false;
}

static void
probe_mem(struct pg_check *c, const struct ops_ssh_exec *x, double ms)
{
	double total, avail, used;
	const char *out = x->out.data ? x->out.data : "";

	if (x->status != 0 || !meminfo(out, "MemTotal", &total) ||
	    !meminfo(out, "MemAvailable", &avail) || total <= 0) {
		pg_result_set(c, PG_UNKNOWN, ms,
		    "cannot read /proc/meminfo (a Linux host is needed)");
		return;
	}
	used = 100 * (total - avail) / total;
	set_value(c, used, 1);
	pg_result_set(c, judge(c->t, used, PG_OK), ms,
	    "memory %.1f%% used (%.0f MiB available of %.0f MiB)", used,
	    avail / 1024, total / 1024);
}

static void
probe_load(struct pg_check *c, const struct ops_ssh_exec *x, double ms)
{
	const char *out = x->out.data ? x->out.data : "";
	double l1, cpus, per;
	char *end;
	const char *nl;

	l1 = strtod(out, &end);
	nl = strchr(out, '\n');
	if (x->status != 0 || end == out || nl == NULL ||
	    (cpus = strtod(nl + 1, &end)) < 1 || end == nl + 1) {
		pg_result_set(c, PG_UNKNOWN, ms,
		    "cannot read /proc/loadavg and the CPU count");
		return;
	}
	per = l1 / cpus;
	set_value(c, per, 2);
	pg_result_set(c, judge(c->t, per, PG_OK), ms,
	    "load %.2f on %.0f CPUs: %.2f per CPU", l1, cpus, per);
}

static void
probe_service(struct pg_check *c, const struct ops_ssh_exec *x, double ms,
    const char *unit)
{
	char state[100], e[200];

	first_line(x->out.data ? x->out.data : "", state, sizeof(state));
	if (strcmp(state, "active") == 0) {
		pg_result_set(c, PG_OK, ms, "%s is active", unit);
		return;
	}
	if (state[0] == '\0') {
		first_line(x->err.data ? x->err.data : "", e, sizeof(e));
		pg_result_set(c, PG_UNKNOWN, ms,
		    "systemctl is-active %s failed (exit %d): %s", unit,
		    x->status, e);
		return;
	}
	pg_result_set(c, PG_CRITICAL, ms, "%s is %s", unit, state);
}

static void
probe_exec(struct pg_check *c, const struct ops_ssh_exec *x, double ms,
    const char *name)
{
	char line[200];
	double v;
	enum pg_status st;

	first_line(x->out.data ? x->out.data : "", line, sizeof(line));
	st = x->status >= 0 && x->status <= 3 ? (enum pg_status)x->status
					      : PG_UNKNOWN;
	if (plain_number(line, &v)) {
		set_value(c, v, -1);
		st = judge(c->t, v, st);
	}
	if (x->status == 124)
		pg_result_set(c, PG_CRITICAL, ms,
		    "probe %s: the remote command timed out", name);
	else if (line[0] == '\0')
		pg_result_set(c, st, ms, "probe %s: exit %d", name,
		    x->status);
	else
		pg_result_set(c, st, ms, "%s", line);
}

/* Build the remote command of c's probe into cmd.  -1: no such command. */
static int
command_of(const struct pg_opts *o, const struct pg_check *c,
    struct ops_buf *cmd)
{
	const char *p = c->t->probe;
	int rc = 0;

	if (strcmp(p, "disk") == 0 || strncmp(p, "disk=", 5) == 0) {
		ops_buf_puts(cmd, "LC_ALL=C df -P -- ");
		rc = ops_sh_quote(cmd, p[4] == '=' ? p + 5 : "/");
	} else if (strcmp(p, "mem") == 0) {
		ops_buf_puts(cmd, "cat /proc/meminfo");
	} else if (strcmp(p, "load") == 0) {
		ops_buf_puts(cmd, "cat /proc/loadavg && getconf "
				  "_NPROCESSORS_ONLN");
	} else if (strncmp(p, "service=", 8) == 0) {
		ops_buf_puts(cmd, "systemctl is-active -- ");
		rc = ops_sh_quote(cmd, p + 8);
	} else if (strncmp(p, "exec=", 5) == 0) {
		const char *v = ops_conf_get(o->conf, "probe", p + 5,
		    "command");

		if (v == NULL)
			return -1;
		ops_buf_puts(cmd, v);
	} else {
		return -1;
	}
	return rc;
}

static void
run_probe(const struct pg_opts *o, struct ops_ssh *s, struct pg_check *c)
{
	struct ops_ssh_exec x;
	struct ops_buf cmd;
	struct ops_err err;
	int64_t t0 = ops_clock_mono_ms();
	const char *p = c->t->probe;
	double ms;

	c->deadline = pg_check_deadline(c->t, t0, (long)(o->deadline - t0),
	    o->deadline);
	ops_buf_init(&cmd, 0);
	if (command_of(o, c, &cmd) < 0) {
		pg_result_set(c, PG_UNKNOWN, -1,
		    "no [probe \"%s\"] command in the configuration", p + 5);
		ops_buf_release(&cmd);
		return;
	}
	memset(&x, 0, sizeof(x));
	ops_buf_init(&x.out, OUT_LIMIT);
	ops_buf_init(&x.err, OUT_LIMIT);
	if (ops_ssh_run(s, cmd.data, NULL, 0, c->deadline, &x, &err) < 0) {
		pg_result_set(c, PG_CRITICAL, -1, "%s", err.msg);
	} else {
		ms = (double)(ops_clock_mono_ms() - t0);
		if (strncmp(p, "disk", 4) == 0)
			probe_disk(c, &x, ms, p[4] == '=' ? p + 5 : "/");
		else if (strcmp(p, "mem") == 0)
			probe_mem(c, &x, ms);
		else if (strcmp(p, "load") == 0)
			probe_load(c, &x, ms);
		else if (strncmp(p, "service=", 8) == 0)
			probe_service(c, &x, ms, p + 8);
		else
			probe_exec(c, &x, ms, p + 5);
	}
	ops_buf_release(&x.out);
	ops_buf_release(&x.err);
	ops_buf_release(&cmd);
}

/* ---- lanes and workers ---- */

static bool
refusal(const char *msg)
{
	return strncmp(msg, "host key", 8) == 0 ||
	       strncmp(msg, "HOST KEY", 8) == 0 ||
	       strncmp(msg, "authentication", 14) == 0;
}

static void
run_lane(struct pool *pl, struct lane *ln)
{
	const struct pg_opts *o = pl->o;
	const struct pg_target *t = ln->v[0]->t;
	struct ops_ssh_opts so;
	struct ops_ssh *s;
	struct ops_err err;
	size_t i;

	memset(&so, 0, sizeof(so));
	so.host = t->host;
	so.port = t->port;
	so.user = t->user ? t->user : o->ssh_user;
	so.known_hosts = o->ssh_known_hosts;
	so.identity = o->ssh_identity;
	so.passphrase = o->ssh_passphrase;
	so.no_agent = o->ssh_no_agent;
	so.accept_new = o->accept_new;
	so.deadline = o->deadline;
	if (ops_clock_mono_ms() >= o->deadline) {
		for (i = 0; i < ln->n; i++)
			pg_result_set(ln->v[i], PG_CRITICAL, -1,
			    "not checked: the run's deadline came first "
			    "(raise --timeout or --jobs)");
		return;
	}
	if (ops_ssh_open(&s, &so, &err) < 0) {
		bool refused = refusal(err.msg);

		for (i = 0; i < ln->n; i++)
			pg_result_set(ln->v[i],
			    refused ? PG_UNKNOWN : PG_CRITICAL, -1, "%s",
			    err.msg);
		if (refused) {
			pthread_mutex_lock(&pl->mu);
			if (!pl->failed) {
				pl->failed = true;
				pl->err = err;
			}
			pthread_mutex_unlock(&pl->mu);
		}
		return;
	}
	for (i = 0; i < ln->n; i++)
		run_probe(o, s, ln->v[i]);
	ops_ssh_close(s);
}

static void *
worker(void *arg)
{
	struct pool *pl = arg;

	for (;;) {
		struct lane *ln = NULL;

		pthread_mutex_lock(&pl->mu);
		if (pl->next < pl->nlanes)
			ln = &pl->lanes[pl->next++];
		pthread_mutex_unlock(&pl->mu);
		if (ln == NULL)
			return NULL;
		run_lane(pl, ln);
	}
}

static bool
same_host(const struct pg_target *a, const struct pg_target *b)
{
	const char *ua = a->user ? a->user : "", *ub = b->user ? b->user : "";

	return a->port == b->port && strcmp(a->host, b->host) == 0 &&
	       strcmp(ua, ub) == 0;
}

int
pg_ssh_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err)
{
	struct pool pl;
	struct pg_check **order;
	pthread_t *th;
	size_t i, j, nth, started = 0, *group, ngroups = 0;
	int per = o->ssh_per_host > 0 ? o->ssh_per_host : 1;

	if (n == 0)
		return 0;
	if (ops_ssh_init(err) < 0) {
		for (i = 0; i < n; i++)
			pg_result_set(v[i], PG_UNKNOWN, -1, "%s", err->msg);
		return -1;
	}
	memset(&pl, 0, sizeof(pl));
	pl.o = o;
	pthread_mutex_init(&pl.mu, NULL);
	/* group by host: group[i] is the group number of v[i] */
	group = ops_xcalloc(n, sizeof(*group));
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (same_host(v[j]->t, v[i]->t))
				break;
		group[i] = j < i ? group[j] : ngroups++;
	}
	/* lanes: up to per for each group, checks dealt round robin */
	pl.lanes = ops_xcalloc(ngroups * (size_t)per, sizeof(*pl.lanes));
	order = ops_xcalloc(n, sizeof(*order));
	{
		size_t g, k = 0;

		for (g = 0; g < ngroups; g++) {
			size_t cnt = 0, nl, l;

			for (i = 0; i < n; i++)
				if (group[i] == g)
					cnt++;
			nl = cnt < (size_t)per ? cnt : (size_t)per;
			for (l = 0; l < nl; l++) {
				size_t m = 0;

				pl.lanes[pl.nlanes].v = &order[k];
				for (i = 0; i < n; i++)
					if (group[i] == g && m++ % nl == l)
						order[k++] = v[i];
				pl.lanes[pl.nlanes].n = (size_t)(&order[k] -
				    pl.lanes[pl.nlanes].v);
				pl.nlanes++;
			}
		}
	}
	nth = pl.nlanes < (size_t)o->jobs ? pl.nlanes : (size_t)o->jobs;
	if (nth > 64)
		nth = 64;
	th = ops_xcalloc(nth ? nth : 1, sizeof(*th));
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, &pl) == 0)
			started++;
	if (started == 0)
		worker(&pl);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++)
		if (!v[i]->r.done)
			pg_result_set(v[i], PG_UNKNOWN, -1,
			    "internal error: no result");
	free(th);
	free(order);
	free(pl.lanes);
	free(group);
	pthread_mutex_destroy(&pl.mu);
	if (pl.failed) {
		*err = pl.err;
		err->code = OPS_EXIT_FAIL;
		return -1;
	}
	return 0;
}
