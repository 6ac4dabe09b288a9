/*
 * t-lrconf.c - unit tests for cmd/opslog-rotate/conf.c: logrotate's
 * configuration language as logrotate 3.21 reads it
 * SPDX-License-Identifier: MIT
 *
 * The expected values were checked against the real logrotate 3.21 with
 * `logrotate -d` where it prints them (size, periods, rotate, include
 * order, taboo list); see the header comment of conf.c.
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "exitcode.h"
#include "scratch.h"
#include "tap.h"

#include "../cmd/opslog-rotate/lr.h"

static struct lr_config C;
static struct ops_err E;

/* Parse text into C (fresh); returns the parse result. */
static int
parse(const char *text)
{
	lr_config_release(&C);
	lr_config_init(&C);
	ops_err_clear(&E);
	return lr_config_parse(&C, "t.conf", text, strlen(text), &E);
}

/* "FILE:LINE: msg [code]" of the last error */
static const char *
errstr(void)
{
	static char s[2200];

	snprintf(s, sizeof(s), "%s:%ld: %s [%d]", E.file, E.line, E.msg,
	    E.code);
	return s;
}

static const struct {
	const char *desc, *text, *want;
} errors[] = {
    {"unknown directive", "/a {\n  frobnicate 3\n}\n",
        "t.conf:2: unknown directive \"frobnicate\" [2]"},
    {"unsupported: mail", "\n/a {\nmail root@x\n}\n",
        "t.conf:3: directive \"mail\" is not supported by opslog-rotate [2]"},
    {"unsupported: shred", "shred\n",
        "t.conf:1: directive \"shred\" is not supported by opslog-rotate [2]"},
    {"unsupported: renamecopy", "/a {\nrenamecopy\n}\n",
        "t.conf:2: directive \"renamecopy\" is not supported by "
        "opslog-rotate [2]"},
    {"directive names are case-sensitive", "Rotate 3\n",
        "t.conf:1: unknown directive \"Rotate\" [2]"},
    {"bad rotate", "/a {\nrotate 5x\n}\n",
        "t.conf:2: bad number \"5x\" for rotate (want 0 to 2147483647, or "
        "-1) [2]"},
    {"rotate -2", "rotate -2\n",
        "t.conf:1: bad number \"-2\" for rotate (want 0 to 2147483647, or "
        "-1) [2]"},
    {"rotate too large", "rotate 2147483648\n",
        "t.conf:1: bad number \"2147483648\" for rotate (want 0 to "
        "2147483647, or -1) [2]"},
    {"trailing comment after a value", "rotate 3 # three\n",
        "t.conf:1: bad number \"3 # three\" for rotate (want 0 to "
        "2147483647, or -1) [2]"},
    {"rotate without a value", "rotate\n",
        "t.conf:1: argument expected after rotate [2]"},
    {"octal 08 is bad", "maxage 08\n",
        "t.conf:1: bad number \"08\" for maxage (want 0 to 2147483647) [2]"},
    {"start -1", "start -1\n",
        "t.conf:1: bad number \"-1\" for start (want 0 to 2147483647) [2]"},
    {"size 1m", "size 1m\n",
        "t.conf:1: unknown unit 'm' in size \"1m\" (use k, M or G) [2]"},
    {"size 1MB", "maxsize 1MB\n",
        "t.conf:1: unknown unit 'B' in maxsize \"1MB\" (use k, M or G) [2]"},
    {"size 1.5M", "minsize 1.5M\n",
        "t.conf:1: bad size \"1.5M\" for minsize [2]"},
    {"size -1", "size -1\n", "t.conf:1: bad size \"-1\" for size [2]"},
    {"size overflow", "size 17179869184G\n",
        "t.conf:1: bad size \"17179869184G\" for size [2]"},
    {"size 2^63", "size 9223372036854775808\n",
        "t.conf:1: bad size \"9223372036854775808\" for size [2]"},
    {"weekly 8", "weekly 8\n",
        "t.conf:1: bad weekly day \"8\" (want 0 to 6 for Sunday to "
        "Saturday, or 7) [2]"},
    {"daily takes no value", "daily 3\n",
        "t.conf:1: lines must begin with a directive or an absolute "
        "pattern, not \"3\" [2]"},
    {"word after a flag is a directive", "compress yes\n",
        "t.conf:1: unknown directive \"yes\" [2]"},
    {"keep bad", "keep 10w\n",
        "t.conf:1: bad keep \"10w\" (want days from 0 to 36500: 400 or "
        "400d) [2]"},
    {"keep too large", "keep 36501d\n",
        "t.conf:1: bad keep \"36501d\" (want days from 0 to 36500: 400 or "
        "400d) [2]"},
    {"create mode too large", "create 17777\n",
        "t.conf:1: bad mode \"17777\" for create (want octal, at most "
        "07777) [2]"},
    {"create extra", "/a {\ncreate 0644 root adm x\n}\n",
        "t.conf:2: extra arguments for create (want [mode [owner "
        "[group]]]) [2]"},
    {"create 999 is an owner, then extra", "create 999 root root\n",
        "t.conf:1: extra arguments for create (want [mode [owner "
        "[group]]]) [2]"},
    {"su without group", "su root\n",
        "t.conf:1: no group for su (write su USER GROUP) [2]"},
    {"su extra", "su a b c\n",
        "t.conf:1: extra arguments for su (write su USER GROUP) [2]"},
    {"olddir with a blank", "olddir /var/old logs\n",
        "t.conf:1: bad olddir path \"/var/old logs\" (no blanks or control "
        "characters) [2]"},
    {"not separated", "rotate5\n",
        "t.conf:1: \"rotate5\": a directive must be followed by a blank or "
        "'=', and a pattern must start with /, ~ or a quote [2]"},
    {"relative pattern", "a.log {\n}\n",
        "t.conf:1: \"a.log {\": a directive must be followed by a blank or "
        "'=', and a pattern must start with /, ~ or a quote [2]"},
    {"glob pattern not absolute", "*.log {\n}\n",
        "t.conf:1: lines must begin with a directive or an absolute "
        "pattern, not \"*\" [2]"},
    {"nested block", "/a {\nrotate 1\n/b {\n}\n}\n",
        "t.conf:3: a pattern inside a block (blocks do not nest; close the "
        "block with '}' first) [2]"},
    {"} without block", "rotate 1\n}\n", "t.conf:2: '}' without a block [2]"},
    {"text after }", "/a {\n} rotate 4\n",
        "t.conf:2: unexpected text after '}' [2]"},
    {"}}", "/a {\n}}\n", "t.conf:2: unexpected text after '}' [2]"},
    {"value eats }", "/a {\nrotate 3 }\n",
        "t.conf:2: bad number \"3 }\" for rotate (want 0 to 2147483647, or "
        "-1) [2]"},
    {"EOF in block", "# c\n/a /b {\nrotate 3\n",
        "t.conf:2: block without '}' before the end of the file [2]"},
    {"EOF in script", "/a {\nrotate 3\npostrotate\necho\n",
        "t.conf:3: script without endscript before the end of the file [2]"},
    {"block without patterns", "{\nrotate 3\n}\n",
        "t.conf:1: a block with no patterns [2]"},
    {"empty quoted pattern only", "\"\" {\n}\n",
        "t.conf:1: a block with no patterns [2]"},
    {"missing {", "/a /b\n", "t.conf:1: missing '{' after patterns [2]"},
    {"} before {", "/a\n}\n", "t.conf:1: missing '{' after patterns [2]"},
    {"unterminated quote", "\"/a {\n}\n",
        "t.conf:1: unterminated quote or backslash in patterns [2]"},
    {"include in a block", "/a {\ninclude /etc/x\n}\n",
        "t.conf:2: include may not appear inside a block (put it at the "
        "top level) [2]"},
    {"include in parsed text", "include /etc/logrotate.d\n",
        "t.conf:1: include is not allowed here [2]"},
    {"tabooext in a block", "/a {\ntabooext .x\n}\n",
        "t.conf:2: tabooext may not appear inside a block [2]"},
    {"endscript alone", "/a {\nendscript\n}\n",
        "t.conf:2: endscript without prerotate, postrotate, firstaction or "
        "lastaction [2]"},
    {"error line after multi-line patterns", "/a\n/b\n{\nfoo\n}\n",
        "t.conf:4: unknown directive \"foo\" [2]"},
};

