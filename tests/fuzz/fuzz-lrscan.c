/*
 * fuzz-lrscan.c - libFuzzer target for the log scanner (opslog-rotate scan)
 * SPDX-License-Identifier: MIT
 *
 * Scans the input as a log with each built-in rule set (http, auth,
 * errors) and with a small rule file, under a January reference time (so
 * that the syslog year rollover is taken), then writes the rows.  A crash,
 * leak or sanitizer report is a finding.
 */
#include "compat.h"

#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"

#include "../../cmd/opslog-rotate/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char rule_text[] =
    "name\tpattern\n"
    "sudo\tsudo\\\\[[0-9]+\\\\]: .*COMMAND=\n"
    "start\t^[A-Z][a-z]{2} [ 0-9][0-9] \n"
    "oom\t(Out|out) of memory\n";

/* The rule sets, made once (regcomp is slow) and kept to the end. */
static struct lr_rules *sets[4];

static void
make_sets(void)
{
	static const char *const names[] = {"http", "auth", "errors"};
	struct ops_err err;
	size_t i;
	int fd;

	for (i = 0; i < 3; i++)
		if (lr_rules_builtin(names[i], &sets[i], &err) < 0)
			abort();
	fd = memfd_create("rules.tsv", MFD_CLOEXEC);
	if (fd < 0 || write(fd, rule_text, sizeof(rule_text) - 1) !=
	    (ssize_t)(sizeof(rule_text) - 1) || lseek(fd, 0, SEEK_SET) != 0 ||
	    lr_rules_load_fd(fd, "rules.tsv", &sets[3], &err) < 0)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2027-01-14T12:00:00Z */
	const int64_t ref = 1799928000;
	struct lr_scan_info info;
	struct lr_stats *st;
	struct ops_err err;
	struct ops_buf out;
	size_t i, half = size / 2;

	if (sets[0] == NULL)
		make_sets();
	for (i = 0; i < OPS_ARRAY_SIZE(sets); i++) {
		st = lr_stats_new(sets[i]);
		/* the same log in two calls, then another log */
		(void)lr_scan_buf(st, (const char *)data, half, "a.log", ref);
		(void)lr_scan_buf(st, (const char *)data + half, size - half,
		    "a.log", ref);
		(void)lr_scan_buf(st, (const char *)data, size, "b.log",
		    ref - 86400 * 40);
		ops_buf_init(&out, 64 << 20);
		if (lr_stats_rows(st, &out, &err) < 0)
			abort();
		lr_stats_info(st, &info);
		if (info.lines > 2 * (uint64_t)size + 3 || info.bytes != 2 * (uint64_t)size)
			abort();
		ops_buf_release(&out);
		lr_stats_free(st);
	}
	return 0;
}
