/*
 * t-lrscan.c - unit tests for cmd/opslog-rotate/scan.c (opslog-rotate scan)
 * SPDX-License-Identifier: MIT
 *
 * Logs are generated here, deterministically, together with the counts
 * and samples they must give (Apache combined, nginx combined, sshd in
 * syslog and RFC 3339 form), and the whole logstats output is compared.
 * The same logs compressed with the real gzip, bzip2, xz and zstd must give
 * the same rows.  Hand-written cases cover stamps, samples, rule files and
 * the bounds (a 32 MB line without a newline).
 */
#include "compat.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"
#include "tsv.h"

#include "../cmd/opslog-rotate/scan.h"

extern char **environ;

/* ---- helpers ---- */

static int64_t
at(const char *rfc3339)
{
	int64_t t;

	if (ops_rfc3339_parse(rfc3339, strlen(rfc3339), &t, NULL) < 0)
		bail_out("bad time %s", rfc3339);
	return t;
}

static struct lr_rules *
builtin(const char *name)
{
	struct lr_rules *r;
	struct ops_err err;

	if (lr_rules_builtin(name, &r, &err) < 0)
		bail_out("lr_rules_builtin %s: %s", name, err.msg);
	return r;
}

/* Rows of st into out (reset first). */
static void
rows(const struct lr_stats *st, struct ops_buf *out)
{
	struct ops_err err;

	ops_buf_reset(out);
	if (lr_stats_rows(st, out, &err) < 0)
		bail_out("lr_stats_rows: %s", err.msg);
}

/* Scan text with the built-in set name; the rows in a static buffer. */
static const char *
scan_text(const char *set, const char *text, int64_t ref,
    struct lr_scan_info *info)
{
	static struct ops_buf out;
	struct lr_rules *r = builtin(set);
	struct lr_stats *st = lr_stats_new(r);

	if (lr_scan_buf(st, text, strlen(text), "t.log", ref) != 0)
		bail_out("lr_scan_buf");
	if (out.limit == 0)
		ops_buf_init(&out, 0);
	rows(st, &out);
	if (info)
		lr_stats_info(st, info);
	lr_stats_free(st);
	lr_rules_free(r);
	return ops_buf_cstr(&out);
}

static const char *
put_bytes(const char *name, const void *data, size_t len)
{
	const char *p = spath(name);
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, data, len) < 0 || close(fd) < 0)
		bail_out("write %s: %s", p, strerror(errno));
	return p;
}

/* Scan the file path as log logname into st; rc of lr_scan_fd. */
static int
scan_file(struct lr_stats *st, const char *path, const char *logname,
    int64_t ref, struct ops_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		bail_out("open %s: %s", path, strerror(errno));
	rc = lr_scan_fd(st, fd, logname, ref, err);
	close(fd);
	return rc;
}

/* ---- expected counts, built while generating ---- */

#define EXP_DAYS 3
#define EXP_SLOTS 9

struct exp {
	const char *const *names; /* slot names; NULL ends */
	size_t n;                 /* slots */
	const char *dates[EXP_DAYS];
	long long count[EXP_DAYS][EXP_SLOTS];
	char sample[EXP_DAYS][EXP_SLOTS][LR_SCAN_SAMPLE_MAX + 1];
};

