/*
 * conf.c - logrotate's configuration language, as logrotate 3.21 reads it
 * SPDX-License-Identifier: MIT
 *
 * Reads the directives of SPEC 5.2 into struct lr_config (see lr.h).  The
 * syntax follows what logrotate 3.21 (Debian 12) does, checked against the
 * real program with `logrotate -d`, not only its manual:
 *
 *   - A line holds items: blanks are skipped, '#' starts a comment that
 *     runs to the end of the line (at the start of a line, after '{', and
 *     after a directive that takes no value), a word of letters is a
 *     directive, '}' closes a block, and a word starting with '/', '~', '"'
 *     or '\'' starts a list of patterns.  So "compress missingok" on one
 *     line is two directives and "/var/log/x { rotate 3" opens a block and
 *     sets rotate, as in logrotate.
 *   - A directive's name must be followed by a blank, '=' or the end of the
 *     line ("rotate=5" works, "rotate5" does not).  A directive with a value
 *     takes the rest of the line, trailing blanks dropped: "rotate 3 # x"
 *     is a bad number, as in logrotate.
 *   - Patterns run from their first character to the next '{', over
 *     several lines if need be, and are split as logrotate splits them
 *     (popt): blanks separate, "..." and '...' quote (inside, a backslash
 *     only escapes the quote character and stays otherwise), a backslash
 *     outside quotes takes the next character literally.  Relative
 *     patterns ("*.log") are refused, as logrotate refuses them.
 *   - Numbers are read as strtoul(3) with base 0 reads them, as logrotate
 *     does: "010" is 8 and "0x10" is 16.  Sizes take a last character k or
 *     K (1024), M (1024^2) or G (1024^3); lowercase m and g, "MB" and
 *     fractions are errors, as in logrotate.
 *   - "size" and the periods (hourly daily weekly monthly yearly) are one
 *     setting in logrotate: the last one given wins ("note: 'daily'
 *     overrides previously specified 'size'").  So "size" sets period to
 *     LR_NONE, and a period clears size and size_set.  With neither,
 *     logrotate rotates at 1 MiB: the defaults are LR_NONE with a size of
 *     1048576 and size_set.  minsize and maxsize are separate.
 *   - A script runs from the line after its keyword to the line before
 *     "endscript", verbatim.  Text after the keyword on its own line is
 *     part of the script in logrotate ("prerotate echo x" runs "echo x"),
 *     so it becomes the script's first line here.  "endscript" is the first
 *     word of a line; what follows it on the line is read as directives.
 *   - "create" and "createolddir" take [mode] [owner [group]] (a first word
 *     of octal digits is the mode) and change only what they are given, as
 *     logrotate's sscanf does.  "su" needs a user and a group (logrotate
 *     3.21 says "no group for su" otherwise).  Names are kept as written;
 *     rotate.c resolves them (logrotate does it while parsing).
 *   - include reads a file, or a directory's regular files in strcmp order
 *     (logrotate: strcoll, the same in the C locale), skipping names that
 *     match "*EXT" (fnmatch) for an EXT of the taboo list; dot files are
 *     read, as logrotate reads them.  Top-level directives of an included
 *     file change the globals for what follows, as in logrotate.  When run
 *     by root, files that logrotate would ignore (mode not 0400 under mask
 *     07533, or not owned by root) are skipped the same way.
 *
 * Where we are stricter than logrotate, which reports a bad line and goes
 * on (skipping the block it was in): every error stops the load with
 * "FILE:LINE: why" (code 2); an unknown directive is an error, not a
 * warning; a block or script open at the end of the file is an error
 * (logrotate accepts the block silently); an unterminated quote in a pattern
 * is an error; a size or count that does not fit is an error (logrotate
 * wraps "rotate 99999999999" around); include inside a block is refused
 * (logrotate 3.21 reads it into the block).  olddir is not checked here
 * (logrotate stats it at the end of the block): rotate.c does.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "num.h"

#include "lr.h"

#define CONF_LIMIT (16 * 1024 * 1024) /* bytes per config file */
#define MAX_DEPTH 16                  /* include nesting, as logrotate */
#define DEFAULT_SIZE 1048576ULL       /* logrotate's trigger without period */
#define KEEP_MAX 36500L               /* "keep": 100 years of days */

/* logrotate 3.21's list on Debian 12 (tried: the manual omits .bak and
 * .dpkg-tmp, which Debian's build adds). */
static const char *const default_taboo[] = {",v", ".bak", ".cfsaved",
    ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
    ".dpkg-old", ".dpkg-tmp", ".rhn-cfg-tmp-*", ".rpmnew", ".rpmorig",
    ".rpmsave", ".swp", ".ucf-dist", ".ucf-new", ".ucf-old", "~"};

