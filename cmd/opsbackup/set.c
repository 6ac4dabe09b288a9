/*
 * set.c - one [backup "NAME"] section of ops.conf
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "hostspec.h"
#include "mem.h"
#include "num.h"

#include "bk.h"

const char *
bk_ext(enum ops_z z)
{
	switch (z) {
	case OPS_Z_GZIP:
		return ".tar.gz";
	case OPS_Z_XZ:
		return ".tar.xz";
	case OPS_Z_ZSTD:
		return ".tar.zst";
	case OPS_Z_BZIP2:
		return ".tar.bz2";
	case OPS_Z_NONE:
		break;
	}
	return ".tar";
}

/* The line of key in the set's section, else of the section. */
static long
line_of(const struct ops_conf *c, const char *name, const char *key)
{
	const struct ops_conf_entry *e = ops_conf_entry(c, "backup", name, key);
	size_t i;

	if (e)
		return e->line;
	for (i = 0; i < c->nsect; i++)
		if (c->sect[i].name && strcmp(c->sect[i].section, "backup") == 0 &&
		    strcmp(c->sect[i].name, name) == 0)
			return c->sect[i].line;
	return 0;
}

static int
bad(const struct ops_conf *c, const char *name, const char *key,
    struct ops_err *err, const char *why)
{
	return ops_err_at(err, OPS_EXIT_USAGE, c->path, line_of(c, name, key),
	    "%s in [backup \"%s\"]: %s", key, name, why);
}

/* sftp://[user@]host[:port]/path, host may be [v6] */
static int
parse_sftp(struct bk_set *s, const char *url, const char **why)
{
	const char *p = url + strlen("sftp://"), *slash;

	slash = strchr(p, '/');
	if (slash == NULL || slash[1] == '\0')
		return *why = "write sftp://[user@]host[:port]/path", -1;
	if (ops_hostspec(p, (size_t)(slash - p), &s->user, &s->host,
		&s->port, why) < 0)
		return -1;
	if (s->port == 0)
		s->port = 22;
	s->dir = ops_xstrdup(slash);
	s->sftp = true;
	return 0;
}

int
bk_set_load(struct bk_set *s, const struct ops_conf *c, const char *name,
    struct ops_err *err)
{
	const char *v, *why, *vals[1024];
	size_t n, i;
	long long ll;
	const char *comp;

	memset(s, 0, sizeof(*s));
	s->name = ops_xstrdup(name);
	for (v = name; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
			(*v >= '0' && *v <= '9') || *v == '-' || *v == '_' ||
			*v == '.') ||
		    (v == name && *v == '.'))
			return ops_err_at(err, OPS_EXIT_USAGE, c->path,
			    line_of(c, name, "dest"),
			    "[backup \"%s\"]: a set name may hold letters, "
			    "digits, '-', '_' and '.' only (it names files)",
			    name);
	n = ops_conf_get_all(c, "backup", name, "source", vals, 1024);
	if (n == 0)
		return bad(c, name, "source", err,
		    "missing (at least one source = /path)");
	if (n > 1024)
		return bad(c, name, "source", err, "more than 1024 sources");
	s->source = ops_xcalloc(n, sizeof(*s->source));
	for (i = 0; i < n; i++) {
		size_t l = strlen(vals[i]);

		if (vals[i][0] != '/')
			return bad(c, name, "source", err,
			    "must be an absolute path");
		while (l > 1 && vals[i][l - 1] == '/')
			l--;
		s->source[s->nsource++] = ops_xstrndup(vals[i], l);
	}
	for (i = 0; i < s->nsource; i++) {
		size_t j;

		for (j = 0; j < s->nsource; j++) {
			size_t l = strlen(s->source[j]);

			if (i == j)
				continue;
			bool same = strcmp(s->source[i], s->source[j]) == 0;
			bool inside = !same &&
				      (strcmp(s->source[j], "/") == 0 ||
					  (strncmp(s->source[i], s->source[j],
					       l) == 0 &&
					      s->source[i][l] == '/'));

			if ((same && j < i) || inside) {
				char msg[600];

				snprintf(msg, sizeof(msg),
				    "%.250s is %s %.250s (it would be stored "
				    "twice)",
				    s->source[i], same ? "the same as" : "inside",
				    s->source[j]);
				return bad(c, name, "source", err, msg);
			}
		}
	}
	n = ops_conf_get_all(c, "backup", name, "exclude", vals, 1024);
	if (n > 1024)
		return bad(c, name, "exclude", err, "more than 1024 globs");
	s->exclude = ops_xcalloc(n ? n : 1, sizeof(*s->exclude));
	for (i = 0; i < n; i++)
		s->exclude[s->nexclude++] = ops_xstrdup(vals[i]);
	v = ops_conf_get(c, "backup", name, "pre");
	s->pre = v ? ops_xstrdup(v) : NULL;
	v = ops_conf_get(c, "backup", name, "dest");
	if (v == NULL || *v == '\0')
		return bad(c, name, "dest", err,
		    "missing (a directory or sftp://[user@]host[:port]/path)");
	s->dest = ops_xstrdup(v);
	if (strncmp(v, "sftp://", 7) == 0) {
		if (parse_sftp(s, v, &why) < 0)
			return bad(c, name, "dest", err, why);
	} else if (v[0] != '/') {
		return bad(c, name, "dest", err,
		    "must be an absolute path or sftp://...");
	} else {
		s->dir = ops_xstrdup(v);
	}
	if (ops_conf_get_int(c, "backup", name, "keep", &ll, err) < 0)
		return -1;
	s->keep = (long)ll;
	comp = ops_conf_get(c, "backup", name, "compress");
	if (strcmp(comp, "zstd") == 0)
		s->z = OPS_Z_ZSTD;
	else if (strcmp(comp, "gzip") == 0)
		s->z = OPS_Z_GZIP;
	else if (strcmp(comp, "xz") == 0)
		s->z = OPS_Z_XZ;
	else if (strcmp(comp, "none") == 0)
		s->z = OPS_Z_NONE;
	else
		return bad(c, name, "compress", err,
		    "use zstd, gzip, xz or none");
	if (ops_conf_get(c, "backup", name, "level")) {
		long long max = s->z == OPS_Z_ZSTD ? 19 : 9;

		if (ops_conf_get_int(c, "backup", name, "level", &ll, err) < 0)
			return -1;
		if (s->z == OPS_Z_NONE)
			return bad(c, name, "level", err,
			    "no level without compression");
		if (ll < 1 || ll > max) {
			char msg[64];

			snprintf(msg, sizeof(msg),
			    "use 1 to %lld for %s", max, comp);
			return bad(c, name, "level", err, msg);
		}
		s->level = (int)ll;
	}
	if (ops_conf_get_duration_ms(c, "backup", name, "max-age", &ll, err) <
	    0)
		return -1;
	s->max_age_ms = ll;
	return 0;
}

void
bk_set_release(struct bk_set *s)
{
	size_t i;

	for (i = 0; i < s->nsource; i++)
		free(s->source[i]);
	for (i = 0; i < s->nexclude; i++)
		free(s->exclude[i]);
	free(s->source);
	free(s->exclude);
	free(s->pre);
	free(s->dest);
	free(s->host);
	free(s->user);
	free(s->dir);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

bool
bk_set_excluded(const struct bk_set *s, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < s->nexclude; i++) {
		const char *g = s->exclude[i];

		if (strchr(g, '/') ? fnmatch(g, path, FNM_PATHNAME) == 0
				   : fnmatch(g, base, 0) == 0)
			return true;
	}
	return false;
}