static void
exp_hit(struct exp *e, int day, size_t slot, long long w, const char *line,
    size_t len)
{
	if (e->count[day][slot] == 0) {
		if (len > LR_SCAN_SAMPLE_MAX)
			len = LR_SCAN_SAMPLE_MAX;
		memcpy(e->sample[day][slot], line, len);
		e->sample[day][slot][len] = '\0';
	}
	e->count[day][slot] += w;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The rows e stands for, log name log; the last slot only when > 0. */
static void
exp_render(const struct exp *e, const char *log, bool last_optional,
    struct ops_buf *out)
{
	const char *sorted[EXP_SLOTS], *f[5];
	char count[32];
	size_t i, s;
	int d;

	for (i = 0; i < e->n; i++)
		sorted[i] = e->names[i];
	qsort(sorted, e->n, sizeof(sorted[0]), by_name);
	ops_buf_reset(out);
	for (d = 0; d < EXP_DAYS; d++) {
		for (i = 0; i < e->n; i++) {
			for (s = 0; strcmp(e->names[s], sorted[i]) != 0; s++)
				;
			if (last_optional && s == e->n - 1 &&
			    e->count[d][s] == 0)
				continue;
			snprintf(count, sizeof(count), "%lld", e->count[d][s]);
			f[0] = e->dates[d];
			f[1] = log;
			f[2] = e->names[s];
			f[3] = count;
			f[4] = e->sample[d][s];
			if (ops_tsv_row(out, f, 5) < 0)
				bail_out("ops_tsv_row");
		}
	}
}

/* ---- http ---- */

enum { E_REQ, E_2XX, E_3XX, E_4XX, E_5XX, E_POST, E_CLIENTS, E_SCAN,
	E_UNPARSED };
static const char *const http_names[] = {"requests", "2xx", "3xx", "4xx",
    "5xx", "post", "clients", "clients_4xx", "unparsed", NULL};

#define NCLIENT 160
#define POOL 150
#define LINES_PER_DAY 1000

struct spec {
	int kind;   /* 0 normal, 1 unstamped garbage, 2 bad status, 3 no quote */
	int client;
	int method; /* 0 GET, 1 POST, 2 HEAD */
	int status;
	bool quote; /* a quote inside the request */
};

static void
client_addr(int c, char *buf, size_t size)
{
	if (c < POOL)
		snprintf(buf, size, "10.0.%d.%d", c / 50, c % 50 + 1);
	else if (c < 156)
		snprintf(buf, size, "192.0.2.%d", c - POOL + 1);
	else if (c == 156)
		snprintf(buf, size, "198.51.100.9");
	else
		snprintf(buf, size, "2001:db8::%x", c);
}

static void
gen_http(bool nginx, struct ops_buf *log, struct exp *e)
{
	static const int statuses[] = {200, 200, 200, 200, 200, 201, 204, 206,
	    301, 302, 304, 304, 400, 401, 403, 404, 404, 410, 500, 502, 503,
	    101};
	static const char *const methods[] = {"GET", "POST", "HEAD"};
	static const char *const days[EXP_DAYS] = {"21", "22", "23"};
	static const char *const tz[EXP_DAYS] = {"+0900", "-0500", "+0000"};
	static struct spec sp[LINES_PER_DAY];
	int n4xx[NCLIENT], i, j, k, d, n, sec;
	bool seen[NCLIENT];
	char addr[64], line[1024], req[128], st[32];
	struct spec t;
	int len;

	memset(e, 0, sizeof(*e));
	e->names = http_names;
	e->n = 9;
	e->dates[0] = "2026-11-21";
	e->dates[1] = "2026-11-22";
	e->dates[2] = "2026-11-23";
	ops_buf_reset(log);
	rnd_seed(nginx ? 4242 : 1717);
	for (d = 0; d < EXP_DAYS; d++) {
		n = 0;
		/* d + 1 scanners with 20 + j answers 401/403/404 each */
		for (j = 0; j <= d; j++)
			for (k = 0; k < 20 + j; k++)
				sp[n++] = (struct spec){0, POOL + j, 0,
				    k % 3 == 0 ? 401 : k % 3 == 1 ? 403 : 404,
				    false};
		for (k = 0; k < 19; k++) /* one short of a scanner */
			sp[n++] = (struct spec){0, 156, 0, 404, false};
		sp[n++] = (struct spec){1, 0, 0, 0, false};
		sp[n++] = (struct spec){2, 1, 0, 0, false};
		sp[n++] = (struct spec){3, 2, 0, 0, false};
		while (n < LINES_PER_DAY) {
			k = (int)(rnd() % 10);
			sp[n++] = (struct spec){0,
			    rnd() % 50 == 0 ? 157 : (int)(rnd() % POOL),
			    k < 2 ? 1 : k == 2 ? 2 : 0,
			    statuses[rnd() % OPS_ARRAY_SIZE(statuses)],
			    rnd() % 40 == 0};
		}
		for (i = n - 1; i > 0; i--) {
			j = (int)(rnd() % (uint64_t)(i + 1));
			t = sp[i], sp[i] = sp[j], sp[j] = t;
		}
		for (i = 0; sp[i].kind != 0; i++)
			;
		t = sp[0], sp[0] = sp[i], sp[i] = t; /* a stamped line first */

		memset(n4xx, 0, sizeof(n4xx));
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			sec = i * 86;
			client_addr(sp[i].client, addr, sizeof(addr));
			snprintf(req, sizeof(req), "%s /%s%d HTTP/1.1",
			    methods[sp[i].method],
			    sp[i].quote ? (nginx ? "q\\x22x/" : "q\\\"x/") :
					  "p/",
			    i);
			if (sp[i].kind == 2)
				snprintf(st, sizeof(st), "2x0 -");
			else if (sp[i].kind == 3)
				snprintf(st, sizeof(st), "200 512");
			else
				snprintf(st, sizeof(st), "%d %s", sp[i].status,
				    sp[i].status == 304 ? "-" : "77");
			if (sp[i].kind == 1)
				len = snprintf(line, sizeof(line),
				    "GARBAGE without a stamp %d", i);
			else
				len = snprintf(line, sizeof(line),
				    "%s - %s [%s/Nov/2026:%02d:%02d:%02d %s] "
				    "\"%s%s %s \"https://example.org/\" "
				    "\"Mozilla/5.0 (X11; Linux x86_64)%s\"%s",
				    addr, i % 7 ? "-" : "alice", days[d],
				    sec / 3600, sec / 60 % 60, sec % 60, tz[d],
				    req, sp[i].kind == 3 ? "" : "\"", st,
				    nginx ? " curl\\x22/8" : "",
				    nginx ? " \"-\"" : "");
			if (len < 0 || (size_t)len >= sizeof(line))
				bail_out("line too long");
			if (ops_buf_add(log, line, (size_t)len) < 0 ||
			    ops_buf_addc(log, '\n') < 0)
				bail_out("ops_buf_add");
			if (sp[i].kind != 0) {
				exp_hit(e, d, E_UNPARSED, 1, line, (size_t)len);
				continue;
			}
			exp_hit(e, d, E_REQ, 1, line, (size_t)len);
			if (sp[i].status >= 200)
				exp_hit(e, d, (size_t)(E_2XX + sp[i].status / 100 - 2),
				    1, line, (size_t)len);
			if (sp[i].method == 1)
				exp_hit(e, d, E_POST, 1, line, (size_t)len);
			if (!seen[sp[i].client]) {
				seen[sp[i].client] = true;
				exp_hit(e, d, E_CLIENTS, 1, line, (size_t)len);
			}
			if ((sp[i].status == 401 || sp[i].status == 403 ||
			    sp[i].status == 404) &&
			    ++n4xx[sp[i].client] == LR_SCAN_SCANNER_MIN)
				exp_hit(e, d, E_SCAN, 1, line, (size_t)len);
		}
	}
}

