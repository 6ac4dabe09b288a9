/*
 * conf.c - the ops.conf configuration file (SPEC 3.5, ops.conf(5))
 * SPDX-License-Identifier: MIT
 *
 * One pass checks the limits (file size, line length, NUL bytes); a second
 * reads logical lines: blank or comment, [section "name"], or key = value,
 * where a value may continue over several physical lines.  Each key is
 * checked against the schema as soon as it is read, so the first error
 * stops the parse with the line where its key started.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "num.h"

#define CONF_MAX_FILE ((size_t)16 << 20)
#define CONF_MAX_LINE ((size_t)64 << 10)
#define SECRET_MAX 4096
/* Longest name we compute an edit distance for. */
#define SUGGEST_MAX 64
/* Longest piece of input quoted back in a message. */
#define QUOTE_MAX 80
/* Room for quoted(): '"' text "..." '"' NUL. */
#define QUOTED_SIZE (1 + QUOTE_MAX + 3 + 1 + 1)
/* Room for section_label(): "[" sec " \"" 2 * name "...\"]" NUL. */
#define LABEL_SIZE (1 + QUOTE_MAX + 2 + 2 * QUOTE_MAX + 3 + 2 + 1)

struct parser {
	struct ops_conf *c;
	const char *name; /* file name for messages, "" if none */
	const char *p; /* start of the current physical line */
	const char *eol; /* its '\n', or end */
	const char *ce; /* end of its content (without "\r\n") */
	const char *end; /* end of the text */
	long line; /* number of the line at p */
	const struct ops_conf_key *schema;
	const char *section; /* current section, NULL before the first */
	const char *secname; /* its name, NULL if unnamed */
	struct ops_buf val; /* scratch for values and quoted names */
	struct ops_err *err;
};

void
ops_conf_init(struct ops_conf *c)
{
	c->path = NULL;
	c->ent = NULL;
	c->n = c->cap = 0;
	c->schema = NULL;
	c->sect = NULL;
	c->nsect = c->capsect = 0;
}

static void
entry_free(struct ops_conf_entry *e)
{
	free(e->section);
	free(e->name);
	free(e->key);
	free(e->value);
}

void
ops_conf_release(struct ops_conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		entry_free(&c->ent[i]);
	for (i = 0; i < c->nsect; i++)
		entry_free(&c->sect[i]);
	free(c->ent);
	free(c->sect);
	free(c->path);
	ops_conf_init(c);
}

static bool
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static const char *
skip_blanks(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	return s;
}

/* Characters read as part of a section or key name (checked afterwards). */
static bool
is_word(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

/* [a-z0-9-]+, and for keys a letter first. */
static bool
valid_name(const char *s, bool key)
{
	if (*s == '\0' || (key && !(*s >= 'a' && *s <= 'z')))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		        *s == '-'))
			return false;
	return true;
}

/*
 * How many bytes of s (at most QUOTE_MAX) to show in a message: not
 * ending inside a UTF-8 sequence.
 */
