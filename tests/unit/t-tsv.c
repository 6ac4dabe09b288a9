/*
 * t-tsv.c - unit tests for lib/tsv: escapes, header, reader, writer
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"
#include "tsv.h"

static void *rows_fields, *rows_lens;
static struct ops_buf rows_buf;

static const char *
put_bytes(const char *name, const void *data, size_t len)
{
	const char *p = spath(name);
	int fd;

	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, data, len) < 0 || close(fd) < 0)
		bail_out("write %s: %s", p, strerror(errno));
	return p;
}

static const char *
puts_file(const char *name, const char *s)
{
	return put_bytes(name, s, strlen(s));
}

static void
test_escape_table(void)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
		size_t outlen;
		const char *what;
	} rows[] = {
	    {"", 0, "", 0, "escape of empty"},
	    {"abc", 3, "abc", 3, "escape of plain text"},
	    {"a\tb", 3, "a\\tb", 4, "escape of tab"},
	    {"\n", 1, "\\n", 2, "escape of newline"},
	    {"\r\n", 2, "\\r\\n", 4, "escape of CR LF"},
	    {"\\", 1, "\\\\", 2, "escape of backslash"},
	    {"\\t", 2, "\\\\t", 3, "escape of backslash t"},
	    {"\xe6\x97\xa5\xe6\x9c\xac\t", 7, "\xe6\x97\xa5\xe6\x9c\xac\\t", 8,
	        "escape keeps UTF-8"},
	    {"a\0b", 3, "a\0b", 3, "escape keeps NUL bytes"},
	};
	struct ops_buf b;
	size_t i;

	ops_buf_init(&b, 0);
	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		ops_buf_reset(&b);
		if (ops_tsv_escape(&b, rows[i].in, rows[i].len) < 0)
			bail_out("escape failed");
		is_mem(b.data, b.len, rows[i].out, rows[i].outlen, "%s",
		    rows[i].what);
	}
	ops_buf_release(&b);

	/* a full buffer: -1 E2BIG and nothing appended */
	ops_buf_init(&b, 6);
	if (ops_buf_adds(&b, "xy") < 0)
		bail_out("buf");
	errno = 0;
	ok(ops_tsv_escape(&b, "ab\tc", 4) == -1 && errno == E2BIG,
	    "escape past the buffer limit fails with E2BIG");
	is_str(ops_buf_cstr(&b), "xy", "failed escape leaves the buffer");
	ok(ops_tsv_escape(&b, "a\tb", 3) == 0, "escape up to the limit");
	is_str(ops_buf_cstr(&b), "xya\\tb", "escape appended");
	ops_buf_release(&b);
}

static void
test_unescape_table(void)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: rejected */
		const char *what;
	} rows[] = {
	    {"", "", "unescape of empty"},
	    {"abc", "abc", "unescape of plain text"},
	    {"a\\tb", "a\tb", "unescape \\t"},
	    {"\\n\\r\\t\\\\", "\n\r\t\\", "unescape all four escapes"},
	    {"\\\\t", "\\t", "unescape \\\\ then t"},
	    {"\xe6\x97\xa5\\n", "\xe6\x97\xa5\n", "unescape after UTF-8"},
	    {"x\\\\", "x\\", "unescape trailing \\\\"},
	    {"\\x", NULL, "unescape rejects \\x"},
	    {"abc\\", NULL, "unescape rejects a trailing \\"},
	    {"\\", NULL, "unescape rejects a lone \\"},
	    {"\\\\\\", NULL, "unescape rejects \\\\ then a lone \\"},
	    {"\\0", NULL, "unescape rejects \\0"},
	    {"\\T", NULL, "unescape rejects \\T"},
	    {"\\N", NULL, "unescape rejects \\N"},
	    {"\\ ", NULL, "unescape rejects backslash space"},
	    {"a\\\tb", NULL, "unescape rejects backslash TAB"},
	    {"\\u00e9", NULL, "unescape rejects \\u"},
	    {"ok\\t\\q", NULL,
	        "unescape rejects a bad escape after a good one"},
	};
	char s[64];
	size_t i, len;
	ssize_t n;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		len = strlen(rows[i].in);
		memcpy(s, rows[i].in, len);
		s[len] = 'Z';
		n = ops_tsv_unescape(s, len);
		if (rows[i].out == NULL) {
			is_int(n, -1, "%s", rows[i].what);
			continue;
		}
		ok(n >= 0 && (size_t)n == strlen(rows[i].out) &&
		        memcmp(s, rows[i].out, (size_t)n + 1) == 0,
		    "%s", rows[i].what);
	}
}