static void
test_http_generated(bool nginx, int64_t ref)
{
	const char *what = nginx ? "nginx" : "apache";
	struct ops_buf log, want, got;
	struct lr_rules *r = builtin("http");
	struct lr_stats *st;
	struct lr_scan_info info;
	struct ops_err err;
	struct exp e;
	const char *path;
	char name[64];
	int d;

	ops_buf_init(&log, 0);
	ops_buf_init(&want, 0);
	ops_buf_init(&got, 0);
	gen_http(nginx, &log, &e);
	exp_render(&e, "access.log", true, &want);
	for (d = 0; d < EXP_DAYS; d++)
		diag("%s %s: %lld requests, %lld clients, %lld scanners, "
		     "%lld unparsed", what, e.dates[d], e.count[d][E_REQ],
		    e.count[d][E_CLIENTS], e.count[d][E_SCAN],
		    e.count[d][E_UNPARSED]);
	ok(e.count[0][E_SCAN] == 1 && e.count[2][E_SCAN] >= 3,
	    "%s: the generator planted scanners", what);

	st = lr_stats_new(r);
	(void)lr_scan_buf(st, log.data, log.len, "access.log", ref);
	rows(st, &got);
	is_str(ops_buf_cstr(&got), ops_buf_cstr(&want),
	    "%s: lr_scan_buf gives the generated counts and samples", what);
	lr_stats_info(st, &info);
	is_int((long long)info.lines, EXP_DAYS * LINES_PER_DAY,
	    "%s: every line read", what);
	is_int((long long)info.unstamped, EXP_DAYS, "%s: unstamped lines",
	    what);
	lr_stats_free(st);

	/* through a file: lines cross the chunks of the reader */
	snprintf(name, sizeof(name), "%s.log", what);
	path = put_bytes(name, log.data, log.len);
	st = lr_stats_new(r);
	ok(scan_file(st, path, "access.log", ref, &err) == 0,
	    "%s: lr_scan_fd of the plain file", what);
	rows(st, &got);
	is_str(ops_buf_cstr(&got), ops_buf_cstr(&want),
	    "%s: lr_scan_fd gives the same rows", what);
	lr_stats_free(st);

	ops_buf_release(&log);
	ops_buf_release(&want);
	ops_buf_release(&got);
	lr_rules_free(r);
}

/* ---- compressed logs ---- */

static void
test_compressed(int64_t ref)
{
	static const struct {
		const char *tool, *ext;
	} z[] = {{"gzip", "gz"}, {"bzip2", "bz2"}, {"xz", "xz"},
	    {"zstd", "zst"}};
	struct ops_buf log, want, got;
	struct lr_rules *r = builtin("http");
	struct lr_stats *st;
	struct ops_err err;
	struct exp e;
	const char *plain, *argv[5];
	char out[64], *cut;
	size_t i;
	int rc;

	ops_buf_init(&log, 0);
	ops_buf_init(&want, 0);
	ops_buf_init(&got, 0);
	gen_http(false, &log, &e);
	exp_render(&e, "access.log", true, &want);
	plain = put_bytes("access.log", log.data, log.len);
	for (i = 0; i < OPS_ARRAY_SIZE(z); i++) {
		snprintf(out, sizeof(out), "access.log.%s", z[i].ext);
		argv[0] = z[i].tool;
		argv[1] = "-c";
		argv[2] = i == 3 ? "-q" : plain;
		argv[3] = i == 3 ? plain : NULL;
		argv[4] = NULL;
		if (run_prog(argv, NULL, spath(out)) != 0) {
			skip(2, "no working compressor");
			diag("%s not installed (apt-get install %s)",
			    z[i].tool, z[i].tool);
			continue;
		}
		st = lr_stats_new(r);
		rc = scan_file(st, spath(out), "access.log", ref, &err);
		ok(rc == 0, "%s: lr_scan_fd reads the compressed log",
		    z[i].tool);
		if (rc < 0)
			diag("%s", err.msg);
		rows(st, &got);
		is_str(ops_buf_cstr(&got), ops_buf_cstr(&want),
		    "%s: counts identical to the plain log", z[i].tool);
		lr_stats_free(st);
	}

	/* a truncated xz stream is an error, code 3 */
	cut = (char *)slurp(spath("access.log.xz"), NULL);
	if (cut == NULL) {
		skip(2, "no xz file");
	} else {
		struct stat sb;

		if (stat(spath("access.log.xz"), &sb) < 0)
			bail_out("stat");
		if (truncate(spath("access.log.xz"), sb.st_size / 2) < 0)
			bail_out("truncate");
		st = lr_stats_new(r);
		ops_err_clear(&err);
		rc = scan_file(st, spath("access.log.xz"), "cut", ref, &err);
		ok(rc == -1, "truncated xz: lr_scan_fd fails");
		is_int(err.code, OPS_EXIT_FAIL, "truncated xz: error code 3");
		lr_stats_free(st);
	}
	ops_buf_release(&log);
	ops_buf_release(&want);
	ops_buf_release(&got);
	lr_rules_free(r);
}

/* ---- auth ---- */