static size_t
shown_len(const char *s)
{
	size_t n = strnlen(s, QUOTE_MAX + 1);

	if (n <= QUOTE_MAX)
		return n;
	n = QUOTE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* A byte of input as shown in a message: control characters as '?'. */
static char
shown_char(char ch)
{
	return (unsigned char)ch < 0x20 || ch == 0x7f ? '?' : ch;
}

/*
 * Put s into buf as "\"TEXT\"" for a message: cut to QUOTE_MAX bytes
 * ("..." added), control characters as '?'.
 */
static const char *
quoted(char buf[QUOTED_SIZE], const char *s)
{
	size_t i, n = shown_len(s);

	buf[0] = '"';
	for (i = 0; i < n; i++)
		buf[i + 1] = shown_char(s[i]);
	if (s[n] != '\0') {
		memcpy(buf + n + 1, "...", 3);
		n += 3;
	}
	buf[n + 1] = '"';
	buf[n + 2] = '\0';
	return buf;
}

/*
 * Put "[sec]" or "[sec \"name\"]" into buf, the name shown as quoted()
 * does, with '"' and '\\' escaped.
 */
static const char *
section_label(char buf[LABEL_SIZE], const char *section, const char *name)
{
	size_t n, i, len;

	n = (size_t)snprintf(buf, LABEL_SIZE, "[%.*s", QUOTE_MAX, section);
	if (name) {
		buf[n++] = ' ';
		buf[n++] = '"';
		len = shown_len(name);
		for (i = 0; i < len; i++) {
			if (name[i] == '"' || name[i] == '\\')
				buf[n++] = '\\';
			buf[n++] = shown_char(name[i]);
		}
		if (name[len] != '\0') {
			memcpy(buf + n, "...", 3);
			n += 3;
		}
		buf[n++] = '"';
	}
	buf[n++] = ']';
	buf[n] = '\0';
	return buf;
}

/* First schema entry of section in the form named (with a name or
 * without), else the first in the other form, or NULL. */
static const struct ops_conf_key *
find_section(
    const struct ops_conf_key *schema, const char *section, bool named)
{
	const struct ops_conf_key *k, *other = NULL;

	for (k = schema; k && k->section; k++)
		if (strcmp(k->section, section) == 0) {
			if (k->named == named)
				return k;
			if (other == NULL)
				other = k;
		}
	return other;
}

/* The schema entry of key in section, in the form named. */
static const struct ops_conf_key *
find_key(const struct ops_conf_key *schema, const char *section, bool named,
    const char *key)
{
	const struct ops_conf_key *k;

	for (k = schema; k && k->section; k++)
		if (strcmp(k->section, section) == 0 && k->named == named &&
		    strcmp(k->key, key) == 0)
			return k;
	return NULL;
}

/* The closest section name (section NULL) or key of section in the form
 * named, or NULL. */
static const char *
suggest(const struct ops_conf_key *schema, const char *section, bool named,
    const char *word)
{
	const struct ops_conf_key *k;
	const char *best = NULL, *cand;
	size_t d, bestd = 3;

	for (k = schema; k && k->section; k++) {
		if (section &&
		    (strcmp(k->section, section) != 0 || k->named != named))
			continue;
		cand = section ? k->key : k->section;
		d = ops_edit_distance(word, cand);
		if (d < bestd) {
			bestd = d;
			best = cand;
		}
	}
	return best;
}

static int perr(struct parser *P, long line, const char *fmt, ...)
    OPS_PRINTF(3, 4);

/* Record a syntax error of code 2 at line of the file being parsed. */
static int
perr(struct parser *P, long line, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof(P->err->msg)];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ops_err_at(P->err, OPS_EXIT_USAGE, P->name, line, "%s", msg);
}

static void
set_line(struct parser *P)
{
	P->eol = memchr(P->p, '\n', (size_t)(P->end - P->p));
	if (P->eol == NULL)
		P->eol = P->end;
	P->ce = P->eol;
	if (P->ce > P->p && P->ce[-1] == '\r')
		P->ce--;
}

/* Move to the next physical line; false at the end of the text. */
static bool
next_line(struct parser *P)
{
	if (P->eol >= P->end) {
		P->p = P->end;
		return false;
	}
	P->p = P->eol + 1;
	P->line++;
	set_line(P);
	return P->p < P->end;
}

/* Check size, line lengths and NUL bytes before parsing. */
static int
check_limits(struct parser *P, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *eol;
	long line = 1;

	if (len > CONF_MAX_FILE)
		return perr(P, 0, "is bigger than 16 MiB");
	for (; p < end; p = eol + 1, line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > CONF_MAX_LINE)
			return perr(P, line, "line is longer than 64 KiB");
		if (memchr(p, '\0', (size_t)(eol - p)))
			return perr(P, line, "contains a NUL byte");
	}
	return 0;
}