/* Random bytes with many of the characters that matter. */
static size_t
random_field(char *s, size_t max, bool nul_ok)
{
	static const char *const pieces[] = {
	    "\t",
	    "\n",
	    "\r",
	    "\\",
	    "t",
	    "n",
	    "r",
	    "\\t",
	    "\\\\",
	    "\r\n",
	    "\xe6\x97\xa5",
	    "\xe6\x9c\xac",
	    "\xc3\xa9",
	    "\xf0\x9f\x98\x80",
	    "abc",
	    " ",
	    "\"",
	    "x\\",
	};
	size_t len = 0, want = rnd() % (max + 1), k, pl;
	unsigned char c;

	while (len < want) {
		k = rnd() % (OPS_ARRAY_SIZE(pieces) + 4);
		if (k < OPS_ARRAY_SIZE(pieces)) {
			pl = strlen(pieces[k]);
			if (len + pl > max)
				break;
			memcpy(s + len, pieces[k], pl);
			len += pl;
			continue;
		}
		c = (unsigned char)rnd();
		if (c == 0 && !nul_ok)
			c = 1;
		s[len++] = (char)c;
	}
	return len;
}

static void
test_roundtrip(void)
{
	char in[300], work[700];
	struct ops_buf b;
	size_t i, j, specials, n = 20000;
	int bad_rt = 0, bad_raw = 0, bad_len = 0, bad_nul = 0;
	ssize_t ul;

	ops_buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		size_t len = random_field(in, 256, true);

		ops_buf_reset(&b);
		if (ops_tsv_escape(&b, in, len) < 0)
			bail_out("escape failed");
		for (j = 0, specials = 0; j < len; j++)
			specials += in[j] == '\t' || in[j] == '\n' ||
			    in[j] == '\r' || in[j] == '\\';
		if (b.len != len + specials)
			bad_len++;
		if (memchr(b.data, '\t', b.len) ||
		    memchr(b.data, '\n', b.len) ||
		    memchr(b.data, '\r', b.len)) {
			if (bad_raw++ == 0)
				diag("raw special in escape of string %zu", i);
		}
		memcpy(work, b.data, b.len);
		ul = ops_tsv_unescape(work, b.len);
		if (ul < 0 || (size_t)ul != len || memcmp(work, in, len) != 0) {
			if (bad_rt++ == 0)
				diag("round trip failed on string %zu", i);
		} else if (work[ul] != '\0') {
			bad_nul++;
		}
	}
	ops_buf_release(&b);
	is_int(bad_rt, 0, "unescape(escape(s)) == s for %zu random strings", n);
	is_int(bad_raw, 0, "escaped form has no raw TAB, LF or CR");
	is_int(bad_len, 0, "escaped length is length + specials");
	is_int(bad_nul, 0, "unescaped result is NUL-terminated");
}

static void
test_row_writer(void)
{
	const char *f[] = {"a", NULL, "x\ty", "\\", "l1\nl2"};
	struct ops_buf b;

	ops_buf_init(&b, 0);
	ok(ops_tsv_row(&b, f, 5) == 0, "row writer");
	is_str(ops_buf_cstr(&b), "a\t\tx\\ty\t\\\\\tl1\\nl2\n",
	    "row: NULL empty, fields escaped, TAB-separated, LF-ended");
	ops_buf_release(&b);
	ops_buf_init(&b, 8);
	ok(ops_tsv_row(&b, f, 5) == -1 && b.len == 0,
	    "row writer past the limit fails and appends nothing");
	ops_buf_release(&b);
}