enum { A_FAILED, A_ACCEPTED, A_INVALID };
static const char *const auth_names[] = {
    "ssh_failed", "ssh_accepted", "invalid_user", NULL};

/* fmt with its two "%d" replaced by a and b (no other conversions). */
static void
fill2(char *out, size_t size, const char *fmt, int a, int b)
{
	struct ops_buf o;
	const char *p;
	int k = 0;

	ops_buf_init(&o, size - 1);
	for (p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			if (ops_buf_printf(&o, "%d", k++ ? b : a) < 0)
				bail_out("fill2");
			p++;
		} else if (ops_buf_addc(&o, *p) < 0) {
			bail_out("fill2");
		}
	}
	snprintf(out, size, "%s", ops_buf_cstr(&o));
	ops_buf_release(&o);
}

static void
gen_auth(bool rfc, struct ops_buf *log, struct exp *e)
{
	static const struct {
		const char *prog, *fmt;
		int slot, weight;
	} kinds[] = {
	    {"sshd", "Failed password for root from 203.0.113.%d port %d ssh2",
		A_FAILED, 1},
	    {"sshd", "Failed password for invalid user oracle from "
		     "203.0.113.%d port %d ssh2", A_FAILED, 1},
	    {"sshd", "Failed publickey for alice from 203.0.113.%d port %d "
		     "ssh2: ED25519 SHA256:x", A_FAILED, 1},
	    {"sshd", "Accepted publickey for alice from 198.51.100.%d port %d "
		     "ssh2: ED25519 SHA256:x", A_ACCEPTED, 1},
	    {"sshd", "Accepted password for bob from 198.51.100.%d port %d ssh2",
		A_ACCEPTED, 1},
	    {"sshd", "Accepted keyboard-interactive/pam for carol from "
		     "198.51.100.%d port %d ssh2", A_ACCEPTED, 1},
	    {"sshd", "Invalid user admin from 203.0.113.%d port %d",
		A_INVALID, 1},
	    {"sshd", "message repeated 3 times: [ Failed password for root "
		     "from 203.0.113.%d port %d ssh2]", A_FAILED, 3},
	    {"sshd", "Connection closed by authenticating user root "
		     "203.0.113.%d port %d [preauth]", -1, 0},
	    {"sshd", "pam_unix(sshd:auth): authentication failure; rhost="
		     "203.0.113.%d uid=%d", -1, 0},
	    {"CRON", "pam_unix(cron:session): session opened for user root(uid"
		     "=%d) by (uid=%d)", -1, 0},
	    {"sudo", "Failed password for alice from 203.0.113.%d port %d ssh2",
		-1, 0},
	    {"sshd", "Disconnected from invalid user oracle 203.0.113.%d port "
		     "%d [preauth]", -1, 0},
	};
	static const char *const syslog_day[EXP_DAYS] = {
	    "Nov 30", "Dec  1", "Dec  2"};
	static const char *const iso_day[EXP_DAYS] = {
	    "2026-11-30", "2026-12-01", "2026-12-02"};
	char line[512], msg[256];
	int d, i, k, len, sec;

	memset(e, 0, sizeof(*e));
	e->names = auth_names;
	e->n = 3;
	for (d = 0; d < EXP_DAYS; d++)
		e->dates[d] = iso_day[d];
	ops_buf_reset(log);
	rnd_seed(99);
	for (d = 0; d < EXP_DAYS; d++) {
		for (i = 0; i < 400; i++) {
			k = (int)(rnd() % OPS_ARRAY_SIZE(kinds));
			sec = i * 200;
			fill2(msg, sizeof(msg), kinds[k].fmt,
			    (int)(rnd() % 250) + 1, (int)(rnd() % 60000) + 1024);
			if (rfc)
				len = snprintf(line, sizeof(line),
				    "%sT%02d:%02d:%02d.%06d+09:00 web1 %s[%d]: %s",
				    iso_day[d], sec / 3600, sec / 60 % 60,
				    sec % 60, i * 37, kinds[k].prog, 1000 + i,
				    msg);
			else
				len = snprintf(line, sizeof(line),
				    "%s %02d:%02d:%02d web1 %s[%d]: %s",
				    syslog_day[d], sec / 3600, sec / 60 % 60,
				    sec % 60, kinds[k].prog, 1000 + i, msg);
			if (ops_buf_add(log, line, (size_t)len) < 0 ||
			    ops_buf_addc(log, '\n') < 0)
				bail_out("ops_buf_add");
			if (kinds[k].slot >= 0)
				exp_hit(e, d, (size_t)kinds[k].slot,
				    kinds[k].weight, line, (size_t)len);
		}
	}
}

static void
test_auth_generated(bool rfc)
{
	const char *what = rfc ? "auth RFC 3339" : "auth syslog";
	int64_t ref = at("2026-12-03T04:05:06+09:00");
	struct ops_buf log, want;
	struct exp e;

	ops_buf_init(&log, 0);
	ops_buf_init(&want, 0);
	gen_auth(rfc, &log, &e);
	exp_render(&e, "t.log", false, &want);
	diag("%s day 1: %lld failed, %lld accepted, %lld invalid", what,
	    e.count[0][A_FAILED], e.count[0][A_ACCEPTED],
	    e.count[0][A_INVALID]);
	is_str(scan_text("auth", ops_buf_cstr(&log), ref, NULL),
	    ops_buf_cstr(&want), "%s: generated counts and samples", what);
	ops_buf_release(&log);
	ops_buf_release(&want);
}

