/*
 * t-conf.c - unit tests for lib/conf.c: ops.conf syntax, schema, getters,
 * secret files
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "diag.h"
#include "mem.h"
#include "tap.h"

/* A schema with a named section and every type, beside the real one. */
/* clang-format off */
static const struct ops_conf_key schema[] = {
	{.section = "core", .key = "lang", .type = OPS_CONF_STR},
	{.section = "backup", .named = true, .key = "keep",
	    .type = OPS_CONF_INT, .min = 1, .max = 1000, .def = "7"},
	{.section = "backup", .named = true, .key = "retries",
	    .type = OPS_CONF_INT},
	{.section = "backup", .named = true, .key = "compress",
	    .type = OPS_CONF_BOOL, .def = "no"},
	{.section = "backup", .named = true, .key = "interval",
	    .type = OPS_CONF_DURATION, .def = "1h"},
	{.section = "backup", .named = true, .key = "max-size",
	    .type = OPS_CONF_SIZE},
	{.section = "backup", .named = true, .key = "source",
	    .type = OPS_CONF_STR, .multi = true},
	{.section = "backup", .named = true, .key = "exclude",
	    .type = OPS_CONF_STR, .multi = true, .def = "*.tmp"},
	/* a section in both forms: [pair] and [pair "NAME"] */
	{.section = "pair", .key = "seal", .type = OPS_CONF_STR,
	    .def = "plain"},
	{.section = "pair", .named = true, .key = "keep",
	    .type = OPS_CONF_INT, .def = "3"},
	{.section = NULL},
};
/* clang-format on */

#define BW "[backup \"www\"]\n"
#define A10 "aaaaaaaaaa"
#define A80 A10 A10 A10 A10 A10 A10 A10 A10
#define A100 A80 A10 A10

/*
 * One row: parse text; when want is set, section/name/key must read want;
 * else the parse must fail with "test.conf:LINE: [2] MSG".
 */
