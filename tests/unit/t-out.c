/*
 * t-out.c - unit tests of lib/out.c and lib/lang.c
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang.h"
#include "out.h"
#include "tap.h"

static const struct ops_out_col cols[] = {
    {"id", "ID", true}, {"title", "件名", false}};

/* Render rows in fmt into a string (caller frees). */
static char *
render(enum ops_out_fmt fmt, unsigned flags, const char *const *rows,
    size_t nrows)
{
	struct ops_out o;
	struct ops_err err;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		bail_out("open_memstream failed");
	ops_out_begin(&o, fp, fmt, flags, cols, 2);
	for (i = 0; i < nrows; i++)
		if (ops_out_row(&o, rows + 2 * i) < 0)
			bail_out("row failed");
	if (ops_out_end(&o, &err) < 0)
		bail_out("end failed");
	fclose(fp);
	return buf;
}

static void
check(const char *desc, enum ops_out_fmt fmt, unsigned flags,
    const char *const *rows, size_t nrows, const char *want)
{
	char *got = render(fmt, flags, rows, nrows);

	is_str(got, want, "%s", desc);
	free(got);
}

int
main(void)
{
	const char *r1[] = {"1", "plain"};
	const char *r2[] = {"2", "tab\there\nnl \\ bs"};
	const char *r3[] = {"3", "=SUM(A1:A9)"};
	const char *r4[] = {"-4", "-12"};
	const char *r5[] = {"5", "say \"hi\", ok"};
	const char *r6[] = {"", "障害あり"};
	const char *fmts[] = {"tsv", "csv", "excel", NULL};
	enum ops_out_fmt f;
	unsigned flags = 0;
	struct ops_err err;

	check("tsv header and plain row", OPS_OUT_TSV, 0, r1, 1,
	    "id\ttitle\n1\tplain\n");
	check("tsv escapes tab, newline, backslash", OPS_OUT_TSV, 0, r2, 1,
	    "id\ttitle\n2\ttab\\there\\nnl \\\\ bs\n");
	check("tsv --no-header", OPS_OUT_TSV, OPS_OUT_NOHEADER, r1, 1,
	    "1\tplain\n");
	check("tsv header even with no rows", OPS_OUT_TSV, 0, r1, 0,
	    "id\ttitle\n");
	check("csv quotes embedded newline and tab", OPS_OUT_CSV, 0, r2, 1,
	    "id,title\r\n2,\"tab\there\nnl \\ bs\"\r\n");
	check("csv defuses a formula", OPS_OUT_CSV, OPS_OUT_NOHEADER, r3, 1,
	    "3,\"'=SUM(A1:A9)\"\r\n");
	check("csv leaves negative numbers alone", OPS_OUT_CSV,
	    OPS_OUT_NOHEADER, r4, 1, "-4,-12\r\n");
	check("csv doubles quotes", OPS_OUT_CSV, OPS_OUT_NOHEADER, r5, 1,
	    "5,\"say \"\"hi\"\", ok\"\r\n");
	check("csv with BOM and labels", OPS_OUT_CSV,
	    OPS_OUT_BOM | OPS_OUT_LABELS, r1, 1,
	    "\xef\xbb\xbfID,件名\r\n1,plain\r\n");
	check("json numbers, strings, null for empty number", OPS_OUT_JSON, 0,
	    r6, 1, "[\n{\"id\":null,\"title\":\"障害あり\"}\n]\n");
	check("json escapes", OPS_OUT_JSON, 0, r2, 1,
	    "[\n{\"id\":2,\"title\":\"tab\\there\\nnl \\\\ bs\"}\n]\n");
	check("json empty list", OPS_OUT_JSON, 0, r1, 0, "[]\n");
	check("text aligns by display width", OPS_OUT_TEXT, 0, r6, 1,
	    "ID  件名\n    障害あり\n");

	is_int((long long)ops_utf8_width("abc"), 3, "width of ASCII");
	is_int((long long)ops_utf8_width("対応中"), 6, "width of CJK");
	is_int((long long)ops_utf8_width("ｱｲ"), 2, "half-width katakana");
	ok(ops_utf8_valid("対応中", strlen("対応中")), "valid UTF-8");
	ok(!ops_utf8_valid("\xff\xfe", 2), "invalid bytes");
	ok(!ops_utf8_valid("\xe5\xaf", 2), "truncated sequence");
	ok(!ops_utf8_valid("\xc0\xaf", 2), "overlong form");
	ok(!ops_utf8_valid("\xed\xa0\x80", 3), "surrogate");

	ok(ops_out_format_parse("excel", fmts, &f, &flags, &err) == 0 &&
		f == OPS_OUT_CSV && (flags & OPS_OUT_BOM),
	    "excel is csv with a BOM");
	ok(ops_out_format_parse("json", fmts, &f, &flags, &err) < 0 &&
		err.code == 2 && strstr(err.msg, "tsv, csv, excel"),
	    "a format not allowed here is refused with the list");

	is_str(ops_L(OPS_LANG_JA, "in-progress"), "対応中", "ja label");
	is_str(ops_L(OPS_LANG_EN, "in-progress"), "in-progress", "en label");
	is_str(ops_L(OPS_LANG_JA, "no such key"), "no such key",
	    "unknown key comes back");
	is_str(ops_lang_from_ja("保留中"), "on-hold", "Japanese word read");
	ok(ops_lang_from_ja("ほげ") == NULL, "unknown Japanese word");
	setenv("OPS_LANG", "", 1);
	setenv("LC_ALL", "", 1);
	setenv("LC_MESSAGES", "ja_JP.UTF-8", 1);
	{
		enum ops_lang l = OPS_LANG_EN;

		ok(ops_lang_resolve(NULL, &l, &err) == 0 && l == OPS_LANG_JA,
		    "LC_MESSAGES=ja_JP gives ja");
		setenv("LC_ALL", "C", 1);
		ok(ops_lang_resolve(NULL, &l, &err) == 0 && l == OPS_LANG_EN,
		    "LC_ALL set first wins");
		setenv("OPS_LANG", "ja", 1);
		ok(ops_lang_resolve(NULL, &l, &err) == 0 && l == OPS_LANG_JA,
		    "OPS_LANG beats the locale");
		ok(ops_lang_resolve("en", &l, &err) == 0 && l == OPS_LANG_EN,
		    "--lang beats OPS_LANG");
		ok(ops_lang_resolve("fr", &l, &err) < 0 && err.code == 2,
		    "unknown language refused");
	}
	return done_testing();
}