static void
add_entry(struct ops_conf_entry **arr, size_t *n, size_t *cap,
    const char *section, const char *name, char *key, char *value, long line)
{
	struct ops_conf_entry *e;

	ops_xgrow((void **)arr, cap, *n + 1, sizeof(**arr));
	e = &(*arr)[(*n)++];
	e->section = ops_xstrdup(section);
	e->name = name ? ops_xstrdup(name) : NULL;
	e->key = key;
	e->value = value;
	e->line = line;
}

/* [section] or [section "name"] at s. */
static int
parse_section(struct parser *P, const char *s)
{
	const struct ops_conf_key *first;
	const char *q = s + 1, *ce = P->ce, *start, *hint;
	char label[LABEL_SIZE], *sec = NULL, *name = NULL;
	struct ops_conf_entry *e;
	int r = -1;

	q = skip_blanks(q, ce);
	for (start = q; q < ce && is_word(*q); q++)
		;
	if (q == start) {
		perr(P, P->line,
		    "bad section line; write [section] or [section \"name\"]");
		goto out;
	}
	sec = ops_xstrndup(start, (size_t)(q - start));
	if (!valid_name(sec, false)) {
		perr(P, P->line,
		    "bad section name \"%.*s\" (use a-z, 0-9 and -)", QUOTE_MAX,
		    sec);
		goto out;
	}
	q = skip_blanks(q, ce);
	if (q < ce && *q == '"') {
		ops_buf_reset(&P->val);
		for (q++;; q++) {
			if (q == ce) {
				perr(P, P->line,
				    "unterminated quote in section name");
				goto out;
			}
			if (*q == '"')
				break;
			if (*q == '\\') {
				if (q + 1 == ce ||
				    (q[1] != '"' && q[1] != '\\')) {
					perr(P, P->line,
					    "bad escape in section name (only "
					    "\\\" and \\\\)");
					goto out;
				}
				q++;
			}
			if (ops_buf_addc(&P->val, *q) < 0) {
				/* not reached: lines are at most 64 KiB */
				perr(P, P->line, "line is longer than 64 KiB");
				goto out;
			}
		}
		q = skip_blanks(q + 1, ce);
		name = ops_xstrdup(ops_buf_cstr(&P->val));
	}
	if (q == ce || *q != ']') {
		perr(P, P->line,
		    "bad section line; write [section] or [section \"name\"]");
		goto out;
	}
	q = skip_blanks(q + 1, ce);
	if (q < ce && *q != '#' && *q != ';') {
		perr(P, P->line, "unexpected text after %s",
		    section_label(label, sec, name));
		goto out;
	}
	first = find_section(P->schema, sec, name != NULL);
	if (first == NULL) {
		hint = suggest(P->schema, NULL, false, sec);
		perr(P, P->line, "unknown section [%.*s]%s%s%s", QUOTE_MAX, sec,
		    hint ? " (did you mean [" : "", hint ? hint : "",
		    hint ? "]?)" : "");
		goto out;
	}
	if (first->named && name == NULL) {
		perr(P, P->line, "[%s] needs a name: [%s \"NAME\"]", sec, sec);
		goto out;
	}
	if (!first->named && name) {
		perr(P, P->line, "[%s] takes no name: write [%s], not %s", sec,
		    sec, section_label(label, sec, name));
		goto out;
	}
	if (name && *name == '\0') {
		perr(P, P->line, "empty name in [%s \"\"]", sec);
		goto out;
	}
	add_entry(&P->c->sect, &P->c->nsect, &P->c->capsect, sec, name, NULL,
	    NULL, P->line);
	e = &P->c->sect[P->c->nsect - 1];
	P->section = e->section;
	P->secname = e->name;
	r = 0;
out:
	free(sec);
	free(name);
	return r;
}

static int
bad_escape(struct parser *P, long line, int ch)
{
	if (ch < 0x20 || ch >= 0x7f)
		ch = '?';
	return perr(P, line,
	    "unknown escape \\%c in quotes (use \\\" \\\\ \\n or \\t)", ch);
}