static const struct {
	const char *desc;
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *section, *name, *key, *want;
	long line;
	const char *msg;
} cases[] = {
    /* sections */
    {"plain section", "[core]\nlang = ja\n", 0, "core", NULL, "lang", "ja", 0,
        NULL},
    {"named section", BW "keep = 3\n", 0, "backup", "www", "keep", "3", 0,
        NULL},
    {"blanks inside the section line", "[ backup   \"www\" ]\nkeep=3\n", 0,
        "backup", "www", "keep", "3", 0, NULL},
    {"section name with escapes", "[backup \"a \\\"q\\\" b\\\\\"]\nkeep = 4\n",
        0, "backup", "a \"q\" b\\", "keep", "4", 0, NULL},
    {"section name with # ; ] and blanks",
        "[backup \"web #1; ] x\"]\nkeep = 5\n", 0, "backup", "web #1; ] x",
        "keep", "5", 0, NULL},
    {"comment after a section line", BW "# c\n[core] ; c\nlang = en\n", 0,
        "core", NULL, "lang", "en", 0, NULL},
    {"second section switches back", BW "keep = 2\n[core]\nlang = x\n", 0,
        "core", NULL, "lang", "x", 0, NULL},
    {"CRLF line ends", "[core]\r\nlang = ja\r\n", 0, "core", NULL, "lang", "ja",
        0, NULL},
    {"no newline at the end", "[core]\nlang = ja", 0, "core", NULL, "lang",
        "ja", 0, NULL},
    {"tab blanks", "\t[core]\t\n\tlang\t=\tja\t\n", 0, "core", NULL, "lang",
        "ja", 0, NULL},
    /* quoting */
    {"quotes keep blanks", "[core]\nlang = \"  ja  \"\n", 0, "core", NULL,
        "lang", "  ja  ", 0, NULL},
    {"escapes in quotes", "[core]\nlang = \"a\\\"b\\\\c\\nd\\te\"\n", 0, "core",
        NULL, "lang", "a\"b\\c\nd\te", 0, NULL},
    {"quoted and unquoted parts", "[core]\nlang = a \"b  c\" d\n", 0, "core",
        NULL, "lang", "a b  c d", 0, NULL},
    {"comment characters in quotes", "[core]\nlang = \"x # y ; z\"\n", 0,
        "core", NULL, "lang", "x # y ; z", 0, NULL},
    {"empty quotes", "[core]\nlang = \"\"\n", 0, "core", NULL, "lang", "", 0,
        NULL},
    {"empty value", "[core]\nlang =\n", 0, "core", NULL, "lang", "", 0, NULL},
    {"inner blanks kept, outer dropped", "[core]\nlang =   a   b  \n", 0,
        "core", NULL, "lang", "a   b", 0, NULL},
    {"quotes then a comment", "[core]\nlang = \"a\"  # c\n", 0, "core", NULL,
        "lang", "a", 0, NULL},
    {"backslash outside quotes is literal", "[core]\nlang = C:\\d\\x\n", 0,
        "core", NULL, "lang", "C:\\d\\x", 0, NULL},
    {"key alone means yes", BW "compress\n", 0, "backup", "www", "compress",
        "yes", 0, NULL},
    {"key alone with a comment", BW "compress # on\n", 0, "backup", "www",
        "compress", "yes", 0, NULL},
    {"no blanks around =", "[core]\nlang=ja\n", 0, "core", NULL, "lang", "ja",
        0, NULL},
    {"= inside a value", "[core]\nlang = a=b\n", 0, "core", NULL, "lang", "a=b",
        0, NULL},
    {"unknown escape in quotes", "[core]\nlang = \"a\\x\"\n", 0, NULL, NULL,
        NULL, NULL, 2,
        "unknown escape \\x in quotes (use \\\" \\\\ \\n or \\t)"},
    {"unterminated quote", "[core]\n\nlang = \"abc\n", 0, NULL, NULL, NULL,
        NULL, 3, "unterminated quote (a quoted value ends on its line)"},
    {"backslash at the end inside quotes", "[core]\nlang = \"abc\\\ndef\"\n", 0,
        NULL, NULL, NULL, NULL, 2,
        "unterminated quote (a quoted value ends on its line)"},
    /* continuation */
    {"continued value", "[core]\nlang = a long \\\n  continued value\n", 0,
        "core", NULL, "lang", "a long   continued value", 0, NULL},
    {"continued before the value starts", "[core]\nlang = \\\n   ja\n", 0,
        "core", NULL, "lang", "ja", 0, NULL},
    {"three joined lines", "[core]\nlang = a\\\nb\\\nc\n", 0, "core", NULL,
        "lang", "abc", 0, NULL},
    {"continued line with CRLF", "[core]\r\nlang = a\\\r\nb\r\n", 0, "core",
        NULL, "lang", "ab", 0, NULL},
    {"comment ends a continued value", "[core]\nlang = a \\\n# c\n", 0, "core",
        NULL, "lang", "a", 0, NULL},
    {"comment line does not continue", "[core]\n# c \\\nlang = ja\n", 0, "core",
        NULL, "lang", "ja", 0, NULL},
    {"quotes across a continuation", "[core]\nlang = \"a b\" \\\n\"c\"\n", 0,
        "core", NULL, "lang", "a b c", 0, NULL},
    {"error in a continued value names the key's line",
        BW "\nkeep = \\\n 1\\\n 2x\n", 0, NULL, NULL, NULL, NULL, 3,
        "keep in [backup \"www\"]: \"1 2x\" is not a number; use an integer "
        "from 1 to 1000"},
    {"line numbers go on after a continued value",
        "[core]\nlang = a\\\nb\nbad line\n", 0, NULL, NULL, NULL, NULL, 4,
        "expected \"=\" after key \"bad\""},
    {"continuation on the last line", "[core]\nlang = a\\", 0, NULL, NULL, NULL,
        NULL, 2,
        "the last line ends with '\\' (continued past the end of the file)"},
    {"continuation before the end of the file", "[core]\nlang = a\\\n", 0, NULL,
        NULL, NULL, NULL, 2,
        "the last line ends with '\\' (continued past the end of the file)"},
    /* comments */
    {"comment lines", "# one\n; two\n   # three\n\n[core]\nlang = ja\n", 0,
        "core", NULL, "lang", "ja", 0, NULL},
    {"trailing # comment", "[core]\nlang = ja # trailing\n", 0, "core", NULL,
        "lang", "ja", 0, NULL},
    {"trailing ; comment without blank", "[core]\nlang = ja;x\n", 0, "core",
        NULL, "lang", "ja", 0, NULL},
    {"trailing # comment without blank", "[core]\nlang = ja#x\n", 0, "core",
        NULL, "lang", "ja", 0, NULL},
    /* unknown keys and sections */
    {"unknown key with a suggestion", BW "kep = 3\n", 0, NULL, NULL, NULL, NULL,
        2, "unknown key \"kep\" in [backup \"www\"] (did you mean \"keep\"?)"},
    {"unknown key, swapped letters", "[core]\n\nlnag = ja\n", 0, NULL, NULL,
        NULL, NULL, 3,
        "unknown key \"lnag\" in [core] (did you mean \"lang\"?)"},
    {"unknown key without a suggestion", BW "zzzzzz = 3\n", 0, NULL, NULL, NULL,
        NULL, 2, "unknown key \"zzzzzz\" in [backup \"www\"]"},
    {"unknown key of another section", "[core]\nkeep = 3\n", 0, NULL, NULL,
        NULL, NULL, 2, "unknown key \"keep\" in [core]"},
    {"unknown section with a suggestion", "\n[bakup \"x\"]\n", 0, NULL, NULL,
        NULL, NULL, 2, "unknown section [bakup] (did you mean [backup]?)"},
    {"unknown section without a suggestion", "[nosuch]\n", 0, NULL, NULL, NULL,
        NULL, 1, "unknown section [nosuch]"},
    {"named section without its name", "[core]\n[backup]\nkeep = 1\n", 0, NULL,
        NULL, NULL, NULL, 2, "[backup] needs a name: [backup \"NAME\"]"},
    {"both forms: the unnamed one's key", "[pair]\nseal = k\n", 0, "pair",
        NULL, "seal", "k", 0, NULL},
    {"both forms: the named one's key", "[pair \"p\"]\nkeep = 4\n", 0,
        "pair", "p", "keep", "4", 0, NULL},
    {"both forms: a named key in the unnamed form", "[pair]\nkeep = 4\n", 0,
        NULL, NULL, NULL, NULL, 2, "unknown key \"keep\" in [pair]"},
    {"both forms: an unnamed key in the named form",
        "[pair \"p\"]\nseal = k\n", 0, NULL, NULL, NULL, NULL, 2,
        "unknown key \"seal\" in [pair \"p\"]"},
    {"unnamed section with a name", "[core \"x\"]\n", 0, NULL, NULL, NULL, NULL,
        1, "[core] takes no name: write [core], not [core \"x\"]"},
    {"empty section name", "[backup \"\"]\n", 0, NULL, NULL, NULL, NULL, 1,
        "empty name in [backup \"\"]"},
    /* bad lines */
    {"key without =", "[core]\nlang ja\n", 0, NULL, NULL, NULL, NULL, 2,
        "expected \"=\" after key \"lang\""},
    {"= without key", "[core]\n= ja\n", 0, NULL, NULL, NULL, NULL, 2,
        "bad line; expected \"key = value\", \"[section]\" or a comment"},
    {"junk line", "[core]\n\n\n!!!\n", 0, NULL, NULL, NULL, NULL, 4,
        "bad line; expected \"key = value\", \"[section]\" or a comment"},
    {"key outside any section", "# c\nlang = ja\n", 0, NULL, NULL, NULL, NULL,
        2,
        "key \"lang\" is outside any section (put a [section] line above it)"},
    {"unclosed section line", "[core\n", 0, NULL, NULL, NULL, NULL, 1,
        "bad section line; write [section] or [section \"name\"]"},
    {"empty section line", "[]\n", 0, NULL, NULL, NULL, NULL, 1,
        "bad section line; write [section] or [section \"name\"]"},
    {"text after the name's quotes", "[backup \"w\" x]\n", 0, NULL, NULL, NULL,
        NULL, 1, "bad section line; write [section] or [section \"name\"]"},
    {"text after a section line", "[core] x\n", 0, NULL, NULL, NULL, NULL, 1,
        "unexpected text after [core]"},
    {"uppercase section", "[Core]\n", 0, NULL, NULL, NULL, NULL, 1,
        "bad section name \"Core\" (use a-z, 0-9 and -)"},
    {"dotted section", "[core.x]\n", 0, NULL, NULL, NULL, NULL, 1,
        "bad section name \"core.x\" (use a-z, 0-9 and -)"},
    {"uppercase key", "[core]\nLang = x\n", 0, NULL, NULL, NULL, NULL, 2,
        "bad key name \"Lang\" (use a-z, 0-9 and -, starting with a letter)"},
    {"key starting with a digit", "[core]\n1lang = x\n", 0, NULL, NULL, NULL,
        NULL, 2,
        "bad key name \"1lang\" (use a-z, 0-9 and -, starting with a letter)"},
    {"key with underscore", "[core]\nla_ng = x\n", 0, NULL, NULL, NULL, NULL, 2,
        "bad key name \"la_ng\" (use a-z, 0-9 and -, starting with a letter)"},
    {"unterminated section name", "[backup \"www]\n", 0, NULL, NULL, NULL, NULL,
        1, "unterminated quote in section name"},
    {"bad escape in a section name", "[backup \"a\\x\"]\n", 0, NULL, NULL, NULL,
        NULL, 1, "bad escape in section name (only \\\" and \\\\)"},
    {"NUL byte", "[core]\nlang = a\0b\n", 16, NULL, NULL, NULL, NULL, 2,
        "contains a NUL byte"},
    {"NUL byte in a comment", "# \0\n", 4, NULL, NULL, NULL, NULL, 1,
        "contains a NUL byte"},
    /* types */
    {"int", BW "keep = 1000\n", 0, "backup", "www", "keep", "1000", 0, NULL},
    {"int not a number", BW "keep = abc\n", 0, NULL, NULL, NULL, NULL, 2,
        "keep in [backup \"www\"]: \"abc\" is not a number; use an integer "
        "from 1 to 1000"},
    {"int too large", BW "keep = 1001\n", 0, NULL, NULL, NULL, NULL, 2,
        "keep in [backup \"www\"]: \"1001\" is too large; use an integer from "
        "1 to 1000"},
    {"int too small", BW "keep = 0\n", 0, NULL, NULL, NULL, NULL, 2,
        "keep in [backup \"www\"]: \"0\" is too small; use an integer from 1 "
        "to 1000"},
    {"int without bounds", BW "retries = -99999999999\n", 0, "backup", "www",
        "retries", "-99999999999", 0, NULL},
    {"quoted int", BW "keep = \"12\"\n", 0, "backup", "www", "keep", "12", 0,
        NULL},
    {"bool word", BW "compress = Off\n", 0, "backup", "www", "compress", "Off",
        0, NULL},
    {"bad bool", BW "compress = maybe\n", 0, NULL, NULL, NULL, NULL, 2,
        "compress in [backup \"www\"]: \"maybe\" is not a boolean; use yes/no, "
        "true/false, on/off or 1/0"},
    {"duration", BW "interval = 1h30m\n", 0, "backup", "www", "interval",
        "1h30m", 0, NULL},
    {"bare duration", BW "interval = 90\n", 0, "backup", "www", "interval",
        "90", 0, NULL},
    {"bad duration", BW "interval = 5x\n", 0, NULL, NULL, NULL, NULL, 2,
        "interval in [backup \"www\"]: \"5x\" has an unknown unit; use a "
        "duration like 90s, 5m, 1h30m or 7d"},
    {"key alone is not a duration", BW "interval\n", 0, NULL, NULL, NULL, NULL,
        2,
        "interval in [backup \"www\"]: \"yes\" is not a number; use a duration "
        "like 90s, 5m, 1h30m or 7d"},
    {"size", BW "max-size = 10MB\n", 0, "backup", "www", "max-size", "10MB", 0,
        NULL},
    {"bad size", BW "max-size = 10Q\n", 0, NULL, NULL, NULL, NULL, 2,
        "max-size in [backup \"www\"]: \"10Q\" has an unknown unit; use a size "
        "like 512k, 10M or 1G"},
    /* repeats */
    {"last value wins", BW "keep = 1\nkeep = 2\n", 0, "backup", "www", "keep",
        "2", 0, NULL},
    {"section given twice merges", BW "keep = 1\n[core]\n" BW "keep = 9\n", 0,
        "backup", "www", "keep", "9", 0, NULL},
    /* what messages show of the input */
    {"control characters show as ?", BW "keep = \"a\\tb\x1b[31m\"\n", 0, NULL,
        NULL, NULL, NULL, 2,
        "keep in [backup \"www\"]: \"a?b?[31m\" is not a number; use an "
        "integer from 1 to 1000"},
    {"a long value is cut", BW "keep = " A100 "\n", 0, NULL, NULL, NULL, NULL,
        2,
        "keep in [backup \"www\"]: \"" A80 "...\" is not a number; use an "
        "integer from 1 to 1000"},
    {"a long section name is cut", "[backup \"" A100 "\"]\nkep = 1\n", 0, NULL,
        NULL, NULL, NULL, 2,
        "unknown key \"kep\" in [backup \"" A80 "...\"] (did you mean "
        "\"keep\"?)"},
    {"a name is cut before a UTF-8 character",
        "[backup \"" A10 A10 A10 A10 A10 A10 A10 "aaaaaaaaa\xc3\xa9" A10
        "\"]\nkep = 1\n",
        0, NULL, NULL, NULL, NULL, 2,
        "unknown key \"kep\" in [backup \"" A10 A10 A10 A10 A10 A10 A10
        "aaaaaaaaa...\"] (did you mean \"keep\"?)"},
    {"empty file", "", 0, "core", NULL, "lang", NULL, -1, NULL},
};

