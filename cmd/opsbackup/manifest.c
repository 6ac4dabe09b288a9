/*
 * manifest.c - NAME-ID.manifest.tsv: one row per archive member
 * SPDX-License-Identifier: MIT
 *
 * Columns: path type mode uid gid size mtime sha256 target note (the
 * first eight as SPEC 5.3 names them; readers find columns by name and
 * need those eight).  type is file, dir, symlink, hardlink or other; mode
 * four octal digits; mtime RFC 3339 in UTC; sha256 64 lowercase hex
 * digits for files and hard links, else empty; target the symlink's or
 * hard link's target; note "changed" for a file that changed while it
 * was read.  Paths are TSV-escaped bytes, not necessarily UTF-8.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "exitcode.h"
#include "mem.h"
#include "num.h"
#include "tsv.h"

#include "bk.h"

static const char *const cols[] = {"path", "size", "type", "mode", "uid",
    "gid", "mtime", "sha256", "target", "note"};
enum { C_PATH, C_SIZE, C_TYPE, C_MODE, C_UID, C_GID, C_MTIME, C_SHA,
	C_TARGET, C_NOTE, NCOLS };
/* the order they are written in */
static const int out_order[NCOLS] = {C_PATH, C_TYPE, C_MODE, C_UID, C_GID,
    C_SIZE, C_MTIME, C_SHA, C_TARGET, C_NOTE};
#define NEEDED 8 /* path type mode uid gid size mtime sha256 */

static const char *const type_names[] = {"file", "dir", "symlink",
    "hardlink", "other"};

const char *
bk_type_name(enum bk_type t)
{
	return type_names[t];
}

void
bk_manifest_init(struct bk_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
bk_manifest_release(struct bk_manifest *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].path);
		free(m->v[i].target);
	}
	free(m->v);
	free(m->sorted);
	free(m->lines);
	memset(m, 0, sizeof(*m));
}

void
bk_manifest_add(struct bk_manifest *m, const struct bk_ment *e)
{
	size_t cap = m->cap;

	ops_xgrow((void **)&m->v, &m->cap, m->n + 1, sizeof(*m->v));
	if (m->cap != cap)
		m->lines = ops_xreallocarray(m->lines, m->cap,
		    sizeof(*m->lines));
	m->v[m->n] = *e;
	m->v[m->n].path = ops_xstrdup(e->path);
	m->v[m->n].target = e->target ? ops_xstrdup(e->target) : NULL;
	m->lines[m->n] = 0;
	m->n++;
}

int
bk_manifest_header(struct ops_buf *out)
{
	const char *row[NCOLS];
	size_t k;

	for (k = 0; k < NCOLS; k++)
		row[k] = cols[out_order[k]];
	return ops_tsv_row(out, row, NCOLS);
}

int
bk_manifest_line(const struct bk_ment *e, struct ops_buf *out)
{
	char mode[8], uid[24], gid[24], size[24], ts[OPS_RFC3339_SIZE];
	const char *f[NCOLS], *row[NCOLS];
	size_t k;

	snprintf(mode, sizeof(mode), "%04o", e->mode & 07777);
	snprintf(uid, sizeof(uid), "%lld", (long long)e->uid);
	snprintf(gid, sizeof(gid), "%lld", (long long)e->gid);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)e->size);
	f[C_PATH] = e->path;
	f[C_TYPE] = type_names[e->type];
	f[C_MODE] = mode;
	f[C_UID] = uid;
	f[C_GID] = gid;
	f[C_SIZE] = size;
	f[C_MTIME] = ops_rfc3339_format_utc(e->mtime, ts);
	f[C_SHA] = e->sha;
	f[C_TARGET] = e->target ? e->target : "";
	f[C_NOTE] = e->changed ? "changed" : "";
	for (k = 0; k < NCOLS; k++)
		row[k] = f[out_order[k]];
	return ops_tsv_row(out, row, NCOLS);
}

int
bk_manifest_format(const struct bk_manifest *m, struct ops_buf *out)
{
	size_t i;

	if (bk_manifest_header(out) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (bk_manifest_line(&m->v[i], out) < 0)
			return -1;
	return 0;
}

static int
cmp_ment(const void *a, const void *b)
{
	const struct bk_ment *x = *(struct bk_ment *const *)a;
	const struct bk_ment *y = *(struct bk_ment *const *)b;

	return strcmp(x->path, y->path);
}

void
bk_manifest_index(struct bk_manifest *m)
{
	size_t i;

	free(m->sorted);
	m->sorted = ops_xreallocarray(NULL, m->n ? m->n : 1,
	    sizeof(*m->sorted));
	for (i = 0; i < m->n; i++)
		m->sorted[i] = &m->v[i];
	qsort(m->sorted, m->n, sizeof(*m->sorted), cmp_ment);
}

struct bk_ment *
bk_manifest_find(const struct bk_manifest *m, const char *path)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->sorted[mid]->path, path);

		if (c == 0)
			return m->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/* Split one line (NUL-terminated, no '\n') into at most max fields,
 * unescaping each in place.  The count, or -1 for a bad escape. */
static int
split(char *line, char **f, size_t *fl, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');
		ssize_t len;

		if (n == max)
			return max + 1;
		if (tab)
			*tab = '\0';
		len = ops_tsv_unescape(p, strlen(p));
		if (len < 0)
			return -1;
		f[n] = p;
		fl[n] = (size_t)len;
		n++;
		if (tab == NULL)
			return n;
		p = tab + 1;
	}
}

