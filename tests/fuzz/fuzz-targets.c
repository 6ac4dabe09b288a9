/*
 * fuzz-targets.c - libFuzzer target for opsping's targets file and target
 * text (cmd/opsping/target.c)
 * SPDX-License-Identifier: MIT
 *
 * Parses the input as a targets file, touching every field of every target
 * loaded; then, for a few prefixes of the input, NUL-terminated copies go
 * through pg_target_parse() and pg_target_options() (the second one on an
 * ICMP, an HTTPS and an SSH target, so every option's rules run).  A
 * crash, leak or sanitizer report is a finding; parse errors are not.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "mem.h"
#include "range.h"

#include "../../cmd/opsping/opsping.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_str(const char *s)
{
	/* touch every byte so that a bad pointer shows up here */
	volatile size_t n = s ? strlen(s) : 0;

	(void)n;
}

static void
use_target(const struct pg_target *t)
{
	char buf[128];
	volatile int sum = 0;
	size_t i;

	use_str(t->name);
	use_str(t->spec);
	use_str(t->host);
	use_str(t->url);
	use_str(t->user);
	use_str(t->probe);
	use_str(t->match);
	use_str(t->parent);
	use_str(t->ca);
	use_str(t->file);
	use_str(ops_range_format(&t->warn, 1000, buf, sizeof(buf)));
	use_str(ops_range_format(&t->crit, 1, buf, sizeof(buf)));
	sum += ops_range_alert(&t->warn, 100) + ops_range_alert(&t->crit, -1);
	for (i = 0; i < t->nexpect && i < PG_MAX_EXPECT; i++)
		sum += t->expect[i].lo + t->expect[i].hi;
	sum += t->port + t->attempts + t->count + t->cert_days;
	(void)sum;
}

/* Options s on a fresh target of text spec. */
static void
try_options(const char *spec, const char *s)
{
	struct pg_target *t = pg_target_new();
	struct ops_err err;

	ops_err_clear(&err);
	if (pg_target_parse(t, spec, &err) == 0 &&
	    pg_target_options(t, s, &err) == 0)
		use_target(t);
	else
		use_str(err.msg);
	pg_target_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t cuts[] = {16, 64, 300, 5000};
	struct pg_target **v = NULL, *t;
	struct ops_err err;
	size_t n = 0, i, len;
	char *s;

	ops_err_clear(&err);
	if (pg_targets_parse(
	        "fuzz.tsv", (const char *)data, size, &v, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			use_target(v[i]);
			pg_target_free(v[i]);
		}
		free(v);
	} else
		use_str(err.msg);

	for (i = 0; i < OPS_ARRAY_SIZE(cuts); i++) {
		len = size < cuts[i] ? size : cuts[i];
		s = ops_xstrndup((const char *)data, len);
		t = pg_target_new();
		ops_err_clear(&err);
		if (pg_target_parse(t, s, &err) == 0 &&
		    pg_target_options(t, s, &err) == 0)
			use_target(t);
		else
			use_str(err.msg);
		pg_target_free(t);
		try_options("192.0.2.1", s);
		try_options("https://h.example/x", s);
		try_options("ssh://u@h/disk=/var", s);
		free(s);
		if (len == size)
			break;
	}
	return 0;
}