static void
test_cases(void)
{
	struct ops_conf c;
	struct ops_err err;
	char got[2200], want[1200];
	const char *v;
	size_t i, len;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(cases); i++) {
		ops_conf_init(&c);
		ops_err_clear(&err);
		len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		r = ops_conf_parse(
		    &c, "test.conf", cases[i].text, len, schema, &err);
		if (cases[i].msg == NULL) {
			v = r == 0 ? ops_conf_get(&c, cases[i].section,
			                 cases[i].name, cases[i].key) :
			             "(error)";
			if (r != 0)
				diag("error: %s:%ld: %s", err.file, err.line,
				    err.msg);
			if (cases[i].want == NULL)
				ok(r == 0 && v == NULL, "%s: parses",
				    cases[i].desc);
			else
				is_str(v, cases[i].want, "%s: parses",
				    cases[i].desc);
		} else {
			snprintf(got, sizeof(got), "%s %s:%ld: [%d] %s",
			    r == -1 ? "error" : "accepted", err.file, err.line,
			    err.code, err.msg);
			snprintf(want, sizeof(want),
			    "error test.conf:%ld: [2] %s", cases[i].line,
			    cases[i].msg);
			is_str(got, want, "%s: error at test.conf:%ld",
			    cases[i].desc, cases[i].line);
		}
		ops_conf_release(&c);
	}
}