/*
 * The value after '=' at s into P->val, following continuation lines.
 * Leaves P on the last physical line read.
 */
static int
parse_value(struct parser *P, const char *s, long line)
{
	const char *q = skip_blanks(s, P->ce);
	size_t keep = 0;
	bool inq = false, started = false;
	int ch;

	ops_buf_reset(&P->val);
	for (;;) {
		if (q == P->ce) {
			if (inq)
				return perr(P, line,
				    "unterminated quote (a quoted value ends "
				    "on its line)");
			break;
		}
		ch = *q;
		if (inq) {
			if (ch == '"') {
				inq = false;
				q++;
				continue;
			}
			if (ch == '\\') {
				if (q + 1 == P->ce)
					return perr(P, line,
					    "unterminated quote (a quoted "
					    "value ends on its line)");
				switch (q[1]) {
				case '"':
				case '\\':
					ch = q[1];
					break;
				case 'n':
					ch = '\n';
					break;
				case 't':
					ch = '\t';
					break;
				default:
					return bad_escape(P, line, q[1]);
				}
				q++;
			}
			q++;
			if (ops_buf_addc(&P->val, ch) < 0)
				goto toolong;
			keep = P->val.len;
			continue;
		}
		if (ch == '\\' && q + 1 == P->ce) {
			if (P->eol >= P->end || P->eol + 1 >= P->end)
				return perr(P, line,
				    "the last line ends with '\\' (continued "
				    "past the end of the file)");
			(void)next_line(P);
			q = P->p;
			continue;
		}
		if (ch == '#' || ch == ';')
			break;
		q++;
		if (ch == '"') {
			inq = started = true;
			continue;
		}
		if (!started && is_blank(ch))
			continue;
		started = true;
		if (ops_buf_addc(&P->val, ch) < 0)
			goto toolong;
		if (!is_blank(ch))
			keep = P->val.len;
	}
	P->val.len = keep;
	if (P->val.data)
		P->val.data[keep] = '\0';
	return 0;
toolong:
	return perr(P, line, "line is longer than 64 KiB with continuations");
}

static bool
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static void
int_bounds(const struct ops_conf_key *k, long long *min, long long *max)
{
	*min = LLONG_MIN;
	*max = LLONG_MAX;
	if (k && k->type == OPS_CONF_INT && (k->min != 0 || k->max != 0)) {
		*min = k->min;
		*max = k->max;
	}
}

/*
 * Check v against k's type; NULL when good, else "why" in buf, ready to
 * follow "KEY in [SECTION]: ".
 */
static const char *
type_error(const struct ops_conf_key *k, const char *v, char *buf, size_t size)
{
	const char *why = NULL, *want = "";
	char q[QUOTED_SIZE];
	unsigned long long sz;
	long long n, min, max;
	bool b;

	switch (k->type) {
	case OPS_CONF_STR:
		return NULL;
	case OPS_CONF_INT:
		int_bounds(k, &min, &max);
		if (ops_parse_int(v, min, max, &n, &why) == 0)
			return NULL;
		snprintf(buf, size, "%s %s; use an integer from %lld to %lld",
		    quoted(q, v), why, min, max);
		return buf;
	case OPS_CONF_BOOL:
		if (parse_bool(v, &b))
			return NULL;
		why = "is not a boolean";
		want = "yes/no, true/false, on/off or 1/0";
		break;
	case OPS_CONF_DURATION:
		if (ops_parse_duration_ms(v, 1000, &n, &why) == 0)
			return NULL;
		want = "a duration like 90s, 5m, 1h30m or 7d";
		break;
	case OPS_CONF_SIZE:
		if (ops_parse_size(v, &sz, &why) == 0)
			return NULL;
		want = "a size like 512k, 10M or 1G";
		break;
	}
	snprintf(buf, size, "%s %s; use %s", quoted(q, v),
	    why ? why : "is not valid", want);
	return buf;
}