static void
test_errors(void)
{
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(errors); i++) {
		int rc = parse(errors[i].text);

		if (!ok(rc < 0, "error: %s", errors[i].desc))
			continue;
		is_str(errstr(), errors[i].want, "message: %s",
		    errors[i].desc);
	}
	/* the NUL case: strlen would stop early, so give the length */
	lr_config_release(&C);
	lr_config_init(&C);
	ok(lr_config_parse(&C, "t.conf", "rotate 1\nrot\0ate 2\n", 19, &E) < 0 &&
	        E.line == 2,
	    "NUL byte in the middle is an error at its line");
	ok(C.n == 0, "a failed block is not added");
}

static void
test_defaults(void)
{
	const struct lr_opts *o;

	ok(parse("/var/log/a.log {\n}\n") == 0, "empty block parses");
	is_int((long long)C.n, 1, "one entry");
	o = &C.e[0].o;
	is_int(o->period, LR_NONE, "default period none");
	ok(o->size_set && o->size == 1048576,
	    "default: rotate at 1 MiB (logrotate's default criterion)");
	ok(!o->minsize_set && !o->maxsize_set, "no minsize/maxsize");
	is_int(o->rotate, 0, "rotate 0");
	is_int(o->maxage, 0, "maxage unset");
	is_int(o->keep, 0, "keep unset");
	is_int(o->start, 1, "start 1");
	ok(!o->missingok && o->ifempty, "nomissingok, ifempty");
	ok(!o->compress && !o->delaycompress, "no compression");
	is_str(o->compresscmd, "gzip", "compresscmd gzip");
	ok(!o->compressext && !o->compressoptions, "compressext/options unset");
	ok(!o->copytruncate && !o->copy && !o->create, "rename, no create");
	ok(!o->dateext && !o->dateyesterday, "no dateext");
	is_str(o->dateformat, "-%Y%m%d", "dateformat default in an entry");
	ok(!o->extension && !o->olddir && !o->createolddir, "no olddir");
	ok(!o->sharedscripts && !o->prerotate && !o->postrotate &&
	        !o->firstaction && !o->lastaction,
	    "no scripts");
	ok(!o->su_user && !o->su_group, "no su");
	is_int((long long)o->ntaboo, 19, "19 taboo extensions by default");
	is_str(o->tabooext[0], ",v", "first taboo ,v");
	is_str(o->tabooext[18], "~", "last taboo ~");
	is_str(C.e[0].file, "t.conf", "entry file");
	is_int(C.e[0].line, 1, "entry line");
	ok(parse("/a {\nhourly\n}\n") == 0 &&
	        strcmp(C.e[0].o.dateformat, "-%Y%m%d%H") == 0,
	    "hourly's default dateformat");
	ok(parse("dateformat -%s\n/a {\nhourly\n}\n") == 0 &&
	        strcmp(C.e[0].o.dateformat, "-%s") == 0,
	    "an explicit dateformat stays with hourly");
	ok(C.global.dateformat && strcmp(C.global.dateformat, "-%s") == 0,
	    "global keeps dateformat");
}

