/*
 * fuzz-lrconf.c - libFuzzer target for opslog-rotate's reader of
 * logrotate configuration (cmd/opslog-rotate/conf.c)
 * SPDX-License-Identifier: MIT
 *
 * Parses the input twice into one configuration (as several CONFIG
 * arguments are read), walks every entry and option, copies the globals,
 * and releases everything.  A crash, leak or sanitizer report is a
 * finding; parse errors are not.
 */
#include "compat.h"

#include <stdint.h>
#include <string.h>

#include "diag.h"

#include "../../cmd/opslog-rotate/lr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_value(const char *v)
{
	/* touch every byte so that a bad pointer shows up here */
	volatile size_t n = v ? strlen(v) : 0;

	(void)n;
}

static void
use_opts(const struct lr_opts *o)
{
	const char *s[] = {o->compresscmd, o->compressext, o->compressoptions,
	    o->create_owner, o->create_group, o->dateformat, o->extension,
	    o->olddir, o->createolddir_owner, o->createolddir_group,
	    o->prerotate, o->postrotate, o->firstaction, o->lastaction,
	    o->su_user, o->su_group};
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(s); i++)
		use_value(s[i]);
	for (i = 0; i < o->ntaboo; i++)
		use_value(o->tabooext[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lr_config c;
	struct lr_opts copy;
	struct ops_err err;
	size_t i, j;
	int pass;

	lr_config_init(&c);
	for (pass = 0; pass < 2; pass++) {
		ops_err_clear(&err);
		if (lr_config_parse(&c, pass ? "b.conf" : "a.conf",
		        (const char *)data, size, &err) < 0)
			use_value(err.msg);
	}
	for (i = 0; i < c.n; i++) {
		for (j = 0; j < c.e[i].npat; j++)
			use_value(c.e[i].patterns[j]);
		use_value(c.e[i].file);
		use_opts(&c.e[i].o);
	}
	use_opts(&c.global);
	lr_opts_copy(&copy, &c.global);
	use_opts(&copy);
	lr_opts_release(&copy);
	lr_config_release(&c);
	return 0;
}