/* key = value (or a key alone) at s. */
static int
parse_entry(struct parser *P, const char *s)
{
	const struct ops_conf_key *k;
	const char *q = s, *ce = P->ce, *hint, *why;
	char label[LABEL_SIZE], whybuf[512], *key = NULL;
	long line = P->line;
	int r = -1;

	while (q < ce && is_word(*q))
		q++;
	if (q == s)
		return perr(P, line,
		    "bad line; expected \"key = value\", \"[section]\" or a "
		    "comment");
	key = ops_xstrndup(s, (size_t)(q - s));
	if (!valid_name(key, true)) {
		perr(P, line,
		    "bad key name \"%.*s\" (use a-z, 0-9 and -, starting with "
		    "a letter)",
		    QUOTE_MAX, key);
		goto out;
	}
	if (P->section == NULL) {
		perr(P, line,
		    "key \"%.*s\" is outside any section (put a [section] line "
		    "above it)",
		    QUOTE_MAX, key);
		goto out;
	}
	q = skip_blanks(q, ce);
	if (q == ce || *q == '#' || *q == ';') {
		ops_buf_reset(&P->val);
		if (ops_buf_adds(&P->val, "yes") < 0)
			goto out; /* not reached: the buffer is empty */
	} else if (*q != '=') {
		perr(P, line, "expected \"=\" after key \"%.*s\"", QUOTE_MAX,
		    key);
		goto out;
	} else if (parse_value(P, q + 1, line) < 0)
		goto out;
	section_label(label, P->section, P->secname);
	k = find_key(P->schema, P->section, P->secname != NULL, key);
	if (k == NULL) {
		hint = suggest(P->schema, P->section, P->secname != NULL, key);
		perr(P, line, "unknown key \"%.*s\" in %s%s%s%s", QUOTE_MAX,
		    key, label, hint ? " (did you mean \"" : "",
		    hint ? hint : "", hint ? "\"?)" : "");
		goto out;
	}
	why = type_error(k, ops_buf_cstr(&P->val), whybuf, sizeof(whybuf));
	if (why) {
		perr(P, line, "%s in %s: %s", key, label, why);
		goto out;
	}
	add_entry(&P->c->ent, &P->c->n, &P->c->cap, P->section, P->secname, key,
	    ops_xstrdup(ops_buf_cstr(&P->val)), line);
	return 0;
out:
	free(key);
	return r;
}

int
ops_conf_parse(struct ops_conf *c, const char *name, const char *text,
    size_t len, const struct ops_conf_key *schema, struct ops_err *err)
{
	struct parser P;
	const char *s;
	int r = 0;

	free(c->path);
	c->path = name ? ops_xstrdup(name) : NULL;
	c->schema = schema;
	if (len == 0)
		return 0;
	memset(&P, 0, sizeof(P));
	P.c = c;
	P.name = name ? name : "";
	P.schema = schema;
	P.err = err;
	P.p = text;
	P.end = text + len;
	P.line = 1;
	ops_buf_init(&P.val, CONF_MAX_LINE);
	if (check_limits(&P, text, len) < 0)
		return -1;
	set_line(&P);
	do {
		s = skip_blanks(P.p, P.ce);
		if (s == P.ce || *s == '#' || *s == ';')
			continue;
		if (*s == '[')
			r = parse_section(&P, s);
		else
			r = parse_entry(&P, s);
	} while (r == 0 && next_line(&P));
	ops_buf_release(&P.val);
	return r;
}

int
ops_conf_load(struct ops_conf *c, const char *path,
    const struct ops_conf_key *schema, struct ops_err *err)
{
	struct ops_buf b;
	char chunk[16384];
	ssize_t n;
	int fd, r;

	if (path == NULL) {
		free(c->path);
		c->path = NULL;
		c->schema = schema;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot open:");
	ops_buf_init(&b, CONF_MAX_FILE);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot read:");
			goto fail;
		}
		if (n == 0)
			break;
		if (ops_buf_add(&b, chunk, (size_t)n) < 0) {
			ops_err_at(err, OPS_EXIT_USAGE, path, 0,
			    "is bigger than 16 MiB");
			goto fail;
		}
	}
	close(fd);
	r = ops_conf_parse(c, path, ops_buf_cstr(&b), b.len, schema, err);
	ops_buf_release(&b);
	return r;