/* ---- hand-written cases ---- */

static void
test_http_small(void)
{
	int64_t ref = at("2026-11-24T10:00:00+09:00");
	struct lr_scan_info info;
	const char *got;

	got = scan_text("http",
	    "no stamp before any line\n"
	    "10.1.1.1 - - [23/Nov/2026:23:59:59 -1000] \"POST /login "
	    "HTTP/1.1\" 401 12 \"-\" \"ua\"\r\n"
	    "10.1.1.2 - bob [24/Nov/2026:00:00:01 +0900] \"GET /\" 200 5\n"
	    "\n"
	    "10.1.1.2 - - [24/Nov/2026:00:00:02 +0900] \"-\" 400 0 \"-\" "
	    "\"-\"\n"
	    "10.1.1.3 - - [31/Nov/2026:00:00:02 +0900] \"GET /\" 200 5\n"
	    "10.1.1.3 - - [24/Nov/2026:00:00:03 +0900] \"GET /\" 2000 5\n",
	    ref, &info);
	is_str(got,
	    "2026-11-23\tt.log\t2xx\t0\t\n"
	    "2026-11-23\tt.log\t3xx\t0\t\n"
	    "2026-11-23\tt.log\t4xx\t1\t10.1.1.1 - - [23/Nov/2026:23:59:59 "
	    "-1000] \"POST /login HTTP/1.1\" 401 12 \"-\" \"ua\"\n"
	    "2026-11-23\tt.log\t5xx\t0\t\n"
	    "2026-11-23\tt.log\tclients\t1\t10.1.1.1 - - [23/Nov/2026:23:59:59 "
	    "-1000] \"POST /login HTTP/1.1\" 401 12 \"-\" \"ua\"\n"
	    "2026-11-23\tt.log\tclients_4xx\t0\t\n"
	    "2026-11-23\tt.log\tpost\t1\t10.1.1.1 - - [23/Nov/2026:23:59:59 "
	    "-1000] \"POST /login HTTP/1.1\" 401 12 \"-\" \"ua\"\n"
	    "2026-11-23\tt.log\trequests\t1\t10.1.1.1 - - [23/Nov/2026:23:59:59 "
	    "-1000] \"POST /login HTTP/1.1\" 401 12 \"-\" \"ua\"\n"
	    "2026-11-24\tt.log\t2xx\t1\t10.1.1.2 - bob [24/Nov/2026:00:00:01 "
	    "+0900] \"GET /\" 200 5\n"
	    "2026-11-24\tt.log\t3xx\t0\t\n"
	    "2026-11-24\tt.log\t4xx\t1\t10.1.1.2 - - [24/Nov/2026:00:00:02 "
	    "+0900] \"-\" 400 0 \"-\" \"-\"\n"
	    "2026-11-24\tt.log\t5xx\t0\t\n"
	    "2026-11-24\tt.log\tclients\t1\t10.1.1.2 - bob [24/Nov/2026:00:00:01 "
	    "+0900] \"GET /\" 200 5\n"
	    "2026-11-24\tt.log\tclients_4xx\t0\t\n"
	    "2026-11-24\tt.log\tpost\t0\t\n"
	    "2026-11-24\tt.log\trequests\t2\t10.1.1.2 - bob [24/Nov/2026:00:00:01 "
	    "+0900] \"GET /\" 200 5\n"
	    "2026-11-24\tt.log\tunparsed\t3\tno stamp before any line\n",
	    "http: day as written in the line, CRLF, unparsed under the "
	    "reference day and the day before");
	is_int((long long)info.lines, 7, "http: lines counted, empty included");
	is_int((long long)info.unstamped, 2,
	    "http: no stamp and 31 Nov are unstamped");
}

static void
test_rollover(void)
{
	const char *got;

	got = scan_text("auth",
	    "Dec 31 23:59:58 h sshd[1]: Failed password for root from "
	    "192.0.2.1 port 1 ssh2\n"
	    "Jan  1 00:00:02 h sshd[1]: Invalid user x from 192.0.2.1 port 2\n"
	    "Feb 29 00:00:02 h sshd[1]: Accepted password for a from "
	    "192.0.2.1 port 2 ssh2\n",
	    at("2027-01-02T12:00:00+09:00"), NULL);
	is_str(got,
	    "2026-12-31\tt.log\tinvalid_user\t0\t\n"
	    "2026-12-31\tt.log\tssh_accepted\t0\t\n"
	    "2026-12-31\tt.log\tssh_failed\t1\tDec 31 23:59:58 h sshd[1]: "
	    "Failed password for root from 192.0.2.1 port 1 ssh2\n"
	    "2027-01-01\tt.log\tinvalid_user\t1\tJan  1 00:00:02 h sshd[1]: "
	    "Invalid user x from 192.0.2.1 port 2\n"
	    "2027-01-01\tt.log\tssh_accepted\t1\tFeb 29 00:00:02 h sshd[1]: "
	    "Accepted password for a from 192.0.2.1 port 2 ssh2\n"
	    "2027-01-01\tt.log\tssh_failed\t0\t\n",
	    "syslog: December is last year under a January reference; "
	    "Feb 29 of 2027 is no stamp");

	got = scan_text("errors",
	    "Feb 29 10:00:00 h k: panic\n"
	    "Mar  1 10:00:00 h k: panic\n",
	    at("2028-03-01T00:00:00Z"), NULL);
	is_str(got,
	    "2028-02-29\tt.log\terrors\t1\tFeb 29 10:00:00 h k: panic\n"
	    "2028-03-01\tt.log\terrors\t1\tMar  1 10:00:00 h k: panic\n",
	    "syslog: Feb 29 in a leap reference year");
	got = scan_text("errors", "Apr  1 10:00:00 h k: panic\n",
	    at("2028-03-01T00:00:00Z"), NULL);
	is_str(got, "2027-04-01\tt.log\terrors\t1\tApr  1 10:00:00 h k: panic\n",
	    "syslog: a month after the reference month is the year before");
}

