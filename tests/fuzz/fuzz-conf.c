/*
 * fuzz-conf.c - libFuzzer target for the ops.conf parser (lib/conf.c)
 * SPDX-License-Identifier: MIT
 *
 * Parses the input against the toolkit's schema, then calls every getter
 * on whatever was parsed, and releases it.  A crash, leak or sanitizer
 * report is a finding; parse errors are not.
 */
#include "compat.h"

#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_value(const char *v)
{
	/* touch every byte so that a bad pointer shows up here */
	volatile size_t n = v ? strlen(v) : 0;

	(void)n;
}

static void
query(const struct ops_conf *c, const char *section, const char *name,
    const char *key)
{
	const char *vals[4];
	struct ops_err err;
	long long n;
	bool b;

	use_value(ops_conf_get(c, section, name, key));
	(void)ops_conf_entry(c, section, name, key);
	(void)ops_conf_get_all(c, section, name, key, vals, 4);
	if (ops_conf_get_int(c, section, name, key, &n, &err) < 0)
		use_value(err.msg);
	if (ops_conf_get_bool(c, section, name, key, &b, &err) < 0)
		use_value(err.msg);
	if (ops_conf_get_duration_ms(c, section, name, key, &n, &err) < 0)
		use_value(err.msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ops_conf_key *k;
	const char *names[8];
	struct ops_conf c;
	struct ops_err err;
	size_t i, n;

	ops_conf_init(&c);
	ops_err_clear(&err);
	if (ops_conf_parse(&c, "fuzz.conf", (const char *)data, size,
	        ops_conf_schema, &err) < 0)
		use_value(err.msg);
	for (i = 0; i < c.n; i++)
		query(&c, c.ent[i].section, c.ent[i].name, c.ent[i].key);
	for (k = ops_conf_schema; k->section; k++) {
		query(&c, k->section, NULL, k->key);
		n = ops_conf_names(&c, k->section, names, 8);
		for (i = 0; i < n && i < 8; i++)
			query(&c, k->section, names[i], k->key);
	}
	ops_conf_release(&c);
	return 0;
}