static void
test_colname(void)
{
	static const struct {
		const char *name;
		bool valid;
		const char *what;
	} rows[] = {
	    {"ts", true, "ts"},
	    {"a_1", true, "a_1"},
	    {"_", true, "_"},
	    {"0", true, "0"},
	    {"last_alert", true, "last_alert"},
	    {"", false, "empty"},
	    {"Ts", false, "upper case"},
	    {"a-b", false, "a-b"},
	    {"a b", false, "a space"},
	    {"ts\r", false, "a CR"},
	    {"\xc3\xa9", false, "a UTF-8 letter"},
	    {"a\tb", false, "a TAB"},
	    {"a.b", false, "a dot"},
	};
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++)
		ok(ops_tsv_is_colname(rows[i].name) == rows[i].valid,
		    "column name %s: %s", rows[i].what,
		    rows[i].valid ? "valid" : "invalid");
	ok(!ops_tsv_is_colname(NULL), "NULL is not a column name");
}

static void
test_basic_read(void)
{
	const char *p = puts_file("basic.tsv",
	    "ts\tname\tmsg\n"
	    "t1\tn1\thello\\tworld\n"
	    "t2\tn2\t\n");
	const char *want[] = {"msg", "ts"}, *missing[] = {"ts", "nope"};
	struct ops_tsv_reader r;
	struct ops_err err;
	int idx[2];

	ops_err_clear(&err);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	is_int((long long)r.ncols, 3, "header has 3 columns");
	ok(strcmp(r.cols[0], "ts") == 0 && strcmp(r.cols[2], "msg") == 0,
	    "column names");
	is_int(r.line, 1, "after open, line is 1");
	is_int(ops_tsv_col(&r, "msg"), 2, "ops_tsv_col finds msg");
	is_int(ops_tsv_col(&r, "nope"), -1, "ops_tsv_col: unknown is -1");
	ok(ops_tsv_columns(&r, want, idx, 2, &err) == 0 && idx[0] == 2 &&
	        idx[1] == 0,
	    "ops_tsv_columns");
	ok(ops_tsv_columns(&r, missing, idx, 2, &err) == -1 && err.code == 2 &&
	        err.line == 1 && strcmp(err.file, p) == 0,
	    "ops_tsv_columns: missing column is code 2 at line 1");
	is_str(err.msg, "no column \"nope\"", "missing column message");
	is_int(ops_tsv_next(&r, &err), 1, "first row");
	is_int(r.line, 2, "first row is line 2");
	is_int((long long)r.nf, 3, "row has 3 fields");
	is_str(r.f[2], "hello\tworld", "field unescaped");
	is_int((long long)r.fl[2], 11, "field length after unescape");
	is_str(r.f[0], "t1", "first field");
	is_int(ops_tsv_next(&r, &err), 1, "second row");
	ok(r.f[2][0] == '\0' && r.fl[2] == 0, "empty last field");
	is_int(r.line, 3, "second row is line 3");
	is_int(ops_tsv_next(&r, &err), 0, "end of store");
	is_int(ops_tsv_next(&r, &err), 0, "still the end");
	ok(!r.torn, "not torn");
	ops_tsv_close(&r);
	ops_tsv_close(&r);
	ok(1, "close twice is safe");
}