static void
test_errors(void)
{
	struct lr_scan_info info;
	const char *got;

	got = scan_text("errors",
	    "boot ERROR: no stamp yet\n"
	    "Nov 22 10:00:00 h app[1]: errors=0 panicked error_log\n"
	    "Nov 22 10:00:01 h app[1]: Fatal: x\n"
	    "  continued: segfault at 0\n"
	    "2026-11-23T01:02:03+09:00 h kernel: foo[1]: Segfault\n"
	    "2026-11-23T01:02:03+09:00 h kernel: sEgFaUlTs terror\n"
	    "1.2.3.4 - - [23/Nov/2026:09:00:00 +0900] \"GET /error\" 500 1\n",
	    at("2026-11-24T00:00:00+09:00"), &info);
	is_str(got,
	    "2026-11-22\tt.log\terrors\t2\tNov 22 10:00:01 h app[1]: Fatal: x\n"
	    "2026-11-23\tt.log\terrors\t2\t2026-11-23T01:02:03+09:00 h kernel: "
	    "foo[1]: Segfault\n"
	    "2026-11-24\tt.log\terrors\t1\tboot ERROR: no stamp yet\n",
	    "errors: whole words in any case, dated by the line before");
	is_int((long long)info.unstamped, 2, "errors: unstamped lines");
}

static void
test_samples(void)
{
	static const char want[] =
	    "Nov 23 09:00:00 h app: error ?\?[31m?\?(?\xc3\xa9";
	struct ops_buf line;
	const char *got, *s;
	size_t i, n;

	ops_buf_init(&line, 0);
	ops_buf_puts(&line, "Nov 23 09:00:00 h app: error \t\x1b[31m\xff\xc3(");
	ops_buf_puts(&line, "\xc2\x85"); /* U+0085, a C1 control */
	for (i = 0; i < 100; i++)
		ops_buf_puts(&line, "\xc3\xa9"); /* U+00E9, two bytes */
	ops_buf_puts(&line, "\r\n");
	got = scan_text("errors", ops_buf_cstr(&line),
	    at("2026-11-24T00:00:00+09:00"), NULL);
	s = strrchr(got, '\t');
	s = s ? s + 1 : "";
	n = strcspn(s, "\n");
	ok(strncmp(s, want, strlen(want)) == 0, "sample: control bytes, invalid UTF-8 and C1 become '?'");
	ok(n <= LR_SCAN_SAMPLE_MAX && n >= LR_SCAN_SAMPLE_MAX - 1,
	    "sample: cut near %d bytes (%zu)", LR_SCAN_SAMPLE_MAX, n);
	ok(n >= 2 && (unsigned char)s[n - 2] == 0xc3 &&
	    (unsigned char)s[n - 1] == 0xa9,
	    "sample: cut at a character boundary");
	ops_buf_release(&line);
}