static void
test_limits(void)
{
	struct ops_conf c;
	struct ops_err err;
	char *text;
	size_t n, big = ((size_t)16 << 20) + 1;

	/* a line of exactly 64 KiB is fine, one byte more is not */
	text = ops_xmalloc(big);
	n = (size_t)snprintf(text, big, "[core]\nlang = ");
	memset(text + n, 'x', 65536 - (n - 7));
	n = 7 + 65536;
	text[n++] = '\n';
	ops_conf_init(&c);
	ok(ops_conf_parse(&c, "t", text, n, schema, &err) == 0 &&
	        strlen(ops_conf_get(&c, "core", NULL, "lang")) == 65536 - 7,
	    "a line of 64 KiB is accepted");
	ops_conf_release(&c);
	memmove(text + n, text + n - 1, 1);
	text[n - 1] = 'x';
	n++;
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_parse(&c, "t", text, n, schema, &err) == -1 &&
	        err.code == 2 && err.line == 2 &&
	        strcmp(err.msg, "line is longer than 64 KiB") == 0,
	    "a line of 64 KiB + 1 is refused at t:2");
	ops_conf_release(&c);

	/* continued lines join to more than 64 KiB */
	n = (size_t)snprintf(text, big, "[core]\nlang = ");
	memset(text + n, 'y', 40000);
	n += 40000;
	memcpy(text + n, "\\\n", 2);
	n += 2;
	memset(text + n, 'z', 40000);
	n += 40000;
	text[n++] = '\n';
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_parse(&c, "t", text, n, schema, &err) == -1 &&
	        err.code == 2 && err.line == 2 &&
	        strstr(err.msg, "longer than 64 KiB") != NULL,
	    "continued lines over 64 KiB are refused at t:2");
	ops_conf_release(&c);

	/* 16 MiB of comments is fine, one byte more is not */
	memset(text, '\n', big);
	ops_conf_init(&c);
	ok(ops_conf_parse(&c, "t", text, big - 1, schema, &err) == 0,
	    "a file of 16 MiB is accepted");
	ops_conf_release(&c);
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_parse(&c, "t", text, big, schema, &err) == -1 &&
	        err.code == 2 && err.line == 0 &&
	        strcmp(err.msg, "is bigger than 16 MiB") == 0,
	    "a file of 16 MiB + 1 is refused");
	ops_conf_release(&c);
	free(text);
}