static void
test_malformed(void)
{
	static const char data[] = "a\tb\tc\n" /* 1 */
	                           "1\t2\t3\n" /* 2 ok */
	                           "1\t2\n" /* 3 */
	                           "x\ty\tz\n" /* 4 ok */
	                           "1\tb\\x\t3\n" /* 5 */
	                           "1\t2\t3\\\n" /* 6 */
	                           "1\t2\0\t3\n" /* 7 */
	                           "1\t2\t3\t4\n" /* 8 */
	                           "\\t\t\\n\t\\\\\n" /* 9 ok */
	                           "\n" /* 10 */
	                           "p\tq\tr\r\n" /* 11 ok: CR kept as data */
	                           "1\t\\\x01\t3\n" /* 12 */
	                           "u\tv\tw"; /* 13 torn */
	static const struct {
		int rc;
		long line;
		const char *msg_or_last; /* error message, or last field */
	} want[] = {
	    {1, 2, "3"},
	    {OPS_TSV_BAD, 3, "2 fields, header has 3"},
	    {1, 4, "z"},
	    {OPS_TSV_BAD, 5, "bad escape \\x in field \"b\""},
	    {OPS_TSV_BAD, 6, "lone backslash at the end of field \"c\""},
	    {OPS_TSV_BAD, 7, "NUL byte in line"},
	    {OPS_TSV_BAD, 8, "4 fields, header has 3"},
	    {1, 9, "\\"},
	    {OPS_TSV_BAD, 10, "1 field, header has 3"},
	    {1, 11, "r\r"},
	    {OPS_TSV_BAD, 12, "bad escape: \\ then byte 0x01 in field \"b\""},
	    {0, 11, NULL},
	};
	const char *p = put_bytes("bad.tsv", data, sizeof(data) - 1);
	struct ops_tsv_reader r;
	struct ops_err err;
	size_t i;
	int rc;

	ops_err_clear(&err);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	for (i = 0; i < OPS_ARRAY_SIZE(want); i++) {
		ops_err_clear(&err);
		rc = ops_tsv_next(&r, &err);
		if (want[i].rc == OPS_TSV_BAD) {
			ok(rc == OPS_TSV_BAD && err.code == 2 &&
			        err.line == want[i].line &&
			        r.line == want[i].line &&
			        strcmp(err.file, p) == 0,
			    "line %ld reported malformed (rc %d, err.line %ld)",
			    want[i].line, rc, err.line);
			is_str(err.msg, want[i].msg_or_last, "line %ld message",
			    want[i].line);
		} else if (want[i].rc == 1) {
			ok(rc == 1 && r.line == want[i].line && r.nf == 3 &&
			        err.code == 0,
			    "line %ld read (rc %d)", want[i].line, rc);
			is_str(rc == 1 ? r.f[2] : "", want[i].msg_or_last,
			    "line %ld last field", want[i].line);
		} else {
			is_int(rc, 0, "end after the torn line");
		}
	}
	ok(r.torn, "torn last line ignored and r.torn set");
	ops_tsv_close(&r);
	/* line 9 fields, checked on their own */
	p = puts_file("esc.tsv", "a\tb\tc\n\\t\t\\n\t\\\\\n");
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	ok(ops_tsv_next(&r, &err) == 1 && strcmp(r.f[0], "\t") == 0 &&
	        strcmp(r.f[1], "\n") == 0 && strcmp(r.f[2], "\\") == 0 &&
	        r.fl[0] == 1 && r.fl[1] == 1 && r.fl[2] == 1,
	    "escaped TAB, LF, backslash fields");
	ops_tsv_close(&r);
}