static void
test_directives(void)
{
	const struct lr_opts *o;

	ok(parse("/a {\n"
		 "  weekly 3\n  rotate 010\n  maxage 0x10\n  start 0\n"
		 "  keep 400d\n  missingok\n  notifempty\n  compress\n"
		 "  delaycompress\n  compresscmd /usr/bin/xz\n"
		 "  compressext .xz\n  compressoptions -9 --threads 0\n"
		 "  copytruncate\n  copy\n  create 0640 www-data adm\n"
		 "  dateext\n  dateformat -%Y-%m-%d-%s\n  dateyesterday\n"
		 "  extension .log\n  olddir /var/log/old\n"
		 "  createolddir 750 root adm\n  sharedscripts\n"
		 "  su www-data adm\n  minsize 1M\n  maxsize 1G\n"
		 "}\n") == 0,
	    "every directive with a value parses");
	if (C.n != 1)
		bail_out("no entry: %s", errstr());
	o = &C.e[0].o;
	is_int(o->period, LR_WEEKLY, "weekly");
	is_int(o->weekday, 3, "weekly 3");
	is_int(o->rotate, 8, "rotate 010 is octal 8 (strtoul base 0)");
	is_int(o->maxage, 16, "maxage 0x10 is 16");
	is_int(o->start, 0, "start 0");
	is_int(o->keep, 400, "keep 400d");
	ok(o->missingok && !o->ifempty, "missingok notifempty");
	ok(o->compress && o->delaycompress, "compress delaycompress");
	is_str(o->compresscmd, "/usr/bin/xz", "compresscmd");
	is_str(o->compressext, ".xz", "compressext");
	is_str(o->compressoptions, "-9 --threads 0", "compressoptions");
	ok(o->copytruncate && o->copy, "copytruncate copy");
	ok(o->create && o->create_mode_set && o->create_mode == 0640,
	    "create 0640");
	is_str(o->create_owner, "www-data", "create owner");
	is_str(o->create_group, "adm", "create group");
	ok(o->dateext && o->dateyesterday, "dateext dateyesterday");
	is_str(o->dateformat, "-%Y-%m-%d-%s", "dateformat");
	is_str(o->extension, ".log", "extension");
	is_str(o->olddir, "/var/log/old", "olddir");
	ok(o->createolddir && o->createolddir_mode_set &&
	        o->createolddir_mode == 0750,
	    "createolddir 750");
	is_str(o->createolddir_owner, "root", "createolddir owner");
	is_str(o->createolddir_group, "adm", "createolddir group");
	ok(o->sharedscripts, "sharedscripts");
	is_str(o->su_user, "www-data", "su user");
	is_str(o->su_group, "adm", "su group");
	ok(o->minsize_set && o->minsize == 1048576, "minsize 1M");
	ok(o->maxsize_set && o->maxsize == 1073741824ULL, "maxsize 1G");
	ok(!o->size_set && o->period == LR_WEEKLY,
	    "minsize/maxsize leave the period");

	ok(parse("missingok\nnotifempty\ncompress\ndelaycompress\ncopy\n"
		 "copytruncate\ncreate\ndateext\nsharedscripts\n"
		 "olddir /o\ncreateolddir\n/a {\nnomissingok\nifempty\n"
		 "nocompress\nnodelaycompress\nnocopy\nnocopytruncate\n"
		 "nocreate\nnodateext\nnosharedscripts\nnoolddir\n"
		 "nocreateolddir\n}\n") == 0,
	    "every no- directive parses");
	o = &C.e[0].o;
	ok(!o->missingok && o->ifempty && !o->compress && !o->delaycompress &&
	        !o->copy && !o->copytruncate && !o->create && !o->dateext &&
	        !o->sharedscripts && !o->olddir && !o->createolddir,
	    "no- directives undo the globals");
	o = &C.global;
	ok(o->missingok && !o->ifempty && o->compress && o->delaycompress &&
	        o->copy && o->copytruncate && o->create && o->dateext &&
	        o->sharedscripts && o->olddir && o->createolddir,
	    "the globals are untouched by the block");

	/* sizes as logrotate reads them */
	ok(parse("size 100k\n") == 0 && C.global.size == 102400, "100k");
	ok(parse("size 100K\n") == 0 && C.global.size == 102400, "100K");
	ok(parse("size=5k\n") == 0 && C.global.size == 5120, "size=5k");
	ok(parse("size = 0x10\n") == 0 && C.global.size == 16, "0x10");
	ok(parse("size 010\n") == 0 && C.global.size == 8, "010 is octal");
	ok(parse("size +5\n") == 0 && C.global.size == 5, "+5");
	ok(parse("size 9223372036854775807\n") == 0 &&
	        C.global.size == 9223372036854775807ULL,
	    "2^63-1 fits");
	ok(parse("size 8G\n") == 0 && C.global.size == 8589934592ULL, "8G");
	/* size and the periods: the last one wins */
	ok(parse("size 1k\ndaily\n") == 0 && C.global.period == LR_DAILY &&
	        !C.global.size_set,
	    "daily after size clears size");
	ok(parse("daily\nsize 1k\n") == 0 && C.global.period == LR_NONE &&
	        C.global.size_set && C.global.size == 1024,
	    "size after daily clears the period");
	ok(parse("size 100k\n/a {\ndaily\n}\n/b {\n}\ndaily\n/c {\nsize 1M\n}"
		 "\n") == 0 &&
	        C.n == 3 && C.e[0].o.period == LR_DAILY &&
	        C.e[1].o.period == LR_NONE && C.e[1].o.size == 102400 &&
	        C.e[2].o.period == LR_NONE && C.e[2].o.size == 1048576,
	    "logrotate -d's example: daily / 102400 bytes / 1048576 bytes");
	ok(parse("hourly\n") == 0 && C.global.period == LR_HOURLY, "hourly");
	ok(parse("monthly\n") == 0 && C.global.period == LR_MONTHLY, "monthly");
	ok(parse("yearly\n") == 0 && C.global.period == LR_YEARLY, "yearly");
	ok(parse("weekly\n") == 0 && C.global.period == LR_WEEKLY &&
	        C.global.weekday == 0,
	    "weekly alone is Sunday");
	ok(parse("weekly 7\n") == 0 && C.global.weekday == 7, "weekly 7");
	ok(parse("rotate -1\n") == 0 && C.global.rotate == -1, "rotate -1");
	ok(parse("keep 30\n") == 0 && C.global.keep == 30, "keep 30");
	/* create forms */
	ok(parse("create\n") == 0 && C.global.create &&
	        !C.global.create_mode_set && !C.global.create_owner,
	    "create alone");
	ok(parse("create 644\n") == 0 && C.global.create_mode == 0644 &&
	        !C.global.create_owner,
	    "create 644 is octal");
	ok(parse("create root adm\n") == 0 && !C.global.create_mode_set &&
	        strcmp(C.global.create_owner, "root") == 0 &&
	        strcmp(C.global.create_group, "adm") == 0,
	    "create owner group");
	ok(parse("create 0600 root adm\n/a {\ncreate 0644\n}\n") == 0 &&
	        C.e[0].o.create_mode == 0644 &&
	        strcmp(C.e[0].o.create_owner, "root") == 0,
	    "create changes only what it is given");
	/* tabooext */
	ok(parse("tabooext .foo, .bar\n") == 0 && C.global.ntaboo == 2 &&
	        strcmp(C.global.tabooext[1], ".bar") == 0,
	    "tabooext replaces");
	ok(parse("tabooext + .foo,.bar .baz\n") == 0 &&
	        C.global.ntaboo == 22 &&
	        strcmp(C.global.tabooext[21], ".baz") == 0,
	    "tabooext + adds");
	ok(parse("tabooext +.foo\n") == 0 && C.global.ntaboo == 20,
	    "tabooext +.foo adds");
	/* several directives on a line, and after '{' */
	ok(parse("/a { rotate 3\ncompress missingok notifempty # c\n}\n") ==
	            0 &&
	        C.e[0].o.rotate == 3 && C.e[0].o.compress &&
	        C.e[0].o.missingok && !C.e[0].o.ifempty,
	    "directives after '{' and after flags; comment after a flag");
	ok(parse("/a { # c\n}  \n") == 0 && C.n == 1, "comment after '{'");
	ok(parse("/a {}\n") == 0 && C.n == 1, "{} on one line");
	ok(parse("  \t# indented comment\n\n/a {\n\t  # x\n}\n") == 0 &&
	        C.n == 1,
	    "comments and blank lines");
	ok(parse("/a {\n}") == 0 && C.n == 1, "no newline at the end");
	ok(parse("") == 0 && C.n == 0, "empty text");
}