static const char multi_text[] = "[backup \"www\"]\n" /* 1 */
                                 "source = /srv/www\n" /* 2 */
                                 "keep = 14\n" /* 3 */
                                 "compress = on\n" /* 4 */
                                 "[backup \"db\"]\n" /* 5 */
                                 "source = /srv/db\n" /* 6 */
                                 "[core]\n" /* 7 */
                                 "lang = ja\n" /* 8 */
                                 "[backup \"www\"]\n" /* 9 */
                                 "source = /etc\n" /* 10 */
                                 "source = \"/home/a b\"\n" /* 11 */
                                 "interval = 1h30m\n" /* 12 */
                                 "max-size = 1G\n" /* 13 */
                                 "[backup \"empty\"]\n"; /* 14 */

static void
test_getters(void)
{
	const struct ops_conf_entry *e;
	const char *vals[8];
	struct ops_conf c;
	struct ops_err err;
	long long n;
	size_t cnt;
	bool b;

	ops_conf_init(&c);
	if (ops_conf_parse(&c, "multi.conf", multi_text, strlen(multi_text),
	        schema, &err) != 0)
		bail_out("multi.conf: %s:%ld: %s", err.file, err.line, err.msg);
	cnt = ops_conf_get_all(&c, "backup", "www", "source", vals, 8);
	ok(cnt == 3 && strcmp(vals[0], "/srv/www") == 0 &&
	        strcmp(vals[1], "/etc") == 0 &&
	        strcmp(vals[2], "/home/a b") == 0,
	    "get_all returns every source of [backup \"www\"] in order");
	cnt = ops_conf_get_all(&c, "backup", "www", "source", vals, 1);
	ok(cnt == 3 && strcmp(vals[0], "/srv/www") == 0,
	    "get_all with max 1 fills one and counts three");
	ok(ops_conf_get_all(&c, "backup", "www", "source", NULL, 0) == 3,
	    "get_all with max 0 only counts");
	cnt = ops_conf_get_all(&c, "backup", "db", "source", vals, 8);
	ok(cnt == 1 && strcmp(vals[0], "/srv/db") == 0,
	    "get_all keeps [backup \"db\"] apart");
	cnt = ops_conf_get_all(&c, "backup", "db", "exclude", vals, 8);
	ok(cnt == 1 && strcmp(vals[0], "*.tmp") == 0,
	    "get_all gives the default when the file sets none");
	ok(ops_conf_get_all(&c, "backup", "db", "max-size", vals, 8) == 0,
	    "get_all gives nothing without value or default");
	is_str(ops_conf_get(&c, "backup", "www", "source"), "/home/a b",
	    "get of a multi key is the last value");

	cnt = ops_conf_names(&c, "backup", vals, 8);
	ok(cnt == 3 && strcmp(vals[0], "www") == 0 &&
	        strcmp(vals[1], "db") == 0 && strcmp(vals[2], "empty") == 0,
	    "names lists www, db, empty once each in file order");
	ok(ops_conf_names(&c, "backup", vals, 2) == 3,
	    "names with max 2 still counts three");
	ok(ops_conf_names(&c, "core", vals, 8) == 0,
	    "names of an unnamed section is empty");
	ok(ops_conf_names(&c, "nosuch", NULL, 0) == 0,
	    "names of an unknown section is empty");

	e = ops_conf_entry(&c, "backup", "www", "source");
	ok(e && e->line == 11 && strcmp(e->value, "/home/a b") == 0 &&
	        strcmp(e->name, "www") == 0,
	    "entry of the last source is line 11");
	e = ops_conf_entry(&c, "core", NULL, "lang");
	ok(e && e->line == 8 && e->name == NULL,
	    "entry of [core] lang is line 8");
	ok(ops_conf_entry(&c, "backup", "db", "keep") == NULL,
	    "entry of an unset key is NULL");
	ok(ops_conf_entry(&c, "backup", NULL, "source") == NULL,
	    "entry with NULL name does not match named sections");
	ok(ops_conf_get(&c, "core", "www", "lang") == NULL,
	    "get with a name does not match an unnamed section");

	n = 0;
	ok(ops_conf_get_int(&c, "backup", "www", "keep", &n, &err) == 0 &&
	        n == 14,
	    "get_int reads keep = 14");
	ok(ops_conf_get_int(&c, "backup", "db", "keep", &n, &err) == 0 &&
	        n == 7,
	    "get_int falls back to the default 7");
	is_str(ops_conf_get(&c, "backup", "db", "keep"), "7",
	    "get falls back to the default text");
	n = 55;
	ops_err_clear(&err);
	ok(ops_conf_get_int(&c, "backup", "db", "retries", &n, &err) == -1 &&
	        n == 55 && err.code == 2 && err.line == 5 &&
	        strcmp(err.file, "multi.conf") == 0 &&
	        strcmp(err.msg, "missing key \"retries\" in [backup \"db\"]") ==
	            0,
	    "get_int of an unset key without default names the section line");
	ops_err_clear(&err);
	ok(ops_conf_get_int(&c, "backup", "nosuch", "retries", &n, &err) ==
	            -1 &&
	        err.line == 0 &&
	        strcmp(err.msg,
	            "missing key \"retries\" in [backup \"nosuch\"]") == 0,
	    "get_int of a section not in the file names no line");
	ok(ops_conf_get_int(&c, "core", NULL, "lang", &n, &err) == -1 &&
	        err.code == 2 && err.line == 8 &&
	        strcmp(err.msg,
	            "lang in [core]: \"ja\" is not a number; use an integer "
	            "from -9223372036854775808 to 9223372036854775807") == 0,
	    "get_int of a text names its line");
	b = false;
	ok(ops_conf_get_bool(&c, "backup", "www", "compress", &b, &err) == 0 &&
	        b,
	    "get_bool reads on as true");
	b = true;
	ok(ops_conf_get_bool(&c, "backup", "db", "compress", &b, &err) == 0 &&
	        !b,
	    "get_bool falls back to the default no");
	ops_err_clear(&err);
	ok(ops_conf_get_bool(&c, "backup", "www", "source", &b, &err) == -1 &&
	        err.line == 11 && strstr(err.msg, "is not a boolean"),
	    "get_bool of a path fails at its line");
	n = 0;
	ok(ops_conf_get_duration_ms(
	       &c, "backup", "www", "interval", &n, &err) == 0 &&
	        n == 5400000,
	    "get_duration_ms reads 1h30m");
	ok(ops_conf_get_duration_ms(&c, "backup", "db", "interval", &n, &err) ==
	            0 &&
	        n == 3600000,
	    "get_duration_ms falls back to the default 1h");
	ok(ops_conf_get_duration_ms(&c, "backup", "db", "max-size", &n, &err) ==
	            -1 &&
	        err.code == 2,
	    "get_duration_ms of an unset key without default fails");
	ok(ops_conf_get(&c, "nosuch", NULL, "x") == NULL,
	    "get of an unknown section is NULL");
	ops_conf_release(&c);
	ok(c.n == 0 && c.ent == NULL && c.nsect == 0 && c.path == NULL,
	    "release leaves an empty configuration");
}