fail:
	close(fd);
	ops_buf_release(&b);
	return -1;
}

/* Does e belong to section/name? */
static bool
same_section(
    const struct ops_conf_entry *e, const char *section, const char *name)
{
	if (strcmp(e->section, section) != 0)
		return false;
	if (name == NULL || e->name == NULL)
		return name == e->name;
	return strcmp(e->name, name) == 0;
}

const struct ops_conf_entry *
ops_conf_entry(const struct ops_conf *c, const char *section, const char *name,
    const char *key)
{
	size_t i;

	for (i = c->n; i-- > 0;)
		if (strcmp(c->ent[i].key, key) == 0 &&
		    same_section(&c->ent[i], section, name))
			return &c->ent[i];
	return NULL;
}

const char *
ops_conf_get(const struct ops_conf *c, const char *section, const char *name,
    const char *key)
{
	const struct ops_conf_entry *e;
	const struct ops_conf_key *k;

	e = ops_conf_entry(c, section, name, key);
	if (e)
		return e->value;
	k = find_key(c->schema, section, name != NULL, key);
	return k ? k->def : NULL;
}

size_t
ops_conf_get_all(const struct ops_conf *c, const char *section,
    const char *name, const char *key, const char **vals, size_t max)
{
	const struct ops_conf_key *k;
	size_t i, n = 0;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->ent[i].key, key) != 0 ||
		    !same_section(&c->ent[i], section, name))
			continue;
		if (n < max)
			vals[n] = c->ent[i].value;
		n++;
	}
	if (n == 0 && (k = find_key(c->schema, section, name != NULL, key)) &&
	    k->def) {
		if (max > 0)
			vals[0] = k->def;
		n = 1;
	}
	return n;
}

size_t
ops_conf_names(const struct ops_conf *c, const char *section,
    const char **names, size_t max)
{
	size_t i, j, n = 0;
	bool seen;

	for (i = 0; i < c->nsect; i++) {
		if (c->sect[i].name == NULL ||
		    strcmp(c->sect[i].section, section) != 0)
			continue;
		seen = false;
		for (j = 0; j < i && !seen; j++)
			seen = c->sect[j].name &&
			    strcmp(c->sect[j].section, section) == 0 &&
			    strcmp(c->sect[j].name, c->sect[i].name) == 0;
		if (seen)
			continue;
		if (n < max)
			names[n] = c->sect[i].name;
		n++;
	}
	return n;
}

/*
 * The value for a typed getter, with the line to blame in *line; -1 with
 * err when unset and without default.
 */
static int
typed_value(const struct ops_conf *c, const char *section, const char *name,
    const char *key, const char **v, long *line, struct ops_err *err)
{
	const struct ops_conf_entry *e;
	char label[LABEL_SIZE];
	size_t i;

	e = ops_conf_entry(c, section, name, key);
	*line = e ? e->line : 0;
	*v = ops_conf_get(c, section, name, key);
	if (*v)
		return 0;
	for (i = c->nsect; i-- > 0;)
		if (same_section(&c->sect[i], section, name)) {
			*line = c->sect[i].line;
			break;
		}
	return ops_err_at(err, OPS_EXIT_USAGE, c->path, *line,
	    "missing key \"%s\" in %s", key,
	    section_label(label, section, name));
}

static int
typed_error(const struct ops_conf *c, const char *section, const char *name,
    const char *key, long line, const char *why, struct ops_err *err)
{
	char label[LABEL_SIZE];

	return ops_err_at(err, OPS_EXIT_USAGE, c->path, line, "%s in %s: %s",
	    key, section_label(label, section, name), why);
}