static void
test_blocks(void)
{
	ok(parse("rotate 4\n/a {\nrotate 7\n}\ncompress\n/b {\n}\n") == 0,
	    "globals and blocks");
	is_int((long long)C.n, 2, "two entries");
	is_int(C.e[0].o.rotate, 7, "block overrides the global");
	ok(!C.e[0].o.compress, "a later global does not reach earlier blocks");
	is_int(C.e[1].o.rotate, 4, "global rotate copied");
	ok(C.e[1].o.compress, "later global reaches later blocks");
	is_int(C.global.rotate, 4, "block does not change the global");
	is_int(C.e[1].line, 6, "line of the second block");

	ok(parse("# x\n/var/log/a.log \"/var/log/c d.log\" '/var/log/e'\n"
		 "  /var/log/b\\ x /v/a\\.b \"/q\\\"q\\.z\"\n"
		 "{\nrotate 2\n}\n") == 0,
	    "patterns over lines, quoted");
	if (C.n == 1 && C.e[0].npat == 6) {
		is_str(C.e[0].patterns[0], "/var/log/a.log", "pattern 1");
		is_str(C.e[0].patterns[1], "/var/log/c d.log", "\"\" quotes");
		is_str(C.e[0].patterns[2], "/var/log/e", "'' quotes");
		is_str(C.e[0].patterns[3], "/var/log/b x", "backslash blank");
		is_str(C.e[0].patterns[4], "/v/a.b",
		    "backslash outside quotes");
		is_str(C.e[0].patterns[5], "/q\"q\\.z",
		    "backslash in quotes only escapes the quote");
		is_int(C.e[0].line, 2, "entry line is the first pattern's");
		is_int(C.e[0].o.rotate, 2, "directive after '{' on its own line");
	} else {
		ok(0, "six patterns (got %zu, %s)", C.n ? C.e[0].npat : 0,
		    errstr());
	}
	ok(parse("~/log/*.log {\n}\n") == 0 &&
	        strcmp(C.e[0].patterns[0], "~/log/*.log") == 0,
	    "~ pattern kept as written");
	ok(parse("/a {\n}\n/b {\n}\n/c /d {\n}\n") == 0 && C.n == 3 &&
	        C.e[2].npat == 2,
	    "three blocks");
}

