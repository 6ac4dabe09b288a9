/*
 * opsping.h - private interfaces of opsping
 * SPDX-License-Identifier: MIT
 *
 * A run parses its targets (target.c), resolves host names (resolve.c),
 * then gives every check to the engine of its kind, all engines running at
 * once in their own threads until one overall deadline: icmp.c (one socket
 * per address family), tcp.c (non-blocking connects), http.c (the libcurl
 * multi interface).  An engine fills in the result of every check it was
 * given before it returns, timeouts included.  main.c then applies the
 * thresholds, prints, records state and alerts (state.c, alert.c).
 *
 * Nothing here exits.  Engines never print: they return -1 with err only
 * when they cannot work at all (no ICMP socket, curl set-up failure), after
 * giving each of their checks an UNKNOWN result that says why.
 */
#ifndef OPSPING_H
#define OPSPING_H

#include "compat.h"

#include <stdint.h>
#include <sys/socket.h>

#include "diag.h"
#include "range.h"

enum pg_kind { PG_ICMP, PG_TCP, PG_HTTP, PG_SSH, PG_KIND_COUNT };

/* Result codes: the Monitoring Plugins order, also checks.tsv's words. */
enum pg_status { PG_OK, PG_WARNING, PG_CRITICAL, PG_UNKNOWN, PG_STATUS_COUNT };
extern const char *const pg_status_name[PG_STATUS_COUNT]; /* "OK"... */
/* Parse "OK", "WARNING", "CRITICAL", "UNKNOWN"; -1 when none. */
int pg_status_parse(const char *s);

#define PG_MAX_EXPECT 16     /* status ranges in one expect= */
#define PG_DEF_ATTEMPTS 3
#define PG_DEF_COUNT 1
#define PG_MAX_COUNT 100     /* ICMP echoes per target */
#define PG_MAX_NAME 200      /* bytes in a target name */

struct pg_target {
	char *name;     /* targets file's name column, or the TARGET as given */
	char *spec;     /* the target text as written */
	enum pg_kind kind;
	char *host;     /* host name or address literal, no brackets */
	int port;       /* tcp/http(s)/ssh port (http 80, https 443, ssh 22) */
	char *url;      /* http(s): the whole URL as given; NULL otherwise */
	char *user;     /* ssh: user or NULL */
	char *probe;    /* ssh: "disk=/var", "load"...; NULL otherwise */
	/* options (targets file column 3, key=value separated by spaces) */
	struct ops_range warn, crit; /* latency in ms (ICMP, TCP, HTTP) or
	                                a probe value (SSH) */
	struct { int lo, hi; } expect[PG_MAX_EXPECT]; /* HTTP statuses */
	size_t nexpect; /* 0: the default 200-399 */
	char *match;    /* HTTP body must contain this, or NULL */
	int cert_days;  /* warn when the certificate expires sooner; 0: off */
	int attempts;   /* failures before the state is hard (default 3) */
	int count;      /* ICMP echoes (default 1) */
	long timeout_ms; /* this check's timeout, 0: the run's */
	char *parent;   /* parent= target name, or NULL */
	bool follow;    /* follow=yes: follow HTTP redirects (at most 5) */
	char *ca;       /* ca=FILE: CA bundle for https */
	bool insecure;  /* insecure=yes: no TLS verification (loud) */
	/* where it was defined, for messages */
	const char *file; /* targets file, or NULL for the command line */
	long line;
};

struct pg_result {
	enum pg_status status;
	double ms;         /* measured time in ms, < 0 when none */
	char value[48];    /* probe value ("" when none) */
	char message[256]; /* why, for people; never holds TAB/CR/LF */
	bool done;         /* set once by pg_result_set() */
};

struct pg_check {
	struct pg_target *t;
	struct pg_result r;
	int64_t deadline;  /* absolute ops_clock_mono_ms(): the check must
	                      have its result by then */
	/* resolved address (ICMP, TCP; filled by resolve.c) */
	struct sockaddr_storage addr;
	socklen_t addrlen; /* 0: not resolved */
};

struct pg_opts {
	int64_t deadline;  /* absolute mono ms: every check ends by then */
	int jobs;          /* most TCP connects / HTTP transfers at once */
	long icmp_interval_us; /* pause between two ICMP sends; 0: none */
	long icmp_period_ms;   /* between two echoes of one target (count) */
	uint32_t cookie;   /* random per run (ICMP payload) */
	const char *ca_file; /* default CA bundle for https, or NULL */
	const char *icmp_socket; /* "auto", "dgram" or "raw" */
	/* ssh:// probes ([ssh] and [probe "NAME"] of ops.conf) */
	const struct ops_conf *conf; /* for [probe "NAME"] command */
	const char *ssh_user;        /* default user, or NULL: login name */
	const char *ssh_identity;    /* key file, or NULL: default names */
	const char *ssh_passphrase;  /* for the key file, or NULL */
	const char *ssh_known_hosts; /* or NULL: ~/.ssh/known_hosts */
	bool ssh_no_agent;
	bool accept_new;             /* --accept-new-hostkey */
	int ssh_per_host;            /* sessions to one host at once */
};

/* ---- check.c ---- */
/*
 * Give c its result (the first call wins; later calls are ignored).  The
 * message is formatted, cut to fit, and any control character in it
 * (remote text included) is replaced by '?'.  ms < 0: no time measured.
 */
void pg_result_set(struct pg_check *c, enum pg_status st, double ms,
    const char *fmt, ...) OPS_PRINTF(4, 5);
/*
 * The checks.tsv fields of c (ts name check status ms value message), ts
 * being the run's time; ms is whole milliseconds, written into ms[].
 */