static void
test_empty_and_torn(void)
{
	const char *names[] = {"a", "b"};
	struct ops_tsv_reader r;
	struct ops_err err;
	int idx[2] = {7, 7};

	ops_err_clear(&err);
	ok(ops_tsv_open(&r, put_bytes("empty.tsv", "", 0), 0, &err) == 0 &&
	        r.ncols == 0 && !r.torn,
	    "empty file: empty store");
	ok(ops_tsv_columns(&r, names, idx, 2, &err) == 0 && idx[0] == -1 &&
	        idx[1] == -1,
	    "empty store has every column, at index -1");
	is_int(ops_tsv_next(&r, &err), 0, "empty store: no row");
	ops_tsv_close(&r);

	ok(ops_tsv_open(&r, puts_file("th.tsv", "a\tb"), 0, &err) == 0 &&
	        r.ncols == 0 && r.torn,
	    "torn header only: empty store, torn");
	is_int(ops_tsv_next(&r, &err), 0, "torn header: no row");
	ops_tsv_close(&r);

	ok(ops_tsv_open(&r, puts_file("h.tsv", "a\tb\n"), 0, &err) == 0 &&
	        r.ncols == 2 && !r.torn,
	    "header only");
	ok(ops_tsv_next(&r, &err) == 0 && !r.torn, "header only: no row");
	ops_tsv_close(&r);

	ok(ops_tsv_open(&r, puts_file("t1.tsv", "a\tb\nx\ty"), 0, &err) == 0 &&
	        ops_tsv_next(&r, &err) == 0 && r.torn,
	    "header and a torn row: no row, torn");
	ops_tsv_close(&r);

	ok(ops_tsv_open(&r, puts_file("t2.tsv", "a\tb\nx\ty\nz\t"), 0, &err) ==
	            0 &&
	        ops_tsv_next(&r, &err) == 1 && strcmp(r.f[1], "y") == 0 &&
	        ops_tsv_next(&r, &err) == 0 && r.torn,
	    "row then a torn row with a TAB");
	ops_tsv_close(&r);

	ok(ops_tsv_open(&r, spath("nope.tsv"), OPS_TSV_MISSING_OK, &err) == 0 &&
	        r.missing && r.ncols == 0,
	    "missing file with MISSING_OK");
	is_int(ops_tsv_next(&r, &err), 0, "missing file: no row");
	ops_tsv_close(&r);

	ops_err_clear(&err);
	ok(ops_tsv_open(&r, spath("nope.tsv"), 0, &err) == -1 &&
	        err.code == 3 && err.line == 0 &&
	        strcmp(err.file, spath("nope.tsv")) == 0 &&
	        strstr(err.msg, "cannot open: ") == err.msg,
	    "missing file without MISSING_OK: code 3 (%s)", err.msg);
	ops_err_clear(&err);
	ok(ops_tsv_open(&r, scratch, 0, &err) == -1 && err.code == 3,
	    "a directory: code 3 (%s)", err.msg);
}

static void
test_header_errors(void)
{
	static const struct {
		const char *data;
		size_t len;
		const char *msg;
	} rows[] = {
	    {"ts\tName\n", 8,
	        "bad column name \"Name\" (names are [a-z0-9_]+)"},
	    {"ts\tname\r\n", 9,
	        "bad column name \"name\\r\" (names are [a-z0-9_]+)"},
	    {"a\tb\ta\n", 6, "duplicate column \"a\""},
	    {"a\t\tb\n", 5, "column 2 has an empty name"},
	    {"\n", 1, "column 1 has an empty name"},
	    {"a\0b\tc\n", 6,
	        "bad column name \"a\\x00b\" (names are [a-z0-9_]+)"},
	    {"a b\n", 4, "bad column name \"a b\" (names are [a-z0-9_]+)"},
	    {"a\\tb\n", 5,
	        "bad column name \"a\\\\tb\" (names are [a-z0-9_]+)"},
	};
	struct ops_tsv_reader r;
	struct ops_err err;
	struct ops_buf b;
	const char *p;
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		p = put_bytes("hdr.tsv", rows[i].data, rows[i].len);
		ops_err_clear(&err);
		ok(ops_tsv_open(&r, p, 0, &err) == -1 && err.code == 2 &&
		        err.line == 1 && strcmp(err.file, p) == 0,
		    "header error #%zu: code 2 at line 1", i);
		is_str(err.msg, rows[i].msg, "header error #%zu message", i);
	}

	ops_buf_init(&b, 0);
	for (i = 0; i < OPS_TSV_MAX_COLS; i++) {
		if (ops_buf_printf(&b, "%sc%zu", i ? "\t" : "", i) < 0)
			bail_out("buf");
	}
	if (ops_buf_adds(&b, "\n") < 0)
		bail_out("buf");
	p = put_bytes("cols64.tsv", b.data, b.len);
	ok(ops_tsv_open(&r, p, 0, &err) == 0 && r.ncols == OPS_TSV_MAX_COLS,
	    "%d columns are allowed", OPS_TSV_MAX_COLS);
	ops_tsv_close(&r);
	b.len--;
	if (ops_buf_adds(&b, "\textra\n") < 0)
		bail_out("buf");
	p = put_bytes("cols65.tsv", b.data, b.len);
	ops_err_clear(&err);
	ok(ops_tsv_open(&r, p, 0, &err) == -1 && err.code == 2 && err.line == 1,
	    "%d columns are not", OPS_TSV_MAX_COLS + 1);
	is_str(err.msg, "header has more than 64 columns", "too many columns");
	ops_buf_release(&b);
}

