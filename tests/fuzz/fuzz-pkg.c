/*
 * fuzz-pkg.c - libFuzzer target for opspatch-check's readers of
 * installed packages (cmd/opspatch-check/pkg.c): dpkg's status file,
 * dpkg-query lines and rpm lines, all three on every input
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdint.h>
#include <string.h>

#include "diag.h"

#include "../../cmd/opspatch-check/applied.h"
#include "../../cmd/opspatch-check/pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*fns[])(const char *, const char *, size_t, struct pk_list *,
	    struct ops_err *) = {pk_dpkg_status, pk_dpkg_query, pk_rpm_query};
	size_t i, k;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct pk_list l;
		struct ops_err err;
		int r;

		pk_list_init(&l);
		ops_err_clear(&err);
		r = fns[i]("input", (const char *)data, size, &l, &err);
		/* touch what came out */
		for (k = 0; r == 0 && k < l.n; k++) {
			volatile size_t n = strlen(l.v[k].name) +
					    strlen(l.v[k].version) +
					    strlen(l.v[k].source) +
					    strlen(l.v[k].source_version);

			(void)n;
		}
		pk_list_release(&l);
	}
	{
		struct ap_log l;
		struct ap_row *v = NULL;
		struct ops_err err;
		size_t n = 0;

		ap_log_init(&l);
		ops_err_clear(&err);
		if (ap_log_add(&l, "log", (const char *)data, size, &err) == 0) {
			ap_log_list(&l, &v, &n);
			ap_rows_free(v, n);
		}
		ap_log_release(&l);
	}
	return 0;
}