static void
test_rule_file(void)
{
	struct lr_rules *r = NULL;
	struct lr_stats *st;
	struct ops_err err;
	struct ops_buf out;
	static const struct {
		const char *text;
		long line;
		const char *msg;
	} bad[] = {
	    {"name\tpattern\nok\tfoo\nbad\t(unclosed\n", 3, "bad pattern"},
	    {"name\tpattern\nok\tfoo\nok\tbar\n", 3, "twice"},
	    {"name\tpattern\nBad-Name\tfoo\n", 2, "bad rule name"},
	    {"name\tpattern\nunparsed\tfoo\n", 2, "bad rule name"},
	    {"name\tpattern\nempty\t\n", 2, "pattern empty"},
	    {"name\tpattern\nx\ta\\qb\n", 2, ""},
	    {"name\tregex\nx\tfoo\n", 1, "pattern"},
	    {"name\tpattern\n", 0, "no rules"},
	};
	size_t i;
	char name[32];
	int rc;

	for (i = 0; i < OPS_ARRAY_SIZE(bad); i++) {
		snprintf(name, sizeof(name), "bad%zu.tsv", i);
		put(spath(name), bad[i].text);
		ops_err_clear(&err);
		rc = lr_rules_load(spath(name), &r, &err);
		ok(rc == -1 &&
		    err.code == OPS_EXIT_USAGE && err.line == bad[i].line &&
		    strcmp(err.file, spath(name)) == 0 &&
		    strstr(err.msg, bad[i].msg) != NULL,
		    "rule file %s: FILE:LINE error at line %ld (%s:%ld: %s)",
		    name, bad[i].line, err.file, err.line, err.msg);
	}
	ok(lr_rules_load(spath("missing.tsv"), &r, &err) == -1 &&
	    err.code == OPS_EXIT_FAIL, "rule file missing: code 3");

	put(spath("rules.tsv"),
	    "name\tpattern\tnote\n"
	    "sudo\tsudo\\\\[[0-9]+\\\\]: .*COMMAND=\tx\n"
	    "oom\t[Oo]ut of memory: Killed process\ty\n"
	    "starts_nov\t^Nov 2[23] \tz\n");
	if (lr_rules_load(spath("rules.tsv"), &r, &err) < 0)
		bail_out("rules.tsv: %s", err.msg);
	st = lr_stats_new(r);
	(void)lr_scan_buf(st,
	    "Nov 22 10:00:00 h sudo[5]: alice : TTY=pts/0 ; COMMAND=/bin/ls\n"
	    "Nov 22 10:00:01 h kernel: Out of memory: Killed process 12\n"
	    "Nov 23 10:00:00 h kernel: out of memory: Killed process 13\n"
	    "x Nov 23 10:00:00 sudo[1]: COMMAND=\n",
	    strlen("Nov 22 10:00:00 h sudo[5]: alice : TTY=pts/0 ; "
		   "COMMAND=/bin/ls\n"
		   "Nov 22 10:00:01 h kernel: Out of memory: Killed process 12\n"
		   "Nov 23 10:00:00 h kernel: out of memory: Killed process "
		   "13\n"
		   "x Nov 23 10:00:00 sudo[1]: COMMAND=\n"),
	    "syslog", at("2026-11-24T00:00:00+09:00"));
	ops_buf_init(&out, 0);
	rows(st, &out);
	is_str(ops_buf_cstr(&out),
	    "2026-11-22\tsyslog\toom\t1\tNov 22 10:00:01 h kernel: Out of "
	    "memory: Killed process 12\n"
	    "2026-11-22\tsyslog\tstarts_nov\t2\tNov 22 10:00:00 h sudo[5]: "
	    "alice : TTY=pts/0 ; COMMAND=/bin/ls\n"
	    "2026-11-22\tsyslog\tsudo\t1\tNov 22 10:00:00 h sudo[5]: alice : "
	    "TTY=pts/0 ; COMMAND=/bin/ls\n"
	    "2026-11-23\tsyslog\toom\t1\tNov 23 10:00:00 h kernel: out of "
	    "memory: Killed process 13\n"
	    "2026-11-23\tsyslog\tstarts_nov\t1\tNov 23 10:00:00 h kernel: out "
	    "of memory: Killed process 13\n"
	    "2026-11-23\tsyslog\tsudo\t1\tx Nov 23 10:00:00 sudo[1]: COMMAND=\n",
	    "rule file: regex counts per day, ^ anchors at the line start");
	ops_buf_release(&out);
	lr_stats_free(st);
	lr_rules_free(r);

	ok(lr_rules_builtin("nginx", &r, &err) == -1 &&
	    err.code == OPS_EXIT_USAGE && strstr(err.msg, "http, auth") != NULL,
	    "unknown built-in set: code 2 naming the sets");
}

static long
maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		bail_out("getrusage");
	return ru.ru_maxrss;
}

static void
test_long_line(void)
{
	static char chunk[1 << 20];
	const size_t total = 32u << 20;
	struct lr_rules *r = builtin("errors");
	struct lr_stats *st;
	struct lr_scan_info info;
	struct ops_err err;
	struct ops_buf out;
	const char *path = spath("long.log"), *argv[4];
	const char *head = "Nov 23 09:00:00 h k: error ";
	long before;
	size_t i;
	int fd, rc;

	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, head, strlen(head));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		bail_out("open");
	for (i = 0; i < total / sizeof(chunk); i++) {
		if (ops_write_all(fd, chunk, sizeof(chunk)) < 0)
			bail_out("write");
		memset(chunk, 'x', strlen(head));
	}
	close(fd);

	before = maxrss_kb();
	st = lr_stats_new(r);
	rc = scan_file(st, path, "long", at("2026-11-24T00:00:00+09:00"), &err);
	ok(rc == 0, "32 MB line without newline: scanned");
	lr_stats_info(st, &info);
	is_int((long long)info.cut, 1, "32 MB line: cut once");
	is_int((long long)info.lines, 1, "32 MB line: one line");
	is_int((long long)info.bytes, (long long)total,
	    "32 MB line: every byte read");
	diag("max RSS %ld kB before, %ld kB after", before, maxrss_kb());
	ok(maxrss_kb() - before < 16 * 1024,
	    "32 MB line: memory grew by less than 16 MB");
	ops_buf_init(&out, 0);
	rows(st, &out);
	ok(strncmp(ops_buf_cstr(&out), "2026-11-23\tlong\terrors\t1\tNov 23 "
	    "09:00:00 h k: error xxx", 45) == 0 &&
	    out.len == strlen("2026-11-23\tlong\terrors\t1\t") +
	    LR_SCAN_SAMPLE_MAX + 1,
	    "32 MB line: counted, sample of %d bytes", LR_SCAN_SAMPLE_MAX);
	lr_stats_free(st);

	/* the same line gzip-compressed, then followed by more lines */
	argv[0] = "gzip";
	argv[1] = "-c";
	argv[2] = path;
	argv[3] = NULL;
	if (run_prog(argv, NULL, spath("long.log.gz")) != 0) {
		skip(1, "no gzip");
	} else {
		st = lr_stats_new(r);
		rc = scan_file(st, spath("long.log.gz"), "long",
		    at("2026-11-24T00:00:00+09:00"), &err);
		lr_stats_info(st, &info);
		ok(rc == 0 && info.cut == 1 && info.bytes == total &&
		    maxrss_kb() - before < 16 * 1024,
		    "32 MB line, gzip: cut once, memory bounded");
		lr_stats_free(st);
	}
	ops_buf_release(&out);

	/* a cut line ends at its newline: the next lines count */
	{
		struct ops_buf b;

		ops_buf_init(&b, 0);
		ops_buf_puts(&b, "Nov 22 09:00:00 h k: ");
		for (i = 0; i < LR_SCAN_MAX_LINE; i++)
			ops_buf_puts(&b, "y");
		ops_buf_puts(&b, " error\nNov 23 09:00:00 h k: fatal\n");
		for (i = 0; i < LR_SCAN_MAX_LINE - 10; i++)
			ops_buf_puts(&b, "z");
		ops_buf_puts(&b, " panic\n");
		st = lr_stats_new(r);
		(void)lr_scan_buf(st, b.data, b.len, "l",
		    at("2026-11-24T00:00:00+09:00"));
		lr_stats_info(st, &info);
		ops_buf_init(&out, 0);
		rows(st, &out);
		ok(info.cut == 1 && info.lines == 3 &&
		    strstr(out.data, "2026-11-22\tl\terrors\t0\t\n") &&
		    strstr(out.data, "2026-11-23\tl\terrors\t2\tNov 23 "),
		    "a word after the first 64 KiB is not seen; the lines "
		    "after a cut line are");
		ops_buf_release(&out);
		ops_buf_release(&b);
		lr_stats_free(st);
	}
	lr_rules_free(r);
}

