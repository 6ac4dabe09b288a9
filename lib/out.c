/*
 * out.c - rows on stdout as TSV, CSV, JSON or aligned text
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "mem.h"
#include "out.h"
#include "tsv.h"

int
ops_out_format_parse(const char *s, const char *const allowed[],
    enum ops_out_fmt *fmt, unsigned *flags, struct ops_err *err)
{
	static const struct {
		const char *name;
		enum ops_out_fmt fmt;
		unsigned flags;
	} fmts[] = {
	    {"tsv", OPS_OUT_TSV, 0},
	    {"csv", OPS_OUT_CSV, 0},
	    {"excel", OPS_OUT_CSV, OPS_OUT_BOM | OPS_OUT_LABELS},
	    {"json", OPS_OUT_JSON, 0},
	    {"text", OPS_OUT_TEXT, 0},
	};
	struct ops_buf list;
	size_t i, k;

	for (k = 0; allowed[k] != NULL; k++) {
		if (strcmp(s, allowed[k]) != 0)
			continue;
		for (i = 0; i < OPS_ARRAY_SIZE(fmts); i++) {
			if (strcmp(s, fmts[i].name) == 0) {
				*fmt = fmts[i].fmt;
				*flags |= fmts[i].flags;
				return 0;
			}
		}
	}
	ops_buf_init(&list, 256);
	for (k = 0; allowed[k] != NULL; k++)
		if (ops_buf_printf(&list, "%s%s", k ? ", " : "", allowed[k]) <
		    0)
			break;
	ops_err_set(err, OPS_EXIT_USAGE, "unknown format \"%s\": use %s", s,
	    ops_buf_cstr(&list));
	ops_buf_release(&list);
	return -1;
}

void
ops_out_begin(struct ops_out *o, FILE *fp, enum ops_out_fmt fmt,
    unsigned flags, const struct ops_out_col *cols, size_t ncols)
{
	memset(o, 0, sizeof(*o));
	o->fp = fp;
	o->fmt = fmt;
	o->flags = flags;
	o->tty = isatty(fileno(fp)) == 1;
	o->cols = cols;
	o->ncols = ncols;
	ops_buf_init(&o->line, 0);
}

/* Decode one UTF-8 sequence at s; returns its length (1 for a bad byte). */
static size_t
utf8_decode(const unsigned char *s, size_t len, unsigned long *cp)
{
	size_t n, i;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (n > len) {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (n == 4 && (c < 0x10000 || c > 0x10ffff))) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return n;
}

bool
ops_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 1)
			return false;
		i += n;
	}
	return true;
}

static bool
is_wide(unsigned long c)
{
	return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

size_t
ops_utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, w = 0;
	unsigned long cp;

	while (i < len) {
		i += utf8_decode(p + i, len - i, &cp);
		if (cp >= 0x300 && cp <= 0x36f)
			continue; /* combining marks */
		w += is_wide(cp) ? 2 : 1;
	}
	return w;
}

int
ops_out_sanitize(struct ops_buf *out, const char *s, bool keep_nl)
{
	const char *p;

	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool ctl = c < 0x20 || c == 0x7f;

		if (ctl && !(keep_nl && c == '\n') && c != '\t')
			c = '?';
		if (ops_buf_addc(out, c) < 0)
			return -1;
	}
	return 0;
}

/* Append v, with control characters made harmless when writing to a tty. */
static int
add_plain(struct ops_out *o, const char *v)
{
	if (o->tty)
		return ops_out_sanitize(&o->line, v, true);
	return ops_buf_adds(&o->line, v);
}

static bool
is_number(const char *v)
{
	const char *p = v;

	if (*p == '-' || *p == '+')
		p++;
	if (*p == '\0')
		return false;
	for (; *p; p++)
		if ((*p < '0' || *p > '9') && *p != '.')
			return false;
	return true;
}

