/*
 * pkg.c - installed packages from dpkg and rpm (see pkg.h)
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "mem.h"

#include "pkg.h"

void
pk_list_init(struct pk_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
pk_list_release(struct pk_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].version);
		free(l->v[i].arch);
		free(l->v[i].source);
		free(l->v[i].source_version);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
pk_list_add(struct pk_list *l, const char *name, const char *version,
    const char *arch, const char *source, const char *source_version)
{
	struct pk_pkg *p;

	ops_xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	p = &l->v[l->n++];
	p->name = ops_xstrdup(name);
	p->version = ops_xstrdup(version);
	p->arch = ops_xstrdup(arch ? arch : "");
	p->source = ops_xstrdup(source && *source ? source : name);
	p->source_version = ops_xstrdup(
	    source_version && *source_version ? source_version : version);
}

/* dpkg's states whose files are on the disk */
static bool
on_disk(const char *status)
{
	static const char *const states[] = {"installed", "unpacked",
	    "half-configured", "triggers-awaited", "triggers-pending"};
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(status, states[i]) == 0)
			return true;
	return false;
}

static bool
blank(int c)
{
	return c == ' ' || c == '\t';
}

/* a copy of [p, e) without blanks around */
static char *
trimmed(const char *p, const char *e)
{
	while (p < e && blank(*p))
		p++;
	while (e > p && (blank(e[-1]) || e[-1] == '\r'))
		e--;
	return ops_xstrndup(p, (size_t)(e - p));
}

struct stanza {
	char *pkg, *status, *version, *arch, *source;
	long line;
};

static void
stanza_clear(struct stanza *s)
{
	free(s->pkg);
	free(s->status);
	free(s->version);
	free(s->arch);
	free(s->source);
	memset(s, 0, sizeof(*s));
}

static int
stanza_end(struct stanza *s, const char *name, struct pk_list *out,
    struct ops_err *err)
{
	const char *w;
	char *src = NULL, *srcver = NULL;
	int rc = 0;

	if (s->pkg == NULL && s->status == NULL && s->version == NULL) {
		stanza_clear(s);
		return 0;
	}
	if (s->pkg == NULL || *s->pkg == '\0') {
		rc = ops_err_at(err, OPS_EXIT_USAGE, name, s->line,
		    "stanza without Package");
		goto out;
	}
	/* Status: want flag status; the last word is the state */
	w = s->status ? strrchr(s->status, ' ') : NULL;
	if (w == NULL || !on_disk(w + 1))
		goto out;
	if (s->version == NULL || *s->version == '\0') {
		rc = ops_err_at(err, OPS_EXIT_USAGE, name, s->line,
		    "package %s is installed but has no Version", s->pkg);
		goto out;
	}
	if (s->source) {
		/* "name" or "name (version)" */
		char *par = strchr(s->source, '(');

		if (par) {
			char *close = strchr(par, ')');

			if (close == NULL) {
				rc = ops_err_at(err, OPS_EXIT_USAGE, name,
				    s->line, "package %s: bad Source field",
				    s->pkg);
				goto out;
			}
			srcver = trimmed(par + 1, close);
			src = trimmed(s->source, par);
		} else {
			src = ops_xstrdup(s->source);
		}
	}
	pk_list_add(out, s->pkg, s->version, s->arch, src, srcver);
out:
	free(src);
	free(srcver);
	stanza_clear(s);
	return rc;
}

int
pk_dpkg_status(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err)
{
	const char *p = text, *end = text + len;
	struct stanza s;
	long line = 0;

	memset(&s, 0, sizeof(s));
	if (memchr(text, '\0', len))
		return ops_err_at(err, OPS_EXIT_USAGE, name, 0,
		    "NUL byte in the file");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *colon;
		char **slot = NULL;

		line++;
		if (le == p || (le == p + 1 && *p == '\r')) {
			if (stanza_end(&s, name, out, err) < 0)
				return -1;
		} else if (blank(*p)) {
			/* a continuation line: part of a field we skip */
			if (s.line == 0)
				return stanza_clear(&s),
				       ops_err_at(err, OPS_EXIT_USAGE, name,
					   line,
					   "continuation line outside a field");
		} else {
			colon = memchr(p, ':', (size_t)(le - p));
			if (colon == NULL || colon == p) {
				stanza_clear(&s);
				return ops_err_at(err, OPS_EXIT_USAGE, name,
				    line, "expected \"Field: value\"");
			}
			if (s.line == 0)
				s.line = line;
#define FIELD(f, m)                                                        \
	((size_t)(colon - p) == strlen(f) && strncasecmp(p, f, strlen(f)) == 0 \
	    ? &s.m                                                             \
	    : NULL)
			slot = FIELD("Package", pkg);
			if (!slot)
				slot = FIELD("Status", status);
			if (!slot)
				slot = FIELD("Version", version);
			if (!slot)
				slot = FIELD("Architecture", arch);
			if (!slot)
				slot = FIELD("Source", source);
#undef FIELD
			if (slot) {
				free(*slot);
				*slot = trimmed(colon + 1, le);
			}
		}
		p = nl ? nl + 1 : end;
	}
	return stanza_end(&s, name, out, err);
}