static void
test_bools(void)
{
	static const struct {
		const char *word;
		bool want;
	} words[] = {
	    {"yes", true},
	    {"no", false},
	    {"true", true},
	    {"false", false},
	    {"on", true},
	    {"off", false},
	    {"1", true},
	    {"0", false},
	    {"YES", true},
	    {"False", false},
	};
	struct ops_conf c;
	struct ops_err err;
	char text[128];
	size_t i;
	bool b;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(words); i++) {
		snprintf(
		    text, sizeof(text), BW "compress = %s\n", words[i].word);
		ops_conf_init(&c);
		b = !words[i].want;
		r = ops_conf_parse(&c, "b", text, strlen(text), schema, &err);
		ok(r == 0 &&
		        ops_conf_get_bool(
		            &c, "backup", "www", "compress", &b, &err) == 0 &&
		        b == words[i].want,
		    "bool \"%s\" is %s", words[i].word,
		    words[i].want ? "true" : "false");
		ops_conf_release(&c);
	}
}

static void
test_real_schema(void)
{
	static const struct {
		const char *key;
		long long ms;
	} ticket[] = {
	    {"response-target", 24 * 3600000LL},
	    {"isolation-target", 12 * 3600000LL},
	    {"lock-timeout", 30000},
	};
	const struct ops_conf_key *k;
	struct ops_conf c;
	struct ops_err err;
	struct ops_buf text;
	long long ms;
	size_t i;
	int good = 1;
	const char *s;

	/* every default passes its own type check */
	for (k = ops_conf_schema; k->section; k++) {
		if (k->def == NULL)
			continue;
		ops_buf_init(&text, 0);
		if (ops_buf_printf(&text, k->named ? "[%s \"x\"]\n" : "[%s]\n",
		        k->section) < 0 ||
		    ops_buf_printf(&text, "%s = \"%s\"\n", k->key, k->def) < 0)
			bail_out("ops_buf_printf");
		ops_conf_init(&c);
		if (ops_conf_parse(&c, "schema", text.data, text.len,
		        ops_conf_schema, &err) != 0) {
			diag("[%s] %s default \"%s\": %s", k->section, k->key,
			    k->def, err.msg);
			good = 0;
		}
		ops_conf_release(&c);
		ops_buf_release(&text);
	}
	ok(good, "every default of ops_conf_schema passes its type check");
	good = 1;
	for (k = ops_conf_schema; k->section; k++) {
		const struct ops_conf_key *f;

		for (f = ops_conf_schema; f < k; f++)
			if (strcmp(f->section, k->section) == 0 &&
			    f->named == k->named && strcmp(f->key, k->key) == 0)
				good = 0;
	}
	ok(good, "ops_conf_schema has no duplicate keys in a section form");

	ops_conf_init(&c);
	ok(ops_conf_load(&c, NULL, ops_conf_schema, &err) == 0,
	    "load of no file is the empty configuration");
	for (i = 0; i < OPS_ARRAY_SIZE(ticket); i++) {
		ms = -1;
		ok(ops_conf_get_duration_ms(
		       &c, "ticket", NULL, ticket[i].key, &ms, &err) == 0 &&
		        ms == ticket[i].ms,
		    "[ticket] %s defaults to %lld ms", ticket[i].key,
		    ticket[i].ms);
	}
	ok(ops_conf_get(&c, "core", NULL, "lang") == NULL,
	    "[core] lang has no default");
	ops_conf_release(&c);

	s = "[core]\nlang = ja\n[ticket]\nlock-timeout = 5\nresponse-target = "
	    "4h\n";
	ops_conf_init(&c);
	ok(ops_conf_parse(
	       &c, "ops.conf", s, strlen(s), ops_conf_schema, &err) == 0 &&
	        ops_conf_get_duration_ms(
	            &c, "ticket", NULL, "lock-timeout", &ms, &err) == 0 &&
	        ms == 5000,
	    "[ticket] lock-timeout = 5 is 5 seconds");
	ok(ops_conf_get_duration_ms(
	       &c, "ticket", NULL, "response-target", &ms, &err) == 0 &&
	        ms == 4 * 3600000LL,
	    "[ticket] response-target = 4h is read");
	is_str(ops_conf_get(&c, "core", NULL, "lang"), "ja",
	    "[core] lang = ja is read");
	ops_conf_release(&c);

	s = "[ticket]\nresponse-targt = 1h\n";
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_parse(
	       &c, "ops.conf", s, strlen(s), ops_conf_schema, &err) == -1 &&
	        err.line == 2 &&
	        strcmp(err.msg,
	            "unknown key \"response-targt\" in [ticket] (did you mean "
	            "\"response-target\"?)") == 0,
	    "a typo in [ticket] is refused with a suggestion");
	ops_conf_release(&c);

	s = "[tikcet]\n";
	ops_conf_init(&c);
	ok(ops_conf_parse(
	       &c, "ops.conf", s, strlen(s), ops_conf_schema, &err) == -1 &&
	        strcmp(err.msg,
	            "unknown section [tikcet] (did you mean [ticket]?)") == 0,
	    "a typo in a section name is refused with a suggestion");
	ops_conf_release(&c);

	s = "[core]\nlang = ja\n";
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_parse(&c, NULL, s, strlen(s), ops_conf_schema, &err) == 0 &&
	        c.path == NULL,
	    "parse with no name works");
	ops_conf_release(&c);
	s = "[core]\nx = 1\n";
	ops_conf_init(&c);
	ok(ops_conf_parse(&c, NULL, s, strlen(s), ops_conf_schema, &err) ==
	            -1 &&
	        err.file[0] == '\0' && err.line == 2,
	    "parse with no name reports the line without a file");
	ops_conf_release(&c);
}