static void
test_two_logs(void)
{
	struct lr_rules *r = builtin("errors");
	struct lr_stats *st = lr_stats_new(r);
	struct ops_buf out;
	int64_t ref = at("2026-11-24T00:00:00+09:00");

	(void)lr_scan_buf(st, "Nov 23 00:00:00 h k: error\n", 27, "b.log", ref);
	(void)lr_scan_buf(st, "Nov 22 00:00:00 h k: error\n", 27, "b.log", ref);
	(void)lr_scan_buf(st, "Nov 23 00:00:00 h k: fatal\n", 27, "a.log", ref);
	(void)lr_scan_buf(st, "Nov 23 00:00:01 h k: fatal\n", 27, "a.log", ref);
	ops_buf_init(&out, 0);
	rows(st, &out);
	is_str(ops_buf_cstr(&out),
	    "2026-11-22\tb.log\terrors\t1\tNov 22 00:00:00 h k: error\n"
	    "2026-11-23\ta.log\terrors\t2\tNov 23 00:00:00 h k: fatal\n"
	    "2026-11-23\tb.log\terrors\t1\tNov 23 00:00:00 h k: error\n",
	    "two logs: sorted by date then log; a log scanned twice adds up");
	ops_buf_reset(&out);
	out.limit = 30;
	{
		struct ops_err err;

		ok(lr_stats_rows(st, &out, &err) == -1 &&
		    err.code == OPS_EXIT_FAIL && out.len == 0,
		    "rows past the buffer limit: code 3");
	}
	ops_buf_release(&out);
	lr_stats_free(st);
	lr_rules_free(r);
}

static void
test_days_cap(void)
{
	struct lr_rules *r = builtin("errors");
	struct lr_stats *st = lr_stats_new(r);
	struct lr_scan_info info;
	struct ops_buf log, out;
	int64_t day0 = ops_days_from_civil(2010, 1, 1);
	int i, y, m, d;
	size_t nrows = 0, k;

	ops_buf_init(&log, 0);
	for (i = 0; i <= LR_SCAN_MAX_DAYS; i++) {
		ops_civil_from_days(day0 + i, &y, &m, &d);
		if (ops_buf_printf(&log, "%04d-%02d-%02dT00:00:00Z h k: panic\n",
			y, m, d) < 0)
			bail_out("ops_buf_printf");
	}
	/* a day already kept still counts */
	if (ops_buf_printf(&log, "2010-01-01T00:00:01Z h k: panic\n") < 0)
		bail_out("ops_buf_printf");
	(void)lr_scan_buf(st, log.data, log.len, "many", 0);
	lr_stats_info(st, &info);
	ops_buf_init(&out, 0);
	rows(st, &out);
	for (k = 0; k < out.len; k++)
		nrows += out.data[k] == '\n';
	ok(info.lost == 1 && nrows == LR_SCAN_MAX_DAYS &&
	    strncmp(out.data, "2010-01-01\tmany\terrors\t2\t", 25) == 0,
	    "day %d + 1 of a log is not counted, the others are (lost %llu, "
	    "rows %zu)", LR_SCAN_MAX_DAYS, (unsigned long long)info.lost,
	    nrows);
	ops_buf_release(&out);
	ops_buf_release(&log);
	lr_stats_free(st);
	lr_rules_free(r);
}

int
main(int argc, char **argv)
{
	int64_t ref = at("2026-11-24T03:00:00+09:00");

	(void)argc;
	ops_diag_init(argv[0]);
	if (setenv("TZ", "Asia/Tokyo", 1) < 0)
		bail_out("setenv");
	tzset();
	scratch_make("t-lrscan");

	test_long_line(); /* first: before the others raise max RSS */
	test_http_small();
	test_http_generated(false, ref);
	test_http_generated(true, ref);
	test_compressed(ref);
	test_auth_generated(false);
	test_auth_generated(true);
	test_rollover();
	test_errors();
	test_samples();
	test_rule_file();
	test_two_logs();
	test_days_cap();

	scratch_remove();
	return done_testing();
}