static int
parse_row(struct bk_ment *e, char *const *f, const size_t *fl,
    const int *at, const char **why)
{
	const char *v;
	long long ll;
	int k, off;

	memset(e, 0, sizeof(*e));
	if (fl[at[C_PATH]] == 0 || strlen(f[at[C_PATH]]) != fl[at[C_PATH]])
		return *why = "empty path or NUL byte in path", -1;
	e->path = f[at[C_PATH]];
	v = f[at[C_TYPE]];
	for (k = 0; k <= BK_OTHER; k++)
		if (strcmp(v, type_names[k]) == 0)
			break;
	if (k > BK_OTHER)
		return *why = "unknown type (file, dir, symlink, hardlink, "
			      "other)", -1;
	e->type = (enum bk_type)k;
	{
		const char *q = f[at[C_MODE]];
		unsigned m = 0;

		if (fl[at[C_MODE]] != 4)
			return *why = "bad mode (four octal digits)", -1;
		for (; *q; q++) {
			if (*q < '0' || *q > '7')
				return *why = "bad mode (four octal digits)",
				       -1;
			m = m * 8 + (unsigned)(*q - '0');
		}
		e->mode = m;
	}
	if (ops_parse_int(f[at[C_UID]], 0, INT64_MAX / 2, &ll, why) < 0)
		return -1;
	e->uid = ll;
	if (ops_parse_int(f[at[C_GID]], 0, INT64_MAX / 2, &ll, why) < 0)
		return -1;
	e->gid = ll;
	if (ops_parse_int(f[at[C_SIZE]], 0, INT64_MAX / 2, &ll, why) < 0)
		return -1;
	e->size = (uint64_t)ll;
	if (ops_rfc3339_parse(f[at[C_MTIME]], fl[at[C_MTIME]], &e->mtime,
		&off) < 0)
		return *why = "bad mtime (RFC 3339)", -1;
	v = f[at[C_SHA]];
	if (e->type == BK_FILE || e->type == BK_HARDLINK) {
		if (!is_hex64(v))
			return *why = "bad sha256 (64 lowercase hex digits)",
			       -1;
		memcpy(e->sha, v, BK_SHA_HEX);
	} else if (*v) {
		return *why = "sha256 given for a member that is not a file",
		       -1;
	}
	if (at[C_TARGET] >= 0 && fl[at[C_TARGET]] > 0) {
		if (strlen(f[at[C_TARGET]]) != fl[at[C_TARGET]])
			return *why = "NUL byte in target", -1;
		e->target = f[at[C_TARGET]];
	}
	if ((e->type == BK_SYMLINK || e->type == BK_HARDLINK) &&
	    e->target == NULL)
		return *why = "link without target", -1;
	if (at[C_NOTE] >= 0 && strcmp(f[at[C_NOTE]], "changed") == 0)
		e->changed = true;
	return 0;
}

int
bk_manifest_cols(char *header, struct bk_mcols *c, const char **why)
{
	char *f[NCOLS + 1];
	size_t fl[NCOLS + 1];
	int n, i, k;

	n = split(header, f, fl, NCOLS);
	if (n < 0 || n > NCOLS)
		return *why = n < 0 ? "bad escape" : "too many columns", -1;
	for (k = 0; k < NCOLS; k++)
		c->at[k] = -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < NCOLS; k++)
			if (strcmp(f[i], cols[k]) == 0)
				c->at[k] = i;
	for (k = 0; k < NEEDED; k++)
		if (c->at[k] < 0)
			return *why = "a column is missing (path type mode uid "
				      "gid size mtime sha256)",
			       -1;
	c->ncols = n;
	return 0;
}

int
bk_manifest_row(const struct bk_mcols *c, char *line, struct bk_ment *e,
    const char **why)
{
	char *f[NCOLS + 1];
	size_t fl[NCOLS + 1];
	int n;

	n = split(line, f, fl, NCOLS);
	if (n < 0 || n > NCOLS)
		return *why = n < 0 ? "bad escape" : "too many columns", -1;
	if (n != c->ncols)
		return *why = "wrong number of fields", -1;
	return parse_row(e, f, fl, c->at, why);
}

int
bk_manifest_parse(struct bk_manifest *m, const char *name, const char *text,
    size_t len, struct ops_err *err)
{
	char *copy = ops_xstrndup(text, len), *p = copy;
	struct bk_mcols c;
	long line = 0;
	const char *why;
	size_t i;
	int rc = -1;

	if (memchr(text, '\0', len)) {
		free(copy);
		return ops_err_at(err, OPS_EXIT_USAGE, name, 0,
		    "NUL byte in the manifest");
	}
	while (*p) {
		char *nl = strchr(p, '\n');
		struct bk_ment e;

		line++;
		if (nl == NULL) {
			ops_err_at(err, OPS_EXIT_USAGE, name, line,
			    "last line has no newline (truncated?)");
			goto out;
		}
		*nl = '\0';
		if (line == 1 ? bk_manifest_cols(p, &c, &why) < 0
			      : bk_manifest_row(&c, p, &e, &why) < 0) {
			ops_err_at(err, OPS_EXIT_USAGE, name, line, "%s", why);
			goto out;
		}
		if (line > 1) {
			bk_manifest_add(m, &e);
			m->lines[m->n - 1] = line;
		}
		p = nl + 1;
	}
	if (line == 0) {
		ops_err_at(err, OPS_EXIT_USAGE, name, 0, "empty manifest");
		goto out;
	}
	bk_manifest_index(m);
	for (i = 1; i < m->n; i++)
		if (strcmp(m->sorted[i - 1]->path, m->sorted[i]->path) == 0) {
			long l1 = m->lines[m->sorted[i - 1] - m->v];
			long l2 = m->lines[m->sorted[i] - m->v];

			ops_err_at(err, OPS_EXIT_USAGE, name,
			    l1 > l2 ? l1 : l2, "duplicate path");
			goto out;
		}
	rc = 0;
out:
	free(copy);
	return rc;
}
