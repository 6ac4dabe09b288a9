/*
 * maint.c - maintenance windows (maintenance.tsv)
 * SPDX-License-Identifier: MIT
 *
 * A window is [start, end) for every target whose name matches the glob
 * (fnmatch(3), no flags: "web*" matches "web01").  Inside one, a hard
 * change is still recorded in alerts.tsv but not delivered.
 */
#include "compat.h"

#include <fnmatch.h>

#include "clock.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "tsv.h"

#include "opsping.h"

void
pg_maint_free(struct pg_maint *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].glob);
	free(v);
}

int
pg_maint_load(const char *dir, bool strict, struct pg_maint **out,
    size_t *nout, struct ops_err *err)
{
	static const char *const names[] = {"start", "end", "name"};
	struct ops_tsv_reader r;
	struct pg_maint *v = NULL;
	size_t n = 0, cap = 0;
	int idx[3];
	char *path = ops_path_join(dir, PG_MAINT_STORE);
	int rc;

	*out = NULL;
	*nout = 0;
	if (ops_tsv_open(&r, path, OPS_TSV_MISSING_OK, err) < 0) {
		free(path);
		return -1;
	}
	free(path);
	if (r.ncols == 0) {
		ops_tsv_close(&r);
		return 0;
	}
	if (ops_tsv_columns(&r, names, idx, 3, err) < 0) {
		ops_tsv_close(&r);
		return -1;
	}
	while ((rc = ops_tsv_next(&r, err)) != 0) {
		int64_t s, e;

		if (rc == OPS_TSV_BAD) {
			if (strict)
				goto fail;
			ops_err_report(err);
			continue;
		}
		if (rc < 0)
			goto fail;
		if (ops_rfc3339_parse(r.f[idx[0]], r.fl[idx[0]], &s, NULL) <
			0 ||
		    ops_rfc3339_parse(r.f[idx[1]], r.fl[idx[1]], &e, NULL) <
			0 ||
		    r.fl[idx[2]] == 0) {
			ops_err_at(err, OPS_EXIT_USAGE, r.path, r.line,
			    "start and end must be RFC 3339 times and name "
			    "must not be empty");
			if (strict)
				goto fail;
			ops_err_report(err);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = ops_xreallocarray(v, cap, sizeof(*v));
		}
		v[n].start = s;
		v[n].end = e;
		v[n].glob = ops_xstrdup(r.f[idx[2]]);
		n++;
	}
	ops_tsv_close(&r);
	*out = v;
	*nout = n;
	return 0;
fail:
	ops_tsv_close(&r);
	pg_maint_free(v, n);
	return -1;
}

bool
pg_maint_active(const struct pg_maint *v, size_t n, const char *name,
    int64_t now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].start <= now && now < v[i].end &&
		    fnmatch(v[i].glob, name, 0) == 0)
			return true;
	return false;
}