#define PG_ROW_COLS 7
#define PG_MS_SIZE 32
void pg_row(const struct pg_check *c, const char *ts, char ms[PG_MS_SIZE],
    const char *f[PG_ROW_COLS]);
/* A check's own deadline: min(run deadline, start + its timeout). */
int64_t pg_check_deadline(const struct pg_target *t, int64_t start,
    long run_timeout_ms, int64_t run_deadline);

/* ---- target.c ---- */
struct pg_target *pg_target_new(void);
void pg_target_free(struct pg_target *t);
/*
 * Parse target text (HOST, icmp://HOST, tcp://HOST:PORT, http://...,
 * https://..., ssh://[user@]HOST[:PORT]/PROBE) into t (kind, host, port,
 * url, user, probe).  IPv6 literals in brackets: tcp://[::1]:22.
 * -1 with err (code 2) saying what is wrong and which forms exist.
 */
int pg_target_parse(struct pg_target *t, const char *spec,
    struct ops_err *err) OPS_WUR;
/*
 * Parse the options column "key=value key=value" into t (after
 * pg_target_parse: some options apply to some kinds only, which is an
 * error otherwise).  -1 with err (code 2).
 */
int pg_target_options(struct pg_target *t, const char *opts,
    struct ops_err *err) OPS_WUR;
/*
 * Read a targets file (TSV: name target options; options may be empty;
 * the header is required).  Every malformed line is an error naming
 * FILE:LINE, as are duplicate names and a parent= naming no target.
 * On success *out holds *n targets (free each with pg_target_free, then
 * the array).  -1 with err: code 2 for bad content, 3 when unreadable.
 */
int pg_targets_load(const char *path, struct pg_target ***out, size_t *n,
    struct ops_err *err) OPS_WUR;
/* As pg_targets_load, from text[0..len) named name (the fuzz target). */
int pg_targets_parse(const char *name, const char *text, size_t len,
    struct pg_target ***out, size_t *n, struct ops_err *err) OPS_WUR;
/* Check parent= names against the list (used by pg_targets_load). */
int pg_targets_link(struct pg_target **v, size_t n, const char *file,
    struct ops_err *err) OPS_WUR;

/* ---- resolve.c ---- */
/*
 * Fill addr/addrlen of every ICMP and TCP check: address literals at once,
 * names with getaddrinfo_a() all together, waiting until the deadline.  A
 * name that does not resolve gets its result (CRITICAL, "cannot resolve
 * ...").  A name takes the first address getaddrinfo() orders (RFC
 * 6724); icmp4://-style forcing is not offered.  0, or -1 with err when
 * the resolver cannot be used at all.
 */
int pg_resolve(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err) OPS_WUR;

/* ---- engines: icmp.c, tcp.c, http.c ---- */
/* Each gets only checks of its kind that have no result yet. */
int pg_icmp_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err) OPS_WUR;
int pg_tcp_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err) OPS_WUR;
int pg_http_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err) OPS_WUR;
/*
 * ssh.c: one session per host and lane (o->ssh_per_host lanes at most),
 * probes run one after the other on it; lanes run in threads, at most
 * o->jobs at once.  A host key or authentication refusal gives UNKNOWN
 * rows and -1 with err (code 3); an unreachable host gives CRITICAL rows.
 */
int pg_ssh_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err) OPS_WUR;
/* Default warn/crit of a probe ("disk": 80/90...), set when not given. */
void pg_ssh_defaults(struct pg_target *t);

/* ---- maint.c: maintenance.tsv (start end name reason by) ---- */
#define PG_MAINT_STORE "maintenance.tsv"
struct pg_maint {
	int64_t start, end; /* [start, end) */
	char *glob;         /* fnmatch(3) pattern of target names */
};
/*
 * Read DIR/maintenance.tsv (missing: none).  Malformed lines are reported
 * and skipped (strict: an error, code 2).  -1 with err.
 */
int pg_maint_load(const char *dir, bool strict, struct pg_maint **v,
    size_t *n, struct ops_err *err) OPS_WUR;
void pg_maint_free(struct pg_maint *v, size_t n);
/* true when name lies in a window active at now */
bool pg_maint_active(const struct pg_maint *v, size_t n, const char *name,
    int64_t now);

/* ---- record.c: checks.tsv, state.tsv, alerts.tsv, delivery ---- */
#define PG_CHECKS_STORE "checks.tsv"
#define PG_STATE_STORE "state.tsv"
#define PG_ALERTS_STORE "alerts.tsv"

struct ops_cli;
struct pg_record_opts {
	bool alert;          /* --alert: deliver hard changes */
	int64_t now;         /* the run's time (ops_clock_now()) */
	const char *by;      /* who (tickets) */
};
/*
 * Append the results to checks.tsv and update state.tsv under checks.tsv's
 * lock, then (alert) find hard changes, deliver them and append them to
 * alerts.tsv.  -1 with err when a store cannot be written (code 3) or a
 * store or the configuration is bad (code 2); delivery failures are
 * warnings recorded in alerts.tsv, not errors.
 */
int pg_record(struct ops_cli *cli, struct pg_check *v, size_t n,
    const struct pg_record_opts *o, struct ops_err *err) OPS_WUR;
/* [alert] mailto and mail-from are plain addresses.  -1 with err (code 2). */
struct ops_conf;
int pg_alert_conf_check(const struct ops_conf *c, struct ops_err *err)
    OPS_WUR;
/*
 * The time of the last row of DIR/checks.tsv into *ts (0 when there is
 * none).  Reads only the end of the file.  -1 with err.
 */
int pg_last_check_ts(const char *dir, int64_t *ts, struct ops_err *err)
    OPS_WUR;

#endif