static char *
write_file(const char *dir, const char *name, const char *data, size_t len,
    mode_t mode)
{
	char *path;
	size_t plen = strlen(dir) + strlen(name) + 2;
	int fd;

	path = ops_xmalloc(plen);
	snprintf(path, plen, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len ||
	    fchmod(fd, mode) != 0 || close(fd) != 0)
		bail_out("cannot write %s", path);
	return path;
}

static void
test_load(const char *dir)
{
	struct ops_conf c;
	struct ops_err err;
	char *path, *missing, *bad, *big;
	const char *text = "[core]\nlang = en\n";
	size_t bigsize = ((size_t)16 << 20) + 1;

	path = write_file(dir, "ops.conf", text, strlen(text), 0644);
	ops_conf_init(&c);
	ok(ops_conf_load(&c, path, schema, &err) == 0 &&
	        strcmp(ops_conf_get(&c, "core", NULL, "lang"), "en") == 0 &&
	        strcmp(c.path, path) == 0,
	    "load reads a file");
	ops_conf_release(&c);

	bad = write_file(dir, "bad.conf", "[core]\n\nlang ja\n", 16, 0644);
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_load(&c, bad, schema, &err) == -1 && err.code == 2 &&
	        strcmp(err.file, bad) == 0 && err.line == 3,
	    "load reports a syntax error as FILE:3");
	ops_conf_release(&c);

	missing = ops_xmalloc(strlen(dir) + 16);
	snprintf(missing, strlen(dir) + 16, "%s/missing.conf", dir);
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_load(&c, missing, schema, &err) == -1 && err.code == 3 &&
	        err.errnum == ENOENT && strcmp(err.file, missing) == 0 &&
	        strstr(err.msg, "cannot open: ") == err.msg,
	    "load of a missing file is code 3 with ENOENT");
	ops_conf_release(&c);
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_load(&c, dir, schema, &err) == -1 && err.code == 3,
	    "load of a directory is code 3");
	ops_conf_release(&c);

	big = ops_xmalloc(bigsize);
	memset(big, '#', bigsize);
	unlink(path);
	unlink(bad);
	free(path);
	path = write_file(dir, "big.conf", big, bigsize, 0644);
	ops_conf_init(&c);
	ops_err_clear(&err);
	ok(ops_conf_load(&c, path, schema, &err) == -1 && err.code == 2 &&
	        strcmp(err.msg, "is bigger than 16 MiB") == 0,
	    "load of a file over 16 MiB is code 2");
	ops_conf_release(&c);
	unlink(path);
	free(big);
	free(path);
	free(bad);
	free(missing);
}