static void
test_scripts(void)
{
	const struct lr_opts *o;

	ok(parse("/var/log/nginx/*.log {\n"
		 "\tsharedscripts\n"
		 "\tprerotate\n"
		 "\t\tif [ -d /x ]; then \\\n"
		 "\t\t\trun-parts /x; \\\n"
		 "\t\tfi \\\n"
		 "\tendscript\n"
		 "\tpostrotate\n"
		 "\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n"
		 "  # not a comment to us: part of the script\n"
		 "\n"
		 "   endscript   \n"
		 "firstaction\r\necho first\r\nendscript\r\n"
		 "lastaction echo on the line\n"
		 "echo last\n"
		 "endscript rotate 9\n"
		 "}\n") == 0,
	    "scripts parse");
	if (C.n != 1)
		bail_out("scripts: %s", errstr());
	o = &C.e[0].o;
	is_str(o->prerotate,
	    "\t\tif [ -d /x ]; then \\\n\t\t\trun-parts /x; \\\n\t\tfi \\\n",
	    "prerotate verbatim");
	is_str(o->postrotate,
	    "\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n"
	    "  # not a comment to us: part of the script\n\n",
	    "postrotate verbatim with comment and blank line");
	is_str(o->firstaction, "echo first\r\n", "CRLF script kept verbatim");
	is_str(o->lastaction, "echo on the line\necho last\n",
	    "text after the keyword is the first line (as logrotate)");
	is_int(o->rotate, 9, "directives after endscript");
	is_int(o->prerotate_line, 3, "prerotate line");
	is_int(o->postrotate_line, 8, "postrotate line");
	is_int(o->firstaction_line, 13, "firstaction line");
	is_int(o->lastaction_line, 16, "lastaction line");

	ok(parse("prerotate\necho g\nendscript\n/a {\n}\n/b {\npostrotate\n"
		 "endscript\n}\n") == 0 &&
	        C.n == 2 && strcmp(C.e[0].o.prerotate, "echo g\n") == 0 &&
	        strcmp(C.e[1].o.prerotate, "echo g\n") == 0 &&
	        strcmp(C.e[1].o.postrotate, "") == 0,
	    "a global script is inherited (as logrotate runs it); empty "
	    "script");
	ok(parse("/a {\npostrotate\n  { not a block }\n  endscriptx\n"
		 "endscript\n}\n") == 0 &&
	        strcmp(C.e[0].o.postrotate,
		    "  { not a block }\n  endscriptx\n") == 0,
	    "braces and endscriptx inside a script");
}