static void
test_long_lines(void)
{
	struct ops_tsv_reader r;
	struct ops_err err;
	struct ops_buf b;
	const char *p;
	size_t big = 3 * 1024 * 1024, near = OPS_TSV_MAX_LINE - 2;
	char *s;

	ops_buf_init(&b, 0);
	s = malloc(big);
	if (s == NULL)
		bail_out("malloc");
	memset(s, 'x', big);

	/* a small max_line: 100 bytes pass, 101 do not */
	if (ops_buf_adds(&b, "a\tb\n") < 0 || ops_buf_add(&b, s, 98) < 0 ||
	    ops_buf_adds(&b, "\t1\n") < 0 || ops_buf_add(&b, s, 99) < 0 ||
	    ops_buf_adds(&b, "\t2\nok\t3\n") < 0)
		bail_out("buf");
	p = put_bytes("long1.tsv", b.data, b.len);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	ops_tsv_set_max_line(&r, 100);
	ok(ops_tsv_next(&r, &err) == 1 && r.fl[0] == 98,
	    "a line of exactly max_line bytes is read");
	ops_err_clear(&err);
	ok(ops_tsv_next(&r, &err) == OPS_TSV_BAD && err.line == 3 &&
	        err.code == 2,
	    "a line of max_line + 1 bytes is malformed");
	is_str(err.msg, "line longer than 100 bytes", "long line message");
	ok(ops_tsv_next(&r, &err) == 1 && r.line == 4 &&
	        strcmp(r.f[1], "3") == 0,
	    "the next line is read");
	is_int(ops_tsv_next(&r, &err), 0, "then the end");
	ops_tsv_close(&r);

	/* default max_line; a line longer than any buffer, then good lines */
	ops_buf_reset(&b);
	if (ops_buf_adds(&b, "a\tb\n1\t2\n") < 0 ||
	    ops_buf_add(&b, s, big) < 0 || ops_buf_adds(&b, "\t\n3\t4\n") < 0 ||
	    ops_buf_add(&b, s, near - 2) < 0 || ops_buf_adds(&b, "\ty\n") < 0)
		bail_out("buf");
	p = put_bytes("long2.tsv", b.data, b.len);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	ok(ops_tsv_next(&r, &err) == 1 && r.line == 2, "line before");
	ops_err_clear(&err);
	ok(ops_tsv_next(&r, &err) == OPS_TSV_BAD && err.line == 3,
	    "a 3 MiB line is malformed at line 3");
	is_str(err.msg, "line longer than 1048576 bytes", "its message");
	ok(r.cap <= OPS_TSV_MAX_LINE + 1, "buffer stayed bounded (%zu bytes)",
	    r.cap);
	ok(ops_tsv_next(&r, &err) == 1 && r.line == 4 &&
	        strcmp(r.f[0], "3") == 0,
	    "line after the long line");
	ok(ops_tsv_next(&r, &err) == 1 && r.line == 5 && r.fl[0] == near - 2 &&
	        r.fl[1] == 1 && r.f[0][near - 3] == 'x' &&
	        strcmp(r.f[1], "y") == 0,
	    "a line of max_line - 2 bytes is read whole");
	ok(r.cap <= OPS_TSV_MAX_LINE + 1, "buffer bounded after growing");
	is_int(ops_tsv_next(&r, &err), 0, "end");
	ops_tsv_close(&r);

	/* a long line with no newline at the end is a torn line */
	ops_buf_reset(&b);
	if (ops_buf_adds(&b, "a\n1\n") < 0 || ops_buf_add(&b, s, big) < 0)
		bail_out("buf");
	p = put_bytes("long3.tsv", b.data, b.len);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	ok(ops_tsv_next(&r, &err) == 1 && ops_tsv_next(&r, &err) == 0 && r.torn,
	    "a torn long last line is torn, not malformed");
	ops_tsv_close(&r);

	/* a header longer than max_line */
	p = put_bytes("long4.tsv", s, OPS_TSV_MAX_LINE + 10);
	ops_err_clear(&err);
	ok(ops_tsv_open(&r, p, 0, &err) == 0 && r.ncols == 0 && r.torn,
	    "a torn long header: empty store");
	ops_tsv_close(&r);
	memcpy(s + OPS_TSV_MAX_LINE + 5, "\n", 1);
	p = put_bytes("long5.tsv", s, OPS_TSV_MAX_LINE + 10);
	ok(ops_tsv_open(&r, p, 0, &err) == -1 && err.code == 2 && err.line == 1,
	    "a header longer than max_line: code 2 at line 1");
	is_str(err.msg, "line longer than 1048576 bytes", "its message");
	free(s);
	ops_buf_release(&b);
}