/* Split line [p, e) at tabs into at most max fields (copies in f). */
static int
fields(const char *p, const char *e, char **f, int max)
{
	int n = 0;

	while (n < max) {
		const char *t = memchr(p, '\t', (size_t)(e - p));

		f[n++] = ops_xstrndup(p, (size_t)((t ? t : e) - p));
		if (t == NULL)
			return n;
		p = t + 1;
	}
	return max + 1;
}

static void
fields_free(char **f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(f[i]);
}

/* every line of text through one(), with name:line on error */
static int
each_line(const char *name, const char *text, size_t len, int nf,
    int (*one)(char **f, struct pk_list *out, const char **why),
    struct pk_list *out, struct ops_err *err)
{
	const char *p = text, *end = text + len;
	long line = 0;

	if (memchr(text, '\0', len))
		return ops_err_at(err, OPS_EXIT_USAGE, name, 0,
		    "NUL byte in the output");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		char *f[16];
		const char *why = NULL;
		int n;

		line++;
		if (le > p && le[-1] == '\r')
			le--;
		if (le > p) {
			n = fields(p, le, f, nf);
			if (n > nf) {
				fields_free(f, nf);
				why = "too many fields";
			} else if (n != nf) {
				fields_free(f, n);
				why = "too few fields";
			} else {
				(void)one(f, out, &why);
				fields_free(f, nf);
			}
			if (why)
				return ops_err_at(err, OPS_EXIT_USAGE, name,
				    line, "%s", why);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int
dpkgq_one(char **f, struct pk_list *out, const char **why)
{
	if (*f[0] == '\0' || *f[1] == '\0') {
		/* not installed packages have no version: fine when so */
		if (*f[0] && on_disk(f[5]))
			return *why = "installed package without version", -1;
		if (*f[0] == '\0')
			return *why = "empty package name", -1;
		return 0;
	}
	if (on_disk(f[5]))
		pk_list_add(out, f[0], f[1], f[2], f[3], f[4]);
	return 0;
}

int
pk_dpkg_query(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err)
{
	return each_line(name, text, len, 6, dpkgq_one, out, err);
}

/* "openssl-3.0.7-24.el9.src.rpm" -> "openssl" */
static char *
srpm_name(const char *s)
{
	const char *e = s + strlen(s), *d;
	int k;

	if (e - s > 8 && strcmp(e - 8, ".src.rpm") == 0)
		e -= 8;
	else if (e - s > 10 && strcmp(e - 10, ".nosrc.rpm") == 0)
		e -= 10;
	else
		return ops_xstrdup(s);
	for (k = 0; k < 2; k++) {
		for (d = e; d > s && d[-1] != '-'; d--)
			;
		if (d == s)
			return ops_xstrdup(s);
		e = d - 1;
	}
	return ops_xstrndup(s, (size_t)(e - s));
}

static int
rpm_one(char **f, struct pk_list *out, const char **why)
{
	char *src;

	if (*f[0] == '\0' || *f[1] == '\0')
		return *why = "empty name or version", -1;
	if (strcmp(f[0], "gpg-pubkey") == 0)
		return 0;
	src = strcmp(f[3], "(none)") == 0 ? NULL : srpm_name(f[3]);
	pk_list_add(out, f[0], f[1], f[2], src, f[1]);
	free(src);
	return 0;
}

int
pk_rpm_query(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err)
{
	return each_line(name, text, len, 4, rpm_one, out, err);
}