static void
test_secret(const char *dir)
{
	static const struct {
		const char *name, *data;
		size_t len;
		mode_t mode;
		const char *want; /* NULL: refused with code 2 */
		const char *msg; /* start of the message when refused */
	} rows[] = {
	    {"s-lf", "hunter2\n", 8, 0600, "hunter2", NULL},
	    {"s-crlf", "hunter2\r\n", 9, 0600, "hunter2", NULL},
	    {"s-none", "hunter2", 7, 0600, "hunter2", NULL},
	    {"s-two", "hunter2\n\n", 9, 0600, "hunter2\n", NULL},
	    {"s-cr", "hunter2\r", 8, 0600, "hunter2\r", NULL},
	    {"s-0400", "pw\n", 3, 0400, "pw", NULL},
	    {"s-0700", "pw\n", 3, 0700, "pw", NULL},
	    {"s-0640", "pw\n", 3, 0640, NULL,
	        "is readable by group or others (mode 0640); run: chmod 600 "},
	    {"s-0604", "pw\n", 3, 0604, NULL,
	        "is readable by group or others (mode 0604); run: chmod 600 "},
	    {"s-0620", "pw\n", 3, 0620, NULL,
	        "is accessible by group or others (mode 0620); run: chmod "
	        "600 "},
	    {"s-0601", "pw\n", 3, 0601, NULL,
	        "is accessible by group or others (mode 0601)"},
	    {"s-empty", "", 0, 0600, NULL, "is empty"},
	    {"s-newline", "\n", 1, 0600, NULL, "is empty"},
	    {"s-nul", "a\0b\n", 4, 0600, NULL, "contains a NUL byte"},
	};
	struct ops_buf out;
	struct ops_err err;
	char *path, *big, *link;
	size_t i, plen;

	ops_buf_init(&out, 0);
	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		path = write_file(
		    dir, rows[i].name, rows[i].data, rows[i].len, rows[i].mode);
		ops_err_clear(&err);
		if (ops_buf_adds(&out, "old") < 0)
			bail_out("ops_buf_adds");
		if (rows[i].want)
			ok(ops_secret_read(path, &out, &err) == 0 &&
			        out.len == strlen(rows[i].want) &&
			        strcmp(ops_buf_cstr(&out), rows[i].want) == 0,
			    "secret %s (mode %04o) is read", rows[i].name,
			    (unsigned)rows[i].mode);
		else
			ok(ops_secret_read(path, &out, &err) == -1 &&
			        err.code == 2 && strcmp(err.file, path) == 0 &&
			        strncmp(err.msg, rows[i].msg,
			            strlen(rows[i].msg)) == 0 &&
			        out.len == 0,
			    "secret %s (mode %04o) is refused: %s",
			    rows[i].name, (unsigned)rows[i].mode, rows[i].msg);
		if (strcmp(rows[i].name, "s-0640") == 0)
			ok(strstr(err.msg, path) != NULL,
			    "the chmod hint names the file");
		unlink(path);
		free(path);
	}

	big = ops_xmalloc(4097);
	memset(big, 'k', 4097);
	path = write_file(dir, "s-4096", big, 4096, 0600);
	ok(ops_secret_read(path, &out, &err) == 0 && out.len == 4096,
	    "a secret of 4 KiB is read");
	unlink(path);
	free(path);
	path = write_file(dir, "s-4097", big, 4097, 0600);
	ops_err_clear(&err);
	ok(ops_secret_read(path, &out, &err) == -1 && err.code == 2 &&
	        strstr(err.msg, "bigger than 4 KiB") != NULL,
	    "a secret of 4 KiB + 1 is refused");

	plen = strlen(dir) + 8;
	link = ops_xmalloc(plen);
	snprintf(link, plen, "%s/s-link", dir);
	if (chmod(path, 0600) != 0 || symlink(path, link) != 0)
		bail_out("symlink");
	ops_err_clear(&err);
	ok(ops_secret_read(link, &out, &err) == -1 && err.code == 2 &&
	        strstr(err.msg, "symbolic link") != NULL,
	    "a secret behind a symbolic link is refused");
	unlink(link);
	unlink(path);
	free(path);
	free(big);

	ops_err_clear(&err);
	ok(ops_secret_read(link, &out, &err) == -1 && err.code == 3 &&
	        err.errnum == ENOENT,
	    "a missing secret file is code 3");
	free(link);
	ops_err_clear(&err);
	if (chmod(dir, 0700) != 0)
		bail_out("chmod %s", dir);
	ok(ops_secret_read(dir, &out, &err) == -1 && err.code == 2 &&
	        strcmp(err.msg, "is not a regular file") == 0,
	    "a directory is not a secret file");
	ops_buf_release(&out);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[1024];

	snprintf(
	    dir, sizeof(dir), "%s/t-conf.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	test_cases();
	test_limits();
	test_getters();
	test_bools();
	test_real_schema();
	if (mkdtemp(dir) == NULL)
		bail_out("mkdtemp");
	test_load(dir);
	test_secret(dir);
	if (rmdir(dir) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