#define NCOLS 4

/* A store of n random rows; fields[i][k] kept to compare. */
static void
make_rows(struct ops_buf *out, char (*fields)[NCOLS][200],
    size_t (*lens)[NCOLS], size_t n)
{
	const char *row[NCOLS];
	size_t i, k;

	if (ops_buf_adds(out, "c0\tc1\tc2\tc3\n") < 0)
		bail_out("buf");
	for (i = 0; i < n; i++) {
		for (k = 0; k < NCOLS; k++) {
			lens[i][k] = random_field(fields[i][k], 198, false);
			fields[i][k][lens[i][k]] = '\0';
			row[k] = fields[i][k];
		}
		if (ops_tsv_row(out, row, NCOLS) < 0)
			bail_out("row");
	}
}

static int
check_rows(struct ops_tsv_reader *r, char (*fields)[NCOLS][200],
    size_t (*lens)[NCOLS], size_t n)
{
	struct ops_err err;
	size_t i, k;
	int rc, bad = 0;

	for (i = 0; i < n; i++) {
		rc = ops_tsv_next(r, &err);
		if (rc != 1) {
			diag("row %zu: rc %d (%s)", i, rc, err.msg);
			return 1;
		}
		for (k = 0; k < NCOLS; k++) {
			if (r->fl[k] != lens[i][k] ||
			    memcmp(r->f[k], fields[i][k], lens[i][k] + 1) !=
			        0) {
				if (bad++ == 0)
					diag("row %zu field %zu differs", i, k);
			}
		}
	}
	if (ops_tsv_next(r, &err) != 0)
		bad++;
	return bad;
}