int
ops_conf_get_int(const struct ops_conf *c, const char *section,
    const char *name, const char *key, long long *out, struct ops_err *err)
{
	struct ops_conf_key k = {.type = OPS_CONF_INT};
	const struct ops_conf_key *sk;
	const char *v, *why;
	char whybuf[512];
	long long min, max;
	long line;

	if (typed_value(c, section, name, key, &v, &line, err) < 0)
		return -1;
	sk = find_key(c->schema, section, name != NULL, key);
	if (sk && sk->type == OPS_CONF_INT)
		k = *sk;
	why = type_error(&k, v, whybuf, sizeof(whybuf));
	if (why)
		return typed_error(c, section, name, key, line, why, err);
	int_bounds(&k, &min, &max);
	if (ops_parse_int(v, min, max, out, &why) < 0)
		return -1; /* not reached: checked above */
	return 0;
}

int
ops_conf_get_bool(const struct ops_conf *c, const char *section,
    const char *name, const char *key, bool *out, struct ops_err *err)
{
	struct ops_conf_key k = {.type = OPS_CONF_BOOL};
	const char *v, *why;
	char whybuf[512];
	long line;

	if (typed_value(c, section, name, key, &v, &line, err) < 0)
		return -1;
	why = type_error(&k, v, whybuf, sizeof(whybuf));
	if (why)
		return typed_error(c, section, name, key, line, why, err);
	(void)parse_bool(v, out);
	return 0;
}

int
ops_conf_get_duration_ms(const struct ops_conf *c, const char *section,
    const char *name, const char *key, long long *ms, struct ops_err *err)
{
	struct ops_conf_key k = {.type = OPS_CONF_DURATION};
	const char *v, *why;
	char whybuf[512];
	long line;

	if (typed_value(c, section, name, key, &v, &line, err) < 0)
		return -1;
	why = type_error(&k, v, whybuf, sizeof(whybuf));
	if (why)
		return typed_error(c, section, name, key, line, why, err);
	if (ops_parse_duration_ms(v, 1000, ms, &why) < 0)
		return -1; /* not reached: checked above */
	return 0;
}

int
ops_secret_read(const char *path, struct ops_buf *out, struct ops_err *err)
{
	char data[SECRET_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, r = -1;

	ops_buf_reset(out);
	fd = open(
	    path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ELOOP)
		return ops_err_at(err, OPS_EXIT_USAGE, path, 0,
		    "is a symbolic link; name the file itself");
	if (fd < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot open:");
	if (fstat(fd, &st) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot stat:");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ops_err_at(
		    err, OPS_EXIT_USAGE, path, 0, "is not a regular file");
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		ops_err_at(err, OPS_EXIT_USAGE, path, 0,
		    "is %s by group or others (mode %04o); run: chmod 600 %s",
		    (st.st_mode & 044) ? "readable" : "accessible",
		    (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		ops_err_at(err, OPS_EXIT_USAGE, path, 0,
		    "belongs to uid %lu, not to this user or root; a secret "
		    "must be owned by the user that reads it",
		    (unsigned long)st.st_uid);
		goto out;
	}
	while (len < sizeof(data)) {
		n = read(fd, data + len, sizeof(data) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot read:");
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > SECRET_MAX) {
		ops_err_at(err, OPS_EXIT_USAGE, path, 0,
		    "is bigger than 4 KiB; a secret file holds only the "
		    "secret");
		goto out;
	}
	if (memchr(data, '\0', len)) {
		ops_err_at(err, OPS_EXIT_USAGE, path, 0, "contains a NUL byte");
		goto out;
	}
	if (len > 0 && data[len - 1] == '\n') {
		len--;
		if (len > 0 && data[len - 1] == '\r')
			len--;
	}
	if (len == 0) {
		ops_err_at(err, OPS_EXIT_USAGE, path, 0, "is empty");
		goto out;
	}
	if (ops_buf_add(out, data, len) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0,
		    "secret too long for its buffer");
		goto out;
	}
	r = 0;
out:
	explicit_bzero(data, sizeof(data));
	close(fd);
	return r;
}
