/*
 * scancmd.c - opslog-rotate scan: count what the logs say (logstats.tsv)
 * SPDX-License-Identifier: MIT
 *
 *   opslog-rotate scan [-d dir] [--rules file|http|auth|errors] [--record]
 *       [--format tsv|csv|json|text] [--no-header] log ...
 *
 * Each log (plain or gzip/bzip2/xz/zstd, found by its content) is read
 * once, in bounded memory, with its modification time as the reference
 * for syslog stamps without a year.  The rows (date log rule count
 * sample) go to stdout; --record also appends them to DIR/logstats.tsv
 * in one write under the store's lock.  A log that cannot be read is
 * reported and skipped (exit 3 at the end); the others are still counted.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "exitcode.h"
#include "mem.h"
#include "out.h"
#include "store.h"
#include "tsv.h"

#include "rotate.h"
#include "scan.h"

#define LOGSTATS "logstats.tsv"

enum { S_RULES = OPS_OPT_CMD + 50, S_RECORD };

static const char *const stats_cols[] = {
    "date", "log", "rule", "count", "sample"};

static const struct ops_out_col out_cols[] = {
    {"date", "date", false},
    {"log", "log", false},
    {"rule", "rule", false},
    {"count", "count", true},
    {"sample", "sample", false},
};

/* Print the rows (TSV lines in b) through the chosen format. */
static int
print_rows(const struct ops_cli *cli, enum ops_out_fmt fmt, unsigned flags,
    const struct ops_buf *b, struct ops_err *err)
{
	struct ops_out out;
	const char *p = b->data ? b->data : "", *end = p + b->len;

	ops_out_begin(&out, stdout, fmt, flags | cli->out_flags, out_cols,
	    OPS_ARRAY_SIZE(out_cols));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char *line, *f[5], *q;
		const char *vals[5];
		size_t k = 0;

		if (nl == NULL)
			nl = end;
		line = ops_xstrndup(p, (size_t)(nl - p));
		for (q = line; k < 5; k++) {
			f[k] = q;
			q = strchr(q, '\t');
			if (q == NULL) {
				k++;
				break;
			}
			*q++ = '\0';
		}
		if (k == 5) {
			for (k = 0; k < 5; k++) {
				ssize_t n = ops_tsv_unescape(f[k], strlen(f[k]));

				if (n >= 0)
					f[k][n] = '\0';
				vals[k] = f[k];
			}
			if (ops_out_row(&out, vals) < 0) {
				free(line);
				ops_out_discard(&out);
				return ops_err_set(err, OPS_EXIT_FAIL,
				    "row too large");
			}
		}
		free(line);
		p = nl + 1;
	}
	return ops_out_end(&out, err);
}

static int
record(const struct ops_cli *cli, const struct ops_buf *b,
    struct ops_err *err)
{
	struct ops_store st;
	int rc;

	if (b->len == 0)
		return 0;
	if (ops_store_open(&st, cli->dir, LOGSTATS, stats_cols,
		OPS_ARRAY_SIZE(stats_cols), 0640, err) < 0)
		return -1;
	rc = ops_store_lock(&st, 30000, err);
	if (rc == 0)
		rc = ops_store_append(&st, b->data, b->len, err);
	ops_store_close(&st);
	return rc;
}

static OPS_NORETURN void
scan_usage(int code)
{
	fputs("usage: opslog-rotate scan [-d dir] [--rules "
	      "file|http|auth|errors] [--record]\n"
	      "           [--format tsv|csv|json|text] [--no-header] log ...\n",
	    code ? stderr : stdout);
	exit(code);
}

int
lr_cmd_scan(struct ops_cli *cli, int argc, char **argv)
{
	static const struct option longs[] = {
	    OPS_CLI_LONGOPTS,
	    {"rules", required_argument, NULL, S_RULES},
	    {"record", no_argument, NULL, S_RECORD},
	    {NULL, 0, NULL, 0},
	};
	static const char *const fmts[] = {"tsv", "csv", "json", "text", NULL};
	const char *rules_arg = "errors";
	struct lr_rules *rules = NULL;
	struct lr_stats *st;
	struct ops_err err;
	struct ops_buf rows;
	enum ops_out_fmt fmt = OPS_OUT_TSV;
	unsigned flags = 0;
	bool rec = false;
	int c, i, rc = OPS_EXIT_OK;

	optind = 1; /* argv[0] is "scan" */
	while ((c = getopt_long(argc, argv, OPS_CLI_SHORT, longs, NULL)) !=
	    -1) {
		if (ops_cli_option(cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			scan_usage(OPS_EXIT_OK);
		case S_RULES:
			rules_arg = optarg;
			break;
		case S_RECORD:
			rec = true;
			break;
		default:
			scan_usage(OPS_EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		ops_warn("scan needs at least one log");
		scan_usage(OPS_EXIT_USAGE);
	}
	if ((cli->format_opt && ops_out_format_parse(cli->format_opt, fmts,
				    &fmt, &flags, &err) < 0) ||
	    ops_cli_setup(cli, rec ? OPS_CLI_NEED_DIR : 0, &err) < 0)
		return ops_err_report(&err);
	if (strcmp(rules_arg, "http") == 0 || strcmp(rules_arg, "auth") == 0 ||
	    strcmp(rules_arg, "errors") == 0)
		c = lr_rules_builtin(rules_arg, &rules, &err);
	else
		c = lr_rules_load(rules_arg, &rules, &err);
	if (c < 0)
		return ops_err_report(&err);
	st = lr_stats_new(rules);
	for (i = optind; i < argc; i++) {
		struct stat sb;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0 || fstat(fd, &sb) < 0) {
			ops_err_set(&err, OPS_EXIT_FAIL, "%s:", argv[i]);
			rc = ops_exit_worst(rc, ops_err_report(&err));
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (lr_scan_fd(st, fd, argv[i], (int64_t)sb.st_mtime, &err) <
		    0)
			rc = ops_exit_worst(rc, ops_err_report(&err));
		close(fd);
	}
	{
		struct lr_scan_info in;

		lr_stats_info(st, &in);
		if (in.cut)
			ops_warn("%llu line(s) longer than %d bytes: only "
				 "their start was looked at",
			    (unsigned long long)in.cut, LR_SCAN_MAX_LINE);
		if (in.lost)
			ops_warn("%llu line(s) not counted: a log spans more "
				 "than %d days",
			    (unsigned long long)in.lost, LR_SCAN_MAX_DAYS);
		if (in.clients_capped)
			ops_warn("too many distinct clients: the clients "
				 "counts are lower bounds");
		if (in.unstamped)
			ops_info(1, "%llu line(s) without a time stamp "
				    "counted under the day before them",
			    (unsigned long long)in.unstamped);
	}
	ops_buf_init(&rows, 0);
	if (lr_stats_rows(st, &rows, &err) < 0 ||
	    print_rows(cli, fmt, flags, &rows, &err) < 0 ||
	    (rec && record(cli, &rows, &err) < 0))
		rc = ops_exit_worst(rc, ops_err_report(&err));
	ops_buf_release(&rows);
	lr_stats_free(st);
	lr_rules_free(rules);
	return rc;
}