static void
test_random_store(void)
{
	size_t n = 6000;
	char(*fields)[NCOLS][200];
	size_t(*lens)[NCOLS];
	struct ops_tsv_reader r;
	struct ops_err err;
	const char *p;
	int fds[2], status;
	size_t off, piece;
	pid_t pid;

	/* globals, so that valgrind sees them reachable in the child */
	fields = rows_fields = calloc(n, sizeof(*fields));
	lens = rows_lens = calloc(n, sizeof(*lens));
	if (fields == NULL || lens == NULL)
		bail_out("calloc");
	ops_buf_init(&rows_buf, 0);
	make_rows(&rows_buf, fields, lens, n);
	ok(rows_buf.len > 3 * 256 * 1024,
	    "random store spans several reads (%zu bytes)", rows_buf.len);
	p = put_bytes("random.tsv", rows_buf.data, rows_buf.len);
	if (ops_tsv_open(&r, p, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	is_int(check_rows(&r, fields, lens, n), 0,
	    "%zu random rows written by ops_tsv_row read back equal", n);
	ops_tsv_close(&r);

	/* the same through a pipe, written in small random pieces */
	if (pipe2(fds, O_CLOEXEC) < 0)
		bail_out("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		for (off = 0; off < rows_buf.len; off += piece) {
			piece = 1 + rnd() % 3000;
			if (piece > rows_buf.len - off)
				piece = rows_buf.len - off;
			if (ops_write_all(fds[1], rows_buf.data + off, piece) <
			    0)
				_exit(1);
			if (rnd() % 50 == 0)
				usleep(200);
		}
		_exit(0);
	}
	close(fds[1]);
	if (ops_tsv_fdopen(&r, fds[0], "pipe", &err) < 0)
		bail_out("fdopen: %s", err.msg);
	ok(r.ncols == NCOLS && strcmp(r.path, "pipe") == 0,
	    "fdopen reads the header and names the input");
	is_int(check_rows(&r, fields, lens, n), 0,
	    "the same rows read from a pipe in short reads");
	ops_tsv_close(&r);
	ok(fcntl(fds[0], F_GETFD) != -1,
	    "ops_tsv_close leaves an fdopen fd open");
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer child");
	ops_buf_release(&rows_buf);
	free(rows_fields);
	free(rows_lens);
	rows_fields = rows_lens = NULL;
}

/* offset counts whole lines only; seek goes on from a known line. */
static void
test_offset_seek(void)
{
	static const char data[] = "a\tb\n1\t2\n33\t44\n555\t666\n7\t";
	struct ops_tsv_reader r;
	struct ops_err err;
	const char *p = puts_file("seek.tsv", data);
	uint64_t after2;

	ok(ops_tsv_open(&r, p, 0, &err) == 0, "open for seek");
	is_int((long long)r.offset, 4, "offset after the header");
	ok(ops_tsv_next(&r, &err) == 1, "row 1");
	is_int((long long)r.offset, 8, "offset after row 1");
	ok(ops_tsv_next(&r, &err) == 1, "row 2");
	after2 = r.offset;
	is_int((long long)after2, 14, "offset after row 2");
	ok(ops_tsv_next(&r, &err) == 1 && ops_tsv_next(&r, &err) == 0,
	    "row 3, then the end");
	is_int((long long)r.offset, 22, "a torn last line is not counted");
	ok(ops_tsv_seek(&r, after2, 3, &err) == 0, "seek back to row 3");
	ok(ops_tsv_next(&r, &err) == 1, "read after the seek");
	is_str(r.f[0], "555", "the row after the seek");
	is_int(r.line, 4, "line numbers go on from the seek");
	ok(ops_tsv_next(&r, &err) == 0 && r.torn, "torn line still ignored");
	ops_tsv_close(&r);
	ok(ops_tsv_open(&r, puts_file("empty-seek.tsv", ""), 0, &err) == 0 &&
		ops_tsv_seek(&r, 0, 1, &err) < 0,
	    "an empty store cannot seek");
	ops_tsv_close(&r);
}

int
main(void)
{
	scratch_make("t-tsv");
	rnd_seed(0x9e3779b97f4a7c15ULL);
	test_escape_table();
	test_unescape_table();
	test_roundtrip();
	test_row_writer();
	test_colname();
	test_basic_read();
	test_malformed();
	test_empty_and_torn();
	test_header_errors();
	test_long_lines();
	test_random_store();
	test_offset_seek();
	scratch_remove();
	return done_testing();
}