/* Directives of logrotate 3.21 that opslog-rotate does not do. */
static const char *const unsupported[] = {"addextension", "allowhardlink",
    "datehourago", "errors", "ignoreduplicates", "mail", "mailfirst",
    "maillast", "minage", "noallowhardlink", "nomail", "norenamecopy",
    "noshred", "preremove", "renamecopy", "shred", "shredcycles", "taboopat",
    "uncompresscmd"};

struct parser {
	struct lr_config *c;
	struct ops_err *err;
	const char *file; /* owned by c->files */
	const char *p;    /* start of the current line */
	const char *end;  /* end of the text */
	long line;        /* number of the line at p */
	int depth;        /* include nesting */
	bool can_include;
	bool in_block;
	struct lr_entry blk; /* the block being read */
	char **script;       /* the script being read, NULL if none */
	long *script_line;
	const char *script_body; /* its first line after the keyword */
	char *script_head;       /* text after the keyword, or NULL */
};

static int parse_text(struct parser *ps, const char *text, size_t len);
static int read_path(struct lr_config *c, const char *path, int depth,
    const char *from, long from_line, struct ops_err *err);

/* ---- options ---- */

static void
taboo_add(struct lr_opts *o, const char *s, size_t n)
{
	o->tabooext = ops_xreallocarray(o->tabooext, o->ntaboo + 1,
	    sizeof(*o->tabooext));
	o->tabooext[o->ntaboo++] = ops_xstrndup(s, n);
}

static void
taboo_clear(struct lr_opts *o)
{
	size_t i;

	for (i = 0; i < o->ntaboo; i++)
		free(o->tabooext[i]);
	free(o->tabooext);
	o->tabooext = NULL;
	o->ntaboo = 0;
}

static void
opts_init(struct lr_opts *o)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->period = LR_NONE;
	o->size = DEFAULT_SIZE;
	o->size_set = true;
	o->start = 1;
	o->ifempty = true;
	o->compresscmd = ops_xstrdup("gzip");
	for (i = 0; i < OPS_ARRAY_SIZE(default_taboo); i++)
		taboo_add(o, default_taboo[i], strlen(default_taboo[i]));
}

static char *
dup_or_null(const char *s)
{
	return s ? ops_xstrdup(s) : NULL;
}

void
lr_opts_copy(struct lr_opts *dst, const struct lr_opts *src)
{
	size_t i;

	*dst = *src;
	dst->compresscmd = dup_or_null(src->compresscmd);
	dst->compressext = dup_or_null(src->compressext);
	dst->compressoptions = dup_or_null(src->compressoptions);
	dst->create_owner = dup_or_null(src->create_owner);
	dst->create_group = dup_or_null(src->create_group);
	dst->dateformat = dup_or_null(src->dateformat);
	dst->extension = dup_or_null(src->extension);
	dst->olddir = dup_or_null(src->olddir);
	dst->createolddir_owner = dup_or_null(src->createolddir_owner);
	dst->createolddir_group = dup_or_null(src->createolddir_group);
	dst->prerotate = dup_or_null(src->prerotate);
	dst->postrotate = dup_or_null(src->postrotate);
	dst->firstaction = dup_or_null(src->firstaction);
	dst->lastaction = dup_or_null(src->lastaction);
	dst->su_user = dup_or_null(src->su_user);
	dst->su_group = dup_or_null(src->su_group);
	dst->tabooext = NULL;
	if (src->ntaboo > 0) {
		dst->tabooext =
		    ops_xreallocarray(NULL, src->ntaboo, sizeof(char *));
		for (i = 0; i < src->ntaboo; i++)
			dst->tabooext[i] = ops_xstrdup(src->tabooext[i]);
	}
}

void
lr_opts_release(struct lr_opts *o)
{
	char **strs[] = {&o->compresscmd, &o->compressext, &o->compressoptions,
	    &o->create_owner, &o->create_group, &o->dateformat, &o->extension,
	    &o->olddir, &o->createolddir_owner, &o->createolddir_group,
	    &o->prerotate, &o->postrotate, &o->firstaction, &o->lastaction,
	    &o->su_user, &o->su_group};
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(strs); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
	taboo_clear(o);
}

/* ---- the configuration ---- */

void
lr_config_init(struct lr_config *c)
{
	memset(c, 0, sizeof(*c));
	opts_init(&c->global);
}

static void
entry_release(struct lr_entry *e)
{
	size_t i;

	for (i = 0; i < e->npat; i++)
		free(e->patterns[i]);
	free(e->patterns);
	e->patterns = NULL;
	e->npat = 0;
	lr_opts_release(&e->o);
}

void
lr_config_release(struct lr_config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		entry_release(&c->e[i]);
	free(c->e);
	for (i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	lr_opts_release(&c->global);
	memset(c, 0, sizeof(*c));
}

/* The copy of name kept in c->files (added once). */
static const char *
file_name(struct lr_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], name) == 0)
			return c->files[i];
	c->files = ops_xreallocarray(c->files, c->nfiles + 1, sizeof(char *));
	c->files[c->nfiles] = ops_xstrdup(name);
	return c->files[c->nfiles++];
}