static void
test_include(void)
{
	struct stat sb;
	const char *conf;

	scratch_make("t-lrconf");
	if (mkdir(spath("d"), 0755) < 0 || mkdir(spath("d/sub"), 0755) < 0)
		bail_out("mkdir: %s", strerror(errno));
	put(spath("d/2.conf"), "/b {\n}\n");
	put(spath("d/1.conf"), "rotate 9\n");
	put(spath("d/B.conf"), "/c {\n}\n");
	put(spath("d/.hidden"), "compress\n");
	put(spath("d/x.dpkg-old"), "bogus directive\n");
	put(spath("d/x~"), "bogus directive\n");
	put(spath("d/x.rhn-cfg-tmp-abc"), "bogus directive\n");
	put(spath("d/x.bak"), "bogus directive\n");
	put(spath("d/x.foo"), "/foo {\n}\n");
	put(spath("d/sub/3.conf"), "bogus directive\n");
	put(spath("inc.conf"), "missingok\n");
	conf = spath("main.conf");
	{
		char text[2048];

		snprintf(text, sizeof(text),
		    "rotate 2\n/a {\n}\ninclude %s\ninclude %s\n/z {\n}\n",
		    spath("inc.conf"), spath("d"));
		put(conf, text);
	}
	lr_config_release(&C);
	lr_config_init(&C);
	ok(lr_config_load(&C, conf, &E) == 0, "load with includes (%s)",
	    E.msg);
	is_int((long long)C.n, 5, "a, b, c, foo, z");
	if (C.n == 5) {
		is_str(C.e[0].patterns[0], "/a", "a first");
		is_int(C.e[0].o.rotate, 2, "a: rotate 2");
		ok(!C.e[0].o.missingok, "a: before the include");
		is_str(C.e[1].patterns[0], "/b", "2.conf after 1.conf");
		is_int(C.e[1].o.rotate, 9, "b: rotate 9 from 1.conf");
		ok(C.e[1].o.missingok && C.e[1].o.compress,
		    "b: globals of inc.conf and .hidden (dot files read)");
		is_str(C.e[2].patterns[0], "/c", "B.conf after 2.conf");
		is_str(C.e[3].patterns[0], "/foo", "x.foo is read");
		is_str(C.e[4].patterns[0], "/z", "z last");
		is_int(C.e[4].o.rotate, 9, "included globals stay after");
		ok(strstr(C.e[1].file, "d/2.conf") != NULL, "entry file");
		is_int(C.e[2].line, 1, "entry line in B.conf");
	}
	is_int((long long)C.nfiles, 7, "files read: main inc .hidden 1 2 B x.foo");
	lr_config_release(&C);

	/* tabooext changes what include skips */
	{
		char text[2048];

		snprintf(text, sizeof(text), "tabooext + .foo\ninclude %s\n",
		    spath("d"));
		put(conf, text);
	}
	lr_config_init(&C);
	ok(lr_config_load(&C, conf, &E) == 0 && C.n == 2,
	    "tabooext + .foo skips x.foo");
	lr_config_release(&C);

	/* the directory given directly */
	lr_config_init(&C);
	ok(lr_config_load(&C, spath("d"), &E) == 0 && C.n == 3,
	    "load of a directory");
	lr_config_release(&C);

	/* errors inside an included file name that file */
	put(spath("bad.conf"), "\n\n/x {\nfoo\n}\n");
	{
		char text[2048];

		snprintf(text, sizeof(text), "\ninclude %s\n",
		    spath("bad.conf"));
		put(conf, text);
	}
	lr_config_init(&C);
	ok(lr_config_load(&C, conf, &E) < 0 && E.line == 4 &&
	        strstr(E.file, "bad.conf") != NULL && E.code == 2,
	    "error in an included file: its FILE:LINE (%s:%ld)", E.file,
	    E.line);
	lr_config_release(&C);
	{
		char text[2048];

		snprintf(text, sizeof(text), "\n\ninclude %s\n",
		    spath("missing"));
		put(conf, text);
	}
	lr_config_init(&C);
	ok(lr_config_load(&C, conf, &E) < 0 && E.line == 3 &&
	        E.code == OPS_EXIT_FAIL && strcmp(E.file, conf) == 0,
	    "missing include: code 3 at the include line (%s)", E.msg);
	lr_config_release(&C);
	lr_config_init(&C);
	ok(lr_config_load(&C, spath("nosuch"), &E) < 0 &&
	        E.code == OPS_EXIT_FAIL,
	    "missing config: code 3");
	lr_config_release(&C);

	/* an include loop stops at the nesting limit */
	{
		char text[2048];

		snprintf(text, sizeof(text), "include %s\n", spath("loop.conf"));
		put(spath("loop.conf"), text);
	}
	lr_config_init(&C);
	ok(lr_config_load(&C, spath("loop.conf"), &E) < 0 && E.code == 2 &&
	        strstr(E.msg, "nested") != NULL,
	    "include loop: %s", E.msg);
	lr_config_release(&C);

	/* root skips group-writable files, as logrotate does */
	if (getuid() == 0) {
		put(spath("gw.conf"), "bogus directive\n");
		if (chmod(spath("gw.conf"), 0664) < 0)
			bail_out("chmod");
		lr_config_init(&C);
		ok(lr_config_load(&C, spath("gw.conf"), &E) == 0 && C.n == 0,
		    "root: a group-writable file is skipped");
		lr_config_release(&C);
	} else {
		skip(1, "not root");
	}

	/* this machine's Debian configuration */
	if (stat("/etc/logrotate.conf", &sb) == 0 && getuid() == 0) {
		size_t i;
		bool found = false;

		lr_config_init(&C);
		ok(lr_config_load(&C, "/etc/logrotate.conf", &E) == 0,
		    "/etc/logrotate.conf and logrotate.d parse (%s:%ld: %s)",
		    E.file, E.line, E.msg);
		ok(C.n > 0, "it has %zu entries", C.n);
		is_int(C.global.period, LR_WEEKLY, "global weekly");
		is_int(C.global.rotate, 4, "global rotate 4");
		ok(C.global.create, "global create");
		for (i = 0; i < C.n; i++)
			if (strcmp(C.e[i].patterns[0], "/var/log/dpkg.log") ==
			    0) {
				found = true;
				ok(C.e[i].o.period == LR_MONTHLY &&
				        C.e[i].o.rotate == 12 &&
				        C.e[i].o.compress &&
				        C.e[i].o.create_mode == 0644,
				    "dpkg: monthly, 12, compress, 0644");
			}
		if (!found)
			skip(1, "no dpkg entry");
		lr_config_release(&C);
	} else {
		skip(6, "no /etc/logrotate.conf or not root");
	}
	/* the same text, as a fixture: Debian 12's logrotate.conf + dpkg +
	 * nginx + postgresql-common + wtmp, joined */
	ok(parse("# see \"man logrotate\" for details\n\n"
		 "# global options do not affect preceding include "
		 "directives\n\n# rotate log files weekly\nweekly\n\n"
		 "# keep 4 weeks worth of backlogs\nrotate 4\n\n"
		 "# create new (empty) log files after rotating old ones\n"
		 "create\n\n#dateext\n\n#compress\n\n"
		 "/var/log/dpkg.log {\n\tmonthly\n\trotate 12\n\tcompress\n"
		 "\tdelaycompress\n\tmissingok\n\tnotifempty\n"
		 "\tcreate 644 root root\n}\n"
		 "/var/log/nginx/*.log {\n\tdaily\n\tmissingok\n\trotate 14\n"
		 "\tcompress\n\tdelaycompress\n\tnotifempty\n"
		 "\tcreate 0640 www-data adm\n\tsharedscripts\n\tprerotate\n"
		 "\t\tif [ -d /etc/logrotate.d/httpd-prerotate ]; then \\\n"
		 "\t\t\trun-parts /etc/logrotate.d/httpd-prerotate; \\\n"
		 "\t\tfi \\\n\tendscript\n\tpostrotate\n"
		 "\t\tinvoke-rc.d nginx rotate >/dev/null 2>&1\n"
		 "\tendscript\n}\n"
		 "/var/log/postgresql/*.log {\n       weekly\n       rotate 10\n"
		 "       copytruncate\n       delaycompress\n       compress\n"
		 "       notifempty\n       missingok\n       su root root\n}\n"
		 "# no packages own wtmp -- we'll rotate it here\n"
		 "/var/log/wtmp {\n    missingok\n    monthly\n"
		 "    create 0664 root utmp\n    minsize 1M\n    rotate 1\n}\n") ==
	        0 &&
	        C.n == 4,
	    "Debian 12 fixture parses (%s)", E.msg);
	if (C.n == 4) {
		ok(C.e[1].o.sharedscripts && C.e[1].o.prerotate &&
		        C.e[1].o.postrotate,
		    "nginx scripts");
		ok(C.e[2].o.copytruncate &&
		        strcmp(C.e[2].o.su_group, "root") == 0,
		    "postgresql su");
		ok(C.e[3].o.minsize == 1048576 && C.e[3].o.period == LR_MONTHLY &&
		        C.e[3].o.create_mode == 0664,
		    "wtmp");
	}
	scratch_remove();
}

static void
test_copy(void)
{
	struct lr_opts a;

	ok(parse("prerotate\necho\nendscript\nolddir /o\nsu a b\n"
		 "create 0600 u g\n") == 0,
	    "globals for copy");
	lr_opts_copy(&a, &C.global);
	ok(a.prerotate != C.global.prerotate &&
	        strcmp(a.prerotate, C.global.prerotate) == 0 &&
	        a.tabooext != C.global.tabooext && a.ntaboo == 19 &&
	        strcmp(a.su_group, "b") == 0,
	    "lr_opts_copy is deep");
	lr_opts_release(&a);
	ok(a.prerotate == NULL && a.tabooext == NULL && a.ntaboo == 0,
	    "release clears");
}

int
main(int argc, char **argv)
{
	(void)argc;
	ops_diag_init(argv[0]);
	lr_config_init(&C);
	test_errors();
	test_defaults();
	test_directives();
	test_blocks();
	test_scripts();
	test_include();
	test_copy();
	lr_config_release(&C);
	return done_testing();
}