static int
add_csv(struct ops_out *o, const char *v)
{
	bool quote = strpbrk(v, "\",\r\n") != NULL || *v == ' ' ||
	    (*v && v[strlen(v) - 1] == ' ');
	bool formula = *v && strchr("=+-@\t\r", *v) != NULL && !is_number(v);
	const char *p;

	if (formula)
		quote = true;
	if (quote && ops_buf_addc(&o->line, '"') < 0)
		return -1;
	if (formula && ops_buf_addc(&o->line, '\'') < 0)
		return -1;
	for (p = v; *p; p++) {
		if (*p == '"' && ops_buf_addc(&o->line, '"') < 0)
			return -1;
		if (o->tty && ((unsigned char)*p < 0x20 && *p != '\n' &&
		    *p != '\r' && *p != '\t')) {
			if (ops_buf_addc(&o->line, '?') < 0)
				return -1;
			continue;
		}
		if (ops_buf_addc(&o->line, *p) < 0)
			return -1;
	}
	if (quote && ops_buf_addc(&o->line, '"') < 0)
		return -1;
	return 0;
}

static int
add_json_string(struct ops_out *o, const char *v)
{
	const unsigned char *p;

	if (ops_buf_addc(&o->line, '"') < 0)
		return -1;
	for (p = (const unsigned char *)v; *p; p++) {
		int r;

		switch (*p) {
		case '"':
			r = ops_buf_adds(&o->line, "\\\"");
			break;
		case '\\':
			r = ops_buf_adds(&o->line, "\\\\");
			break;
		case '\n':
			r = ops_buf_adds(&o->line, "\\n");
			break;
		case '\r':
			r = ops_buf_adds(&o->line, "\\r");
			break;
		case '\t':
			r = ops_buf_adds(&o->line, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				r = ops_buf_printf(&o->line, "\\u%04x", *p);
			else
				r = ops_buf_addc(&o->line, *p);
		}
		if (r < 0)
			return -1;
	}
	return ops_buf_addc(&o->line, '"');
}

static const char *
heading(const struct ops_out *o, size_t i, bool label)
{
	if (label && o->cols[i].label != NULL)
		return o->cols[i].label;
	return o->cols[i].name;
}

static int
keep_cell(struct ops_out *o, const char *v)
{
	struct ops_buf b;

	ops_buf_init(&b, 0);
	if (ops_out_sanitize(&b, v, false) < 0) {
		ops_buf_release(&b);
		return -1;
	}
	ops_xgrow((void **)&o->cells, &o->cap, o->ncells + 1,
	    sizeof(o->cells[0]));
	o->cells[o->ncells++] = ops_buf_detach(&b, NULL);
	return 0;
}

static int
header(struct ops_out *o)
{
	const char *v[OPS_TSV_MAX_COLS];
	size_t i;
	bool label = o->fmt == OPS_OUT_TEXT || (o->flags & OPS_OUT_LABELS);

	if (o->flags & OPS_OUT_BOM)
		fputs("\xef\xbb\xbf", o->fp);
	if ((o->flags & OPS_OUT_NOHEADER) || o->fmt == OPS_OUT_JSON)
		return 0;
	for (i = 0; i < o->ncols && i < OPS_TSV_MAX_COLS; i++)
		v[i] = heading(o, i, label);
	if (o->fmt == OPS_OUT_TEXT) {
		for (i = 0; i < o->ncols; i++)
			if (keep_cell(o, v[i]) < 0)
				return -1;
		return 0;
	}
	ops_buf_reset(&o->line);
	for (i = 0; i < o->ncols; i++) {
		if (i && ops_buf_addc(&o->line,
			     o->fmt == OPS_OUT_CSV ? ',' : '\t') < 0)
			return -1;
		if ((o->fmt == OPS_OUT_CSV ? add_csv(o, v[i])
					   : add_plain(o, v[i])) < 0)
			return -1;
	}
	if (ops_buf_adds(&o->line, o->fmt == OPS_OUT_CSV ? "\r\n" : "\n") < 0)
		return -1;
	fwrite(o->line.data, 1, o->line.len, o->fp);
	return 0;
}

int
ops_out_row(struct ops_out *o, const char *const vals[])
{
	size_t i;

	if (o->rows == 0 && header(o) < 0)
		return -1;
	o->rows++;
	if (o->fmt == OPS_OUT_TEXT) {
		for (i = 0; i < o->ncols; i++)
			if (keep_cell(o, vals[i] ? vals[i] : "") < 0)
				return -1;
		return 0;
	}
	ops_buf_reset(&o->line);
	if (o->fmt == OPS_OUT_JSON &&
	    ops_buf_adds(&o->line, o->rows == 1 ? "[\n{" : ",\n{") < 0)
		return -1;
	for (i = 0; i < o->ncols; i++) {
		const char *v = vals[i] ? vals[i] : "";
		int r = 0;

		switch (o->fmt) {
		case OPS_OUT_TSV:
			if (i)
				r = ops_buf_addc(&o->line, '\t');
			if (r == 0 && o->tty) {
				struct ops_buf t;

				ops_buf_init(&t, 0);
				r = ops_tsv_escape(&t, v, strlen(v));
				if (r == 0)
					r = ops_out_sanitize(&o->line,
					    ops_buf_cstr(&t), false);
				ops_buf_release(&t);
			} else if (r == 0) {
				r = ops_tsv_escape(&o->line, v, strlen(v));
			}
			break;
		case OPS_OUT_CSV:
			if (i)
				r = ops_buf_addc(&o->line, ',');
			if (r == 0)
				r = add_csv(o, v);
			break;
		case OPS_OUT_JSON:
			r = ops_buf_printf(&o->line, "%s", i ? "," : "");
			if (r == 0)
				r = add_json_string(o, o->cols[i].name);
			if (r == 0)
				r = ops_buf_addc(&o->line, ':');
			if (r == 0 && o->cols[i].num && *v == '\0')
				r = ops_buf_adds(&o->line, "null");
			else if (r == 0 && o->cols[i].num && is_number(v))
				r = ops_buf_adds(&o->line, v);
			else if (r == 0)
				r = add_json_string(o, v);
			break;
		case OPS_OUT_TEXT:
			break;
		}
		if (r < 0)
			return -1;
	}
	if (ops_buf_adds(&o->line, o->fmt == OPS_OUT_CSV ? "\r\n" :
		    o->fmt == OPS_OUT_JSON ? "}" : "\n") < 0)
		return -1;
	fwrite(o->line.data, 1, o->line.len, o->fp);
	return 0;
}

static void
print_text(struct ops_out *o)
{
	size_t *w = ops_xcalloc(o->ncols, sizeof(*w));
	size_t i, n, pad;

	for (i = 0; i < o->ncells; i++) {
		size_t cw = ops_utf8_width(o->cells[i]);

		if (cw > w[i % o->ncols])
			w[i % o->ncols] = cw;
	}
	for (i = 0; i < o->ncells; i++) {
		size_t c = i % o->ncols;
		bool last = c == o->ncols - 1;

		pad = w[c] - ops_utf8_width(o->cells[i]);
		if (o->cols[c].num)
			for (n = 0; n < pad; n++)
				fputc(' ', o->fp);
		fputs(o->cells[i], o->fp);
		if (!last && !o->cols[c].num)
			for (n = 0; n < pad; n++)
				fputc(' ', o->fp);
		fputs(last ? "\n" : "  ", o->fp);
	}
	free(w);
}

void
ops_out_discard(struct ops_out *o)
{
	size_t i;

	for (i = 0; i < o->ncells; i++)
		free(o->cells[i]);
	free(o->cells);
	o->cells = NULL;
	o->ncells = o->cap = 0;
	ops_buf_release(&o->line);
}

int
ops_out_end(struct ops_out *o, struct ops_err *err)
{
	int rc = 0;

	if (o->rows == 0 && o->fmt != OPS_OUT_JSON && header(o) < 0)
		rc = ops_err_set(err, OPS_EXIT_FAIL, "output row too large");
	if (o->fmt == OPS_OUT_TEXT && o->ncols > 0)
		print_text(o);
	if (o->fmt == OPS_OUT_JSON) {
		if (o->flags & OPS_OUT_BOM && o->rows == 0)
			fputs("\xef\xbb\xbf", o->fp);
		fputs(o->rows ? "\n]\n" : "[]\n", o->fp);
	}
	ops_out_discard(o);
	if (fflush(o->fp) != 0 || ferror(o->fp)) {
		if (rc == 0)
			rc = ops_err_set(err, OPS_EXIT_FAIL,
			    "cannot write output:");
	}
	return rc;
}

int
ops_stdout_close(struct ops_err *err)
{
	int bad = fflush(stdout) != 0;

	bad |= ferror(stdout) != 0;
	if (fclose(stdout) != 0)
		bad = 1;
	if (bad)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "cannot write standard output:");
	return 0;
}