/* ---- small readers ---- */

static bool
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static bool
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* End of the line starting at p (its '\n' or the end of the text). */
static const char *
line_end(const struct parser *ps, const char *p)
{
	const char *nl = memchr(p, '\n', (size_t)(ps->end - p));

	return nl ? nl : ps->end;
}

/* s[0..n) in double quotes, escaped and cut for a message */
static const char *
shown(char *dst, size_t size, const char *s, size_t n)
{
	char in[72];

	ops_diag_shown(in, sizeof(in), s, n);
	snprintf(dst, size, "\"%s\"", in);
	return dst;
}

/*
 * An unsigned number as strtoul(3) with base 0 reads it (an optional '+',
 * then 0x hex, 0 octal or decimal), the whole of s[0..n), at most max.
 */
static bool
c_number(const char *s, size_t n, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned base = 10, d;
	size_t i = 0;

	if (n > 0 && s[0] == '+')
		i++;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	} else if (n - i >= 2 && s[i] == '0') {
		base = 8;
		i++;
	}
	if (i >= n)
		return false;
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = (unsigned)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = (unsigned)(s[i] - 'a' + 10);
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = (unsigned)(s[i] - 'A' + 10);
		else
			return false;
		if (d >= base || d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* ---- errors ---- */

static int
bad(struct parser *ps, const char *fmt, ...) OPS_PRINTF(2, 3);

static int
bad(struct parser *ps, const char *fmt, ...)
{
	char msg[sizeof(ps->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ops_err_at(ps->err, OPS_EXIT_USAGE, ps->file, ps->line, "%s",
	    msg);
}

/* ---- directives ---- */

enum kind {
	K_FLAG,     /* bool field := val */
	K_PERIOD,   /* period := val */
	K_WEEKLY,   /* weekly [N] */
	K_SIZE,     /* size minsize maxsize */
	K_COUNT,    /* rotate maxage start */
	K_KEEP,     /* keep DAYS */
	K_PATH,     /* one word: compresscmd compressext extension olddir */
	K_LINE,     /* the rest of the line: compressoptions dateformat */
	K_NOOLDDIR, /* olddir := NULL */
	K_CREATE,   /* create / createolddir [mode [owner [group]]] */
	K_SU,       /* su USER GROUP */
	K_TABOO,    /* tabooext [+] list */
	K_INCLUDE,  /* include PATH */
	K_SCRIPT,   /* prerotate postrotate firstaction lastaction */
	K_ENDSCRIPT,
};

#define F(m) offsetof(struct lr_opts, m)

static const struct directive {
	const char *name;
	enum kind kind;
	size_t off; /* field */
	int val;
} directives[] = {
    {"hourly", K_PERIOD, 0, LR_HOURLY},
    {"daily", K_PERIOD, 0, LR_DAILY},
    {"weekly", K_WEEKLY, 0, LR_WEEKLY},
    {"monthly", K_PERIOD, 0, LR_MONTHLY},
    {"yearly", K_PERIOD, 0, LR_YEARLY},
    {"size", K_SIZE, F(size), 0},
    {"minsize", K_SIZE, F(minsize), 1},
    {"maxsize", K_SIZE, F(maxsize), 2},
    {"rotate", K_COUNT, F(rotate), 0},
    {"maxage", K_COUNT, F(maxage), 1},
    {"start", K_COUNT, F(start), 2},
    {"keep", K_KEEP, F(keep), 0},
    {"missingok", K_FLAG, F(missingok), 1},
    {"nomissingok", K_FLAG, F(missingok), 0},
    {"ifempty", K_FLAG, F(ifempty), 1},
    {"notifempty", K_FLAG, F(ifempty), 0},
    {"compress", K_FLAG, F(compress), 1},
    {"nocompress", K_FLAG, F(compress), 0},
    {"delaycompress", K_FLAG, F(delaycompress), 1},
    {"nodelaycompress", K_FLAG, F(delaycompress), 0},
    {"compresscmd", K_PATH, F(compresscmd), 0},
    {"compressext", K_PATH, F(compressext), 0},
    {"compressoptions", K_LINE, F(compressoptions), 0},
    {"copytruncate", K_FLAG, F(copytruncate), 1},
    {"nocopytruncate", K_FLAG, F(copytruncate), 0},
    {"copy", K_FLAG, F(copy), 1},
    {"nocopy", K_FLAG, F(copy), 0},
    {"create", K_CREATE, 0, 0},
    {"nocreate", K_FLAG, F(create), 0},
    {"dateext", K_FLAG, F(dateext), 1},
    {"nodateext", K_FLAG, F(dateext), 0},
    {"dateformat", K_LINE, F(dateformat), 0},
    {"dateyesterday", K_FLAG, F(dateyesterday), 1},
    {"extension", K_PATH, F(extension), 0},
    {"olddir", K_PATH, F(olddir), 0},
    {"noolddir", K_NOOLDDIR, 0, 0},
    {"createolddir", K_CREATE, 0, 1},
    {"nocreateolddir", K_FLAG, F(createolddir), 0},
    {"sharedscripts", K_FLAG, F(sharedscripts), 1},
    {"nosharedscripts", K_FLAG, F(sharedscripts), 0},
    {"prerotate", K_SCRIPT, F(prerotate), F(prerotate_line)},
    {"postrotate", K_SCRIPT, F(postrotate), F(postrotate_line)},
    {"firstaction", K_SCRIPT, F(firstaction), F(firstaction_line)},
    {"lastaction", K_SCRIPT, F(lastaction), F(lastaction_line)},
    {"endscript", K_ENDSCRIPT, 0, 0},
    {"su", K_SU, 0, 0},
    {"tabooext", K_TABOO, 0, 0},
    {"include", K_INCLUDE, 0, 0},
};

#undef F

#define FIELD(o, type, off) ((type *)(void *)((char *)(o) + (off)))

static void
set_str(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = ops_xstrndup(s, n);
}

/* The words of v[0..n), split at blanks, into w (at most max; *nw is the
 * count found, which may be larger). */
static void
words(const char *v, size_t n, const char **w, size_t *wl, size_t max,
    size_t *nw)
{
	size_t i = 0, k = 0, s;

	while (i < n) {
		while (i < n && is_blank(v[i]))
			i++;
		if (i >= n)
			break;
		s = i;
		while (i < n && !is_blank(v[i]))
			i++;
		if (k < max) {
			w[k] = v + s;
			wl[k] = i - s;
		}
		k++;
	}
	*nw = k;
}

static bool
all_octal(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '7')
			return false;
	return n > 0;
}

static int
do_create(struct parser *ps, struct lr_opts *o, const char *name,
    bool olddir, const char *v, size_t n)
{
	const char *w[4];
	size_t wl[4], nw, i = 0, k;
	unsigned long long mode;
	char sh[96];

	words(v, n, w, wl, 4, &nw);
	if (nw > 0 && all_octal(w[0], wl[0])) {
		/* octal with or without a leading 0, as sscanf's %o */
		mode = 0;
		for (k = 0; k < wl[0] && mode <= 07777; k++)
			mode = mode * 8 + (unsigned)(w[0][k] - '0');
		if (mode > 07777)
			return bad(ps, "bad mode %s for %s (want octal, at most "
			    "07777)", shown(sh, sizeof(sh), w[0], wl[0]), name);
		if (olddir) {
			o->createolddir_mode = (mode_t)mode;
			o->createolddir_mode_set = true;
		} else {
			o->create_mode = (mode_t)mode;
			o->create_mode_set = true;
		}
		i = 1;
	}
	if (nw - i > 2)
		return bad(ps, "extra arguments for %s (want [mode [owner "
		    "[group]]])", name);
	if (nw > i)
		set_str(olddir ? &o->createolddir_owner : &o->create_owner,
		    w[i], wl[i]);
	if (nw > i + 1)
		set_str(olddir ? &o->createolddir_group : &o->create_group,
		    w[i + 1], wl[i + 1]);
	if (olddir)
		o->createolddir = true;
	else
		o->create = true;
	return 0;
}

static int
do_taboo(struct parser *ps, struct lr_opts *o, const char *v, size_t n)
{
	size_t i = 0, s;

	if (ps->in_block)
		return bad(ps, "tabooext may not appear inside a block");
	if (v[0] == '+') {
		i = 1;
	} else {
		taboo_clear(o);
	}
	while (i < n) {
		while (i < n && (is_blank(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < n && !is_blank(v[i]) && v[i] != ',')
			i++;
		if (i > s)
			taboo_add(o, v + s, i - s);
	}
	return 0;
}

static int
do_include(struct parser *ps, const char *v, size_t n)
{
	const char *home;
	char *path;
	int rc;

	if (ps->in_block)
		return bad(ps, "include may not appear inside a block (put it "
		    "at the top level)");
	if (!ps->can_include)
		return bad(ps, "include is not allowed here");
	if (ps->depth + 1 >= MAX_DEPTH)
		return bad(ps, "includes nested more than %d deep", MAX_DEPTH);
	if (n >= 2 && v[0] == '~' && v[1] == '/') {
		home = getenv("HOME");
		if (home == NULL || *home == '\0')
			return bad(ps, "cannot expand ~/: HOME is not set");
		path = ops_xmalloc(strlen(home) + n);
		snprintf(path, strlen(home) + n, "%s%.*s", home, (int)n - 1,
		    v + 1);
	} else {
		path = ops_xstrndup(v, n);
	}
	rc = read_path(ps->c, path, ps->depth + 1, ps->file, ps->line, ps->err);
	free(path);
	return rc;
}

/* Value of a directive: after blanks, an optional '=' and blanks, to the
 * end of the line without trailing white space; may be empty. */
static void
value_of(const char *p, const char *le, const char **v, size_t *n)
{
	while (p < le && is_blank(*p))
		p++;
	if (p < le && *p == '=') {
		p++;
		while (p < le && is_blank(*p))
			p++;
	}
	while (le > p && isspace((unsigned char)le[-1]))
		le--;
	*v = p;
	*n = (size_t)(le - p);
}

static int
do_value(struct parser *ps, const struct directive *d, struct lr_opts *o,
    const char *v, size_t n)
{
	unsigned long long u, mult = 1;
	char sh[96];
	size_t i;

	switch (d->kind) {
	case K_SIZE:
		if (n > 0 && (v[n - 1] == 'k' || v[n - 1] == 'K'))
			mult = 1024;
		else if (n > 0 && v[n - 1] == 'M')
			mult = 1024 * 1024;
		else if (n > 0 && v[n - 1] == 'G')
			mult = 1024 * 1024 * 1024;
		else if (n > 0 && !isdigit((unsigned char)v[n - 1]))
			return bad(ps, "unknown unit '%c' in %s %s (use k, M "
			    "or G)", v[n - 1], d->name,
			    shown(sh, sizeof(sh), v, n));
		if (!c_number(v, mult > 1 ? n - 1 : n, INT64_MAX / mult, &u))
			return bad(ps, "bad size %s for %s",
			    shown(sh, sizeof(sh), v, n), d->name);
		u *= mult;
		if (d->val == 0) {
			o->size = u;
			o->size_set = true;
			o->period = LR_NONE;
		} else if (d->val == 1) {
			o->minsize = u;
			o->minsize_set = true;
		} else {
			o->maxsize = u;
			o->maxsize_set = true;
		}
		return 0;
	case K_COUNT:
		if (d->val == 0 && n == 2 && v[0] == '-' && v[1] == '1') {
			o->rotate = -1;
			return 0;
		}
		if (!c_number(v, n, INT_MAX, &u))
			return bad(ps, "bad number %s for %s (want 0 to %d%s)",
			    shown(sh, sizeof(sh), v, n), d->name, INT_MAX,
			    d->val == 0 ? ", or -1" : "");
		if (d->val == 0)
			o->rotate = (int)u;
		else if (d->val == 1)
			o->maxage = (long)u;
		else
			o->start = (long)u;
		return 0;
	case K_KEEP: {
		long long days;
		const char *es;
		char num[32];
		size_t m = n;

		if (m > 0 && v[m - 1] == 'd')
			m--;
		if (m == 0 || m >= sizeof(num))
			return bad(ps, "bad keep %s (want days: 400 or 400d)",
			    shown(sh, sizeof(sh), v, n));
		memcpy(num, v, m);
		num[m] = '\0';
		if (!isdigit((unsigned char)num[0]) ||
		    ops_parse_int(num, 0, KEEP_MAX, &days, &es) < 0)
			return bad(ps, "bad keep %s (want days from 0 to %ld: "
			    "400 or 400d)", shown(sh, sizeof(sh), v, n),
			    KEEP_MAX);
		o->keep = (long)days;
		return 0;
	}
	case K_PATH:
		for (i = 0; i < n; i++)
			if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
				return bad(ps, "bad %s path %s (no blanks or "
				    "control characters)", d->name,
				    shown(sh, sizeof(sh), v, n));
		set_str(FIELD(o, char *, d->off), v, n);
		return 0;
	case K_LINE:
		set_str(FIELD(o, char *, d->off), v, n);
		return 0;
	case K_CREATE:
		return do_create(ps, o, d->name, d->val == 1, v, n);
	case K_SU: {
		const char *w[3];
		size_t wl[3], nw;

		words(v, n, w, wl, 3, &nw);
		if (nw < 2)
			return bad(ps, "no group for su (write su USER GROUP)");
		if (nw > 2)
			return bad(ps, "extra arguments for su (write su USER "
			    "GROUP)");
		set_str(&o->su_user, w[0], wl[0]);
		set_str(&o->su_group, w[1], wl[1]);
		return 0;
	}
	case K_TABOO:
		return do_taboo(ps, o, v, n);
	case K_INCLUDE:
		return do_include(ps, v, n);
	default:
		return bad(ps, "internal error: directive %s", d->name);
	}
}

/* Skip an item separator after a word: end of line, blank, or '='.  */
static bool
separated(const char *p, const char *le)
{
	return p >= le || is_blank(*p) || *p == '=' || *p == '\r';
}

/*
 * The directive at *pp (a word of letters).  Directives without a value
 * leave *pp after their name, so that the line goes on; the others take
 * the rest of the line.
 */
static int
directive(struct parser *ps, const char **pp, const char *le)
{
	const char *p = *pp, *w = p, *v;
	const struct directive *d = NULL;
	struct lr_opts *o = ps->in_block ? &ps->blk.o : &ps->c->global;
	char sh[96];
	size_t wl, n, i;

	while (p < le && is_alpha(*p))
		p++;
	wl = (size_t)(p - w);
	if (!separated(p, le))
		return bad(ps, "%s: a directive must be followed by a blank "
		    "or '=', and a pattern must start with /, ~ or a quote",
		    shown(sh, sizeof(sh), w,
			(size_t)(le - w) > 40 ? 40 : (size_t)(le - w)));
	for (i = 0; i < OPS_ARRAY_SIZE(directives); i++)
		if (strlen(directives[i].name) == wl &&
		    memcmp(directives[i].name, w, wl) == 0)
			d = &directives[i];
	if (d == NULL) {
		for (i = 0; i < OPS_ARRAY_SIZE(unsupported); i++)
			if (strlen(unsupported[i]) == wl &&
			    memcmp(unsupported[i], w, wl) == 0)
				return bad(ps, "directive \"%.*s\" is not "
				    "supported by opslog-rotate", (int)wl, w);
		return bad(ps, "unknown directive %s",
		    shown(sh, sizeof(sh), w, wl));
	}
	switch (d->kind) {
	case K_FLAG:
		*FIELD(o, bool, d->off) = d->val != 0;
		*pp = p;
		return 0;
	case K_PERIOD:
		o->period = (enum lr_period)d->val;
		o->size = 0;
		o->size_set = false;
		*pp = p;
		return 0;
	case K_NOOLDDIR:
		free(o->olddir);
		o->olddir = NULL;
		*pp = p;
		return 0;
	case K_ENDSCRIPT:
		return bad(ps, "endscript without prerotate, postrotate, "
		    "firstaction or lastaction");
	case K_SCRIPT:
		/* the rest of this line is the script's first line */
		while (p < le && is_blank(*p))
			p++;
		n = (size_t)(le - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		ps->script = FIELD(o, char *, d->off);
		ps->script_line = FIELD(o, long, (size_t)d->val);
		*ps->script_line = ps->line;
		ps->script_head = n > 0 ? ops_xstrndup(p, n) : NULL;
		*pp = le;
		return 0;
	case K_WEEKLY: {
		unsigned long long u = 0;

		value_of(p, le, &v, &n);
		if (n > 0 && !c_number(v, n, 7, &u))
			return bad(ps, "bad weekly day %s (want 0 to 6 for "
			    "Sunday to Saturday, or 7)",
			    shown(sh, sizeof(sh), v, n));
		o->period = LR_WEEKLY;
		o->weekday = (int)u;
		o->size = 0;
		o->size_set = false;
		*pp = le;
		return 0;
	}
	case K_CREATE: /* all of [mode [owner [group]]] is optional */
		value_of(p, le, &v, &n);
		*pp = le;
		return do_create(ps, o, d->name, d->val == 1, v, n);
	default:
		value_of(p, le, &v, &n);
		if (n == 0)
			return bad(ps, "argument expected after %s", d->name);
		*pp = le;
		return do_value(ps, d, o, v, n);
	}
}

/* ---- patterns ---- */

static void
add_pattern(struct lr_entry *e, struct ops_buf *b)
{
	e->patterns = ops_xreallocarray(e->patterns, e->npat + 1,
	    sizeof(char *));
	e->patterns[e->npat++] = ops_buf_detach(b, NULL);
}

/* Split s[0..n) as popt's poptParseArgvString does into e->patterns. */
static int
split_patterns(struct parser *ps, struct lr_entry *e, const char *s, size_t n)
{
	struct ops_buf b;
	bool have = false;
	char quote = 0;
	size_t i;

	ops_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (quote != 0) {
			if (ch == quote) {
				quote = 0;
				continue;
			}
			if (ch == '\\' && i + 1 < n) {
				if (s[i + 1] != quote)
					ops_buf_puts(&b, "\\");
				ch = s[++i];
			}
			if (ops_buf_addc(&b, ch) < 0)
				goto toobig;
		} else if (isspace((unsigned char)ch)) {
			/* popt drops empty words ("") */
			if (have && b.len > 0) {
				add_pattern(e, &b);
				ops_buf_init(&b, 0);
			}
			have = false;
		} else if (ch == '"' || ch == '\'') {
			quote = ch;
			have = true;
		} else {
			if (ch == '\\') {
				if (i + 1 >= n)
					break;
				ch = s[++i];
			}
			if (ops_buf_addc(&b, ch) < 0)
				goto toobig;
			have = true;
		}
	}
	if (quote != 0 || (n > 0 && s[n - 1] == '\\' && quote == 0 &&
	    (n < 2 || s[n - 2] != '\\'))) {
		ops_buf_release(&b);
		return bad(ps, "unterminated quote or backslash in patterns");
	}
	if (have && b.len > 0)
		add_pattern(e, &b);
	else
		ops_buf_release(&b);
	return 0;
toobig:
	ops_buf_release(&b);
	return bad(ps, "pattern too long");
}

/*
 * Patterns start at *pp on the line at ps->p: read to the '{', over lines
 * if need be, and open the block.  On return ps->p, ps->line and *le are
 * the line of the '{', and *pp is just after it.
 */
static int
open_block(struct parser *ps, const char **pp, const char **le)
{
	const char *s = *pp, *q;
	long first = ps->line;
	size_t i;
	int rc;

	if (ps->in_block)
		return bad(ps, "a pattern inside a block (blocks do not nest; "
		    "close the block with '}' first)");
	for (q = s; q < ps->end && *q != '{' && *q != '}'; q++)
		;
	if (q >= ps->end || *q == '}')
		return bad(ps, "missing '{' after patterns");
	if (memchr(s, '\0', (size_t)(q - s)) != NULL)
		return bad(ps, "NUL byte in the file");
	memset(&ps->blk, 0, sizeof(ps->blk));
	lr_opts_copy(&ps->blk.o, &ps->c->global);
	ps->blk.file = ps->file;
	ps->blk.line = first;
	ps->in_block = true;
	rc = split_patterns(ps, &ps->blk, s, (size_t)(q - s));
	if (rc < 0)
		return rc;
	/* move to the line of the '{' */
	for (i = 0; s + i < q; i++)
		if (s[i] == '\n') {
			ps->line++;
			ps->p = s + i + 1;
		}
	*le = line_end(ps, ps->p);
	*pp = q + 1;
	if (ps->blk.npat == 0) {
		ps->line = first;
		return bad(ps, "a block with no patterns");
	}
	return 0;
}

static void
close_block(struct parser *ps)
{
	struct lr_config *c = ps->c;
	struct lr_opts *o = &ps->blk.o;

	if (o->dateformat == NULL)
		o->dateformat = ops_xstrdup(
		    o->period == LR_HOURLY ? "-%Y%m%d%H" : "-%Y%m%d");
	ops_xgrow((void **)&c->e, &c->cap, c->n + 1, sizeof(*c->e));
	c->e[c->n++] = ps->blk;
	memset(&ps->blk, 0, sizeof(ps->blk));
	ps->in_block = false;
}

/* ---- lines ---- */

/* Items from *pp to le (see the top of the file). */
static int
items(struct parser *ps, const char *p, const char *le)
{
	char sh[96];

	for (;;) {
		while (p < le && (is_blank(*p) || *p == '\r'))
			p++;
		if (p >= le || *p == '#' || ps->script != NULL)
			return 0;
		if (is_alpha(*p)) {
			if (directive(ps, &p, le) < 0)
				return -1;
		} else if (*p == '}') {
			if (!ps->in_block)
				return bad(ps, "'}' without a block");
			close_block(ps);
			p++;
			while (p < le && (is_blank(*p) || *p == '\r'))
				p++;
			if (p < le)
				return bad(ps, "unexpected text after '}'");
			return 0;
		} else if (*p == '/' || *p == '~' || *p == '"' || *p == '\'') {
			if (open_block(ps, &p, &le) < 0)
				return -1;
		} else if (*p == '{') {
			return bad(ps, "a block with no patterns");
		} else {
			return bad(ps, "lines must begin with a directive or "
			    "an absolute pattern, not %s",
			    shown(sh, sizeof(sh), p, 1));
		}
	}
}

static bool
is_endscript(const char *p, const char *le, const char **after)
{
	while (p < le && is_blank(*p))
		p++;
	if ((size_t)(le - p) < 9 || memcmp(p, "endscript", 9) != 0)
		return false;
	if (p + 9 < le && is_alpha(p[9]))
		return false;
	*after = p + 9;
	return true;
}

static void
end_script(struct parser *ps, const char *body_end)
{
	size_t hl = ps->script_head ? strlen(ps->script_head) + 1 : 0;
	size_t bl = (size_t)(body_end - ps->script_body);
	char *s = ops_xmalloc(hl + bl + 1);

	if (hl > 0) {
		memcpy(s, ps->script_head, hl - 1);
		s[hl - 1] = '\n';
	}
	memcpy(s + hl, ps->script_body, bl);
	s[hl + bl] = '\0';
	free(*ps->script);
	*ps->script = s;
	free(ps->script_head);
	ps->script_head = NULL;
	ps->script = NULL;
}

static int
parse_text(struct parser *ps, const char *text, size_t len)
{
	const char *le, *after, *nul;
	int rc = 0;

	ps->p = text;
	ps->end = text + len;
	ps->line = 1;
	nul = memchr(text, '\0', len);
	while (rc == 0 && ps->p < ps->end) {
		le = line_end(ps, ps->p);
		if (nul != NULL && nul < le) {
			rc = bad(ps, "NUL byte in the file");
			break;
		}
		if (ps->script != NULL) {
			if (is_endscript(ps->p, le, &after)) {
				end_script(ps, ps->p);
				rc = items(ps, after, le);
			}
		} else {
			rc = items(ps, ps->p, le);
			if (ps->script != NULL) {
				le = line_end(ps, ps->p);
				ps->script_body = le < ps->end ? le + 1 : le;
			}
		}
		/* items() may have moved ps->p to a later line */
		le = line_end(ps, ps->p);
		if (rc == 0 && le < ps->end) {
			ps->p = le + 1;
			ps->line++;
		} else if (rc == 0) {
			ps->p = ps->end;
		}
	}
	if (rc == 0 && ps->script != NULL)
		rc = ops_err_at(ps->err, OPS_EXIT_USAGE, ps->file,
		    *ps->script_line, "script without endscript before the "
		    "end of the file");
	else if (rc == 0 && ps->in_block)
		rc = ops_err_at(ps->err, OPS_EXIT_USAGE, ps->file,
		    ps->blk.line, "block without '}' before the end of the "
		    "file");
	free(ps->script_head);
	ps->script_head = NULL;
	ps->script = NULL;
	if (ps->in_block) {
		entry_release(&ps->blk);
		ps->in_block = false;
	}
	return rc;
}

static int
parse_named(struct lr_config *c, const char *name, const char *text,
    size_t len, int depth, bool can_include, struct ops_err *err)
{
	struct parser ps;

	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	ps.err = err;
	ps.file = file_name(c, name);
	ps.depth = depth;
	ps.can_include = can_include;
	return parse_text(&ps, text, len);
}

int
lr_config_parse(struct lr_config *c, const char *name, const char *text,
    size_t len, struct ops_err *err)
{
	return parse_named(c, name, text, len, 0, false, err);
}

/* ---- files and directories ---- */

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_taboo(const struct lr_opts *o, const char *name)
{
	char pat[512];
	size_t i;

	for (i = 0; i < o->ntaboo; i++) {
		if (snprintf(pat, sizeof(pat), "*%s", o->tabooext[i]) >=
		    (int)sizeof(pat))
			continue;
		if (fnmatch(pat, name, 0) == 0)
			return true;
	}
	return false;
}

/* Read one regular file (others are skipped, as logrotate skips them). */
static int
read_file(struct lr_config *c, const char *path, const struct stat *sb,
    int depth, struct ops_err *err)
{
	struct ops_buf b;
	int rc;

	if (!S_ISREG(sb->st_mode))
		return 0;
	/* logrotate run by root ignores such files ("bad file mode") */
	if (getuid() == 0 &&
	    ((sb->st_mode & 07533) != 0400 || sb->st_uid != 0)) {
		ops_warn("%s: ignored, as logrotate ignores it: a file run by "
			 "root must belong to root and not be writable by "
			 "group or others (chmod 644, chown root)",
		    path);
		return 0;
	}
	ops_buf_init(&b, 0);
	if (ops_read_file(path, CONF_LIMIT, &b, err) < 0) {
		ops_buf_release(&b);
		return -1;
	}
	rc = parse_named(c, path, ops_buf_cstr(&b), b.len, depth, true, err);
	ops_buf_release(&b);
	return rc;
}

static int
read_dir(struct lr_config *c, const char *path, int depth, struct ops_err *err)
{
	char **names = NULL, *full;
	size_t n = 0, i;
	struct dirent *de;
	struct stat sb;
	int rc = 0;
	DIR *d;

	d = opendir(path);
	if (d == NULL)
		return ops_err_set(err, OPS_EXIT_FAIL, "cannot open directory "
		    "%s:", path);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    is_taboo(&c->global, de->d_name))
			continue;
		names = ops_xreallocarray(names, n + 1, sizeof(char *));
		names[n++] = ops_xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(char *), by_name);
	for (i = 0; i < n; i++) {
		if (rc == 0) {
			full = ops_path_join(path, names[i]);
			if (stat(full, &sb) < 0)
				rc = ops_err_set(err, OPS_EXIT_FAIL,
				    "cannot read %s:", full);
			else
				rc = read_file(c, full, &sb, depth, err);
			free(full);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
read_path(struct lr_config *c, const char *path, int depth, const char *from,
    long from_line, struct ops_err *err)
{
	struct stat sb;
	int rc;

	if (stat(path, &sb) < 0) {
		if (from != NULL)
			return ops_err_at(err, OPS_EXIT_FAIL, from, from_line,
			    "cannot read %s:", path);
		return ops_err_set(err, OPS_EXIT_FAIL, "cannot read %s:", path);
	}
	if (S_ISDIR(sb.st_mode))
		rc = read_dir(c, path, depth, err);
	else
		rc = read_file(c, path, &sb, depth, err);
	return rc;
}

int
lr_config_load(struct lr_config *c, const char *path, struct ops_err *err)
{
	return read_path(c, path, 0, NULL, 0, err);
}
