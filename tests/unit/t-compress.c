/*
 * t-compress.c - unit tests for lib/compress: in-process gzip, bzip2, xz
 * and zstd, checked against the real tools
 * SPDX-License-Identifier: MIT
 *
 * Every filter round-trips every input through our reader and through
 * "TOOL -dc"; "TOOL -t" must accept our output (no trailing padding).
 * Throughput goes to diag lines only (no timing assertions).  Sizes shrink
 * under VALGRIND=1; OPS_TEST_BIG=1 uses a 50 MB log for the figures.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compress.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"

extern char **environ;

static const char *tool[] = {
    [OPS_Z_GZIP] = "gzip",
    [OPS_Z_BZIP2] = "bzip2",
    [OPS_Z_XZ] = "xz",
    [OPS_Z_ZSTD] = "zstd",
};
static const enum ops_z kinds[] = {
    OPS_Z_GZIP, OPS_Z_BZIP2, OPS_Z_XZ, OPS_Z_ZSTD};

struct input {
	const char *name;
	unsigned char *data;
	size_t len;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
write_file(const char *path, const void *p, size_t n)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, p, n) < 0 || close(fd) < 0)
		bail_out("write %s: %s", path, strerror(errno));
}

/* The whole file, malloc'd; bail_out when unreadable. */
static unsigned char *
read_file(const char *path, size_t *len)
{
	struct ops_buf b;
	struct ops_err err;

	ops_buf_init(&b, (size_t)1 << 30);
	if (ops_read_file(path, (size_t)1 << 30, &b, &err) < 0)
		bail_out("read %s: %s", path, err.msg);
	*len = b.len;
	return (unsigned char *)ops_buf_detach(&b, len);
}

static int
same_file(const char *path, const struct input *in)
{
	size_t len;
	unsigned char *p = read_file(path, &len);
	int same = len == in->len && (len == 0 || memcmp(p, in->data, len) == 0);

	free(p);
	return same;
}

/* Compress file src into dst with ours; 0 or -1 (err filled). */
static int
zfile(const char *src, const char *dst, enum ops_z z, int level,
    uint64_t *inb, uint64_t *outb, struct ops_err *err)
{
	int in, out, rc;

	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		bail_out("open %s or %s: %s", src, dst, strerror(errno));
	rc = ops_z_compress_fd(in, out, z, level, inb, outb, err);
	close(in);
	if (close(out) < 0)
		bail_out("close %s", dst);
	return rc;
}

/*
 * Read path with ops_zr_*, in odd-sized pieces; the data in *outp
 * (malloc'd), *zp the filter.  0, or -1 with err.
 */
static int
zread(const char *path, unsigned char **outp, size_t *lenp, enum ops_z *zp,
    struct ops_err *err)
{
	struct ops_zr *r;
	size_t cap = 1 << 16, len = 0;
	unsigned char *p = malloc(cap);
	ssize_t n;
	int fd, rc = 0;

	if (p == NULL)
		bail_out("malloc");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bail_out("open %s", path);
	if (ops_zr_open(&r, fd, path, err) < 0) {
		close(fd);
		free(p);
		return -1;
	}
	for (;;) {
		if (cap - len < 100000) {
			cap *= 2;
			p = realloc(p, cap);
			if (p == NULL)
				bail_out("realloc");
		}
		n = ops_zr_read(r, p + len, 99991, err);
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*zp = ops_zr_filter(r);
	ops_zr_close(r);
	close(fd);
	if (rc < 0) {
		free(p);
		return -1;
	}
	*outp = p;
	*lenp = len;
	return 0;
}

static int
zread_is(const char *path, const struct input *in, enum ops_z want_z,
    struct ops_err *err)
{
	unsigned char *p;
	size_t len;
	enum ops_z z;
	int good;

	if (zread(path, &p, &len, &z, err) < 0)
		return 0;
	good = z == want_z && len == in->len &&
	    (len == 0 || memcmp(p, in->data, len) == 0);
	if (!good)
		diag("%s: filter %d (want %d), %zu bytes (want %zu)", path,
		    (int)z, (int)want_z, len, in->len);
	free(p);
	return good;
}

static void
fill_random(struct input *in, const char *name, size_t len)
{
	size_t i;

	in->name = name;
	in->len = len;
	in->data = malloc(len ? len : 1);
	if (in->data == NULL)
		bail_out("malloc");
	for (i = 0; i < len; i++)
		in->data[i] = (unsigned char)(rnd() >> 24);
}

/* Syslog-like lines with varying numbers: compresses about 8:1 with gzip. */
static void
fill_log(struct input *in, const char *name, size_t len)
{
	static const char *const prog[] = {"sshd", "CRON", "postfix/smtpd",
	    "kernel", "systemd"};
	static const char *const msg[][3] = {
	    {"Accepted publickey for deploy from 192.0.2.", " port ", " ssh2"},
	    {"pam_unix(cron:session): session opened for user root(uid=",
	        ") by (uid=", ")"},
	    {"connect from unknown[198.51.100.", "] port ", ""},
	    {"[UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.", " DST=10.0.0.1 LEN=",
	        ""},
	    {"Started session-", ".scope - Session ", " of User deploy."},
	};
	char line[300], text[200];
	size_t used = 0, n, k;
	uint64_t t = 1700000000;

	in->name = name;
	in->data = malloc(len + sizeof(line));
	if (in->data == NULL)
		bail_out("malloc");
	while (used < len) {
		t += rnd() % 3;
		k = (size_t)(rnd() % OPS_ARRAY_SIZE(msg));
		snprintf(text, sizeof(text), "%s%u%s%u%s", msg[k][0],
		    (unsigned)(rnd() % 255), msg[k][1],
		    (unsigned)(rnd() % 65536), msg[k][2]);
		n = (size_t)snprintf(line, sizeof(line),
		    "2024-05-%02u %02u:%02u:%02u web%u %s[%u]: %s\n",
		    (unsigned)(t / 86400 % 28 + 1), (unsigned)(t / 3600 % 24),
		    (unsigned)(t / 60 % 60), (unsigned)(t % 60),
		    (unsigned)(rnd() % 4), prog[k], (unsigned)(rnd() % 30000),
		    text);
		memcpy(in->data + used, line, n);
		used += n;
	}
	in->len = len;
}

static void
test_names(void)
{
	static const struct {
		const char *cmd;
		int z; /* -1: refused */
	} rows[] = {
	    {"/usr/bin/gzip", OPS_Z_GZIP},
	    {"gzip", OPS_Z_GZIP},
	    {"/usr/bin/pigz", OPS_Z_GZIP},
	    {"/bin/bzip2", OPS_Z_BZIP2},
	    {"/usr/bin/pbzip2", OPS_Z_BZIP2},
	    {"lbzip2", OPS_Z_BZIP2},
	    {"/usr/bin/xz", OPS_Z_XZ},
	    {"pixz", OPS_Z_XZ},
	    {"/usr/bin/zstd", OPS_Z_ZSTD},
	    {"/usr/local/bin/pzstd", OPS_Z_ZSTD},
	    {"/bin/cat", -1},
	    {"", -1},
	    {"/usr/bin/", -1},
	    {"/usr/bin/gzip2", -1},
	    {"GZIP", -1},
	    {"gzip -9", -1},
	};
	struct ops_err err;
	enum ops_z z;
	size_t i;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		ops_err_clear(&err);
		z = OPS_Z_NONE;
		r = ops_z_from_cmd(rows[i].cmd, &z, &err);
		if (rows[i].z < 0)
			ok(r == -1 && err.code == OPS_EXIT_USAGE &&
			        strstr(err.msg, "gzip") != NULL,
			    "compresscmd \"%s\" refused (%s)", rows[i].cmd,
			    err.msg);
		else
			ok(r == 0 && (int)z == rows[i].z,
			    "compresscmd \"%s\" is %s", rows[i].cmd,
			    tool[rows[i].z]);
	}
	is_str(ops_z_ext(OPS_Z_GZIP), ".gz", "ext gzip");
	is_str(ops_z_ext(OPS_Z_BZIP2), ".bz2", "ext bzip2");
	is_str(ops_z_ext(OPS_Z_XZ), ".xz", "ext xz");
	is_str(ops_z_ext(OPS_Z_ZSTD), ".zst", "ext zstd");
	is_str(ops_z_ext(OPS_Z_NONE), "", "ext none");
}

static void
test_levels(void)
{
	static const struct {
		enum ops_z z;
		const char *opts;
		int level; /* -1: refused */
		const char *ignored;
	} rows[] = {
	    {OPS_Z_GZIP, NULL, 0, ""},
	    {OPS_Z_GZIP, "", 0, ""},
	    {OPS_Z_GZIP, "-9", 9, ""},
	    {OPS_Z_GZIP, "-1 --rsyncable", 1, "--rsyncable"},
	    {OPS_Z_GZIP, "--rsyncable  -3\t-n", 3, "--rsyncable -n"},
	    {OPS_Z_GZIP, "-9 -1", 9, "-1"},
	    {OPS_Z_GZIP, "-20", -1, NULL},
	    {OPS_Z_GZIP, "-0", -1, NULL},
	    {OPS_Z_GZIP, "-99999999999999999999999999999999999", -1, NULL},
	    {OPS_Z_BZIP2, "-9", 9, ""},
	    {OPS_Z_BZIP2, "-10", -1, NULL},
	    {OPS_Z_XZ, "-6e", 0, "-6e"},
	    {OPS_Z_XZ, "-T0 -9", 9, "-T0"},
	    {OPS_Z_XZ, "-0", -1, NULL},
	    {OPS_Z_ZSTD, "-19", 19, ""},
	    {OPS_Z_ZSTD, "-20", -1, NULL},
	    {OPS_Z_ZSTD, "--long -T0", 0, "--long -T0"},
	};
	struct ops_err err;
	const char *ign;
	size_t i;
	int r, level;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		ops_err_clear(&err);
		level = -7;
		ign = NULL;
		r = ops_z_level(rows[i].z, rows[i].opts, &level, &ign, &err);
		if (rows[i].level < 0)
			ok(r == -1 && err.code == OPS_EXIT_USAGE,
			    "%s level \"%s\" refused (%s)", tool[rows[i].z],
			    rows[i].opts, err.msg);
		else
			ok(r == 0 && level == rows[i].level && ign != NULL &&
			        strcmp(ign, rows[i].ignored) == 0,
			    "%s \"%s\": level %d, ignored \"%s\"",
			    tool[rows[i].z], rows[i].opts ? rows[i].opts : "NULL",
			    level, ign ? ign : "NULL");
	}
	ok(ops_z_level(OPS_Z_GZIP, "-5", &level, NULL, &err) == 0 && level == 5,
	    "ignored may be NULL");
}

/* Ours -> TOOL -t, TOOL -dc, our reader; for one input and filter. */
static void
round_trip(const struct input *in, enum ops_z z, int level)
{
	char src[64], dst[64], back[64];
	const char *src_p, *dst_p, *back_p;
	struct ops_err err;
	uint64_t inb = 1, outb = 1;
	struct stat st;
	const char *t = tool[z];

	snprintf(src, sizeof(src), "%s.in", in->name);
	snprintf(dst, sizeof(dst), "%s.%d%s", in->name, level, ops_z_ext(z));
	snprintf(back, sizeof(back), "%s.%d%s.back", in->name, level,
	    ops_z_ext(z));
	src_p = spath(src);
	dst_p = spath(dst);
	back_p = spath(back);
	ops_err_clear(&err);
	ok(zfile(src_p, dst_p, z, level, &inb, &outb, &err) == 0 &&
	        stat(dst_p, &st) == 0 && inb == in->len &&
	        outb == (uint64_t)st.st_size,
	    "%s -%d %s: compressed, sizes %llu -> %llu %s", t, level, in->name,
	    (unsigned long long)inb, (unsigned long long)outb, err.msg);
	{
		const char *argv[] = {t, "-t", dst_p, NULL};
		is_int(run_prog(argv, NULL, NULL), 0, "%s -t accepts it", t);
	}
	{
		const char *argv[] = {t, "-dc", dst_p, NULL};
		ok(run_prog(argv, NULL, back_p) == 0 && same_file(back_p, in),
		    "%s -dc restores it", t);
	}
	ok(zread_is(dst_p, in, z, &err), "our reader restores it %s", err.msg);
	unlink(back_p);
	unlink(dst_p);
}

/* TOOL -c -> our reader. */
static void
tool_to_ours(const struct input *in, enum ops_z z)
{
	char src[64], dst[64];
	struct ops_err err;

	snprintf(src, sizeof(src), "%s.in", in->name);
	snprintf(dst, sizeof(dst), "%s.tool%s", in->name, ops_z_ext(z));
	{
		const char *argv[] = {tool[z], "-c", spath(src), NULL};
		if (run_prog(argv, NULL, spath(dst)) != 0)
			bail_out("%s -c failed", tool[z]);
	}
	ops_err_clear(&err);
	ok(zread_is(spath(dst), in, z, &err), "%s -c %s: our reader reads it %s",
	    tool[z], in->name, err.msg);
	unlink(spath(dst));
}

static void
test_plain(const struct input *ins, size_t nin)
{
	struct input uu = {"uu", (unsigned char *)"begin 644 x\n#86)C\n`\nend\n",
	    0};
	struct input pre = {"pre", (unsigned char *)"\x1f\x8b", 2};
	struct ops_err err;
	size_t i;

	for (i = 0; i < nin; i++) {
		char src[64];

		snprintf(src, sizeof(src), "%s.in", ins[i].name);
		ops_err_clear(&err);
		ok(zread_is(spath(src), &ins[i], OPS_Z_NONE, &err),
		    "plain %s read as it is %s", ins[i].name, err.msg);
	}
	uu.len = strlen((const char *)uu.data);
	write_file(spath("uu.in"), uu.data, uu.len);
	ok(zread_is(spath("uu.in"), &uu, OPS_Z_NONE, &err),
	    "a plain file in uuencode form is not decoded %s", err.msg);
	write_file(spath("pre.in"), pre.data, pre.len);
	ok(zread_is(spath("pre.in"), &pre, OPS_Z_NONE, &err),
	    "two bytes of gzip magic alone read as plain %s", err.msg);
}

/* Cut or flip bytes of a compressed log; the reader must fail. */
static void
test_damage(const struct input *log)
{
	struct ops_err err;
	unsigned char *p, *q;
	size_t len, qlen, i;
	enum ops_z z;
	char name[64];

	for (i = 0; i < OPS_ARRAY_SIZE(kinds); i++) {
		snprintf(name, sizeof(name), "dmg%s", ops_z_ext(kinds[i]));
		ops_err_clear(&err);
		if (zfile(spath("log.in"), spath(name), kinds[i], 0, NULL, NULL,
		        &err) < 0)
			bail_out("compress: %s", err.msg);
		p = read_file(spath(name), &len);
		write_file(spath("cut"), p, len / 2);
		ok(zread(spath("cut"), &q, &qlen, &z, &err) == -1 &&
		        err.code == OPS_EXIT_FAIL,
		    "%s cut in half: error (%s)", tool[kinds[i]], err.msg);
		write_file(spath("cut"), p, len - 1);
		ops_err_clear(&err);
		ok(zread(spath("cut"), &q, &qlen, &z, &err) == -1,
		    "%s without its last byte: error (%s)", tool[kinds[i]],
		    err.msg);
		free(p);
	}

	p = read_file(spath("dmg.gz"), &len);
	write_file(spath("cut"), p, len - 4);
	ops_err_clear(&err);
	ok(zread(spath("cut"), &q, &qlen, &z, &err) == -1,
	    "gzip without its length field: error (%s)", err.msg);
	/* A flip in the middle of the deflate data, in the CRC, the length. */
	{
		static const struct {
			const char *what;
			long at; /* from the start; negative from the end */
			unsigned char x;
		} flips[] = {
		    {"the middle", 0, 0x01},
		    {"the middle", 0, 0x80},
		    {"the middle", 1, 0x10},
		    {"the CRC", -8, 0x01},
		    {"the length", -1, 0x01},
		};
		for (i = 0; i < OPS_ARRAY_SIZE(flips); i++) {
			size_t at = flips[i].at < 0 ? len + flips[i].at
			                            : len / 2 + flips[i].at * 997;
			unsigned char *c = malloc(len);

			if (c == NULL)
				bail_out("malloc");
			memcpy(c, p, len);
			c[at] ^= flips[i].x;
			write_file(spath("flip.gz"), c, len);
			free(c);
			ops_err_clear(&err);
			ok(zread(spath("flip.gz"), &q, &qlen, &z, &err) == -1 &&
			        err.code == OPS_EXIT_FAIL,
			    "gzip, byte %zu of %zu (%s) ^ 0x%02x: error (%s)", at,
			    len, flips[i].what, flips[i].x, err.msg);
		}
	}
	/* data after the stream: gzip -d warns too */
	{
		unsigned char *c = malloc(len + 5);

		if (c == NULL)
			bail_out("malloc");
		memcpy(c, p, len);
		memcpy(c + len, "junk\n", 5);
		write_file(spath("junk.gz"), c, len + 5);
		free(c);
		ops_err_clear(&err);
		ok(zread(spath("junk.gz"), &q, &qlen, &z, &err) == -1,
		    "gzip with trailing junk: error (%s)", err.msg);
	}
	/* two members, as "cat a.gz b.gz" makes: gzip -dc reads both */
	{
		struct input two;
		unsigned char *c = malloc(2 * len);

		if (c == NULL)
			bail_out("malloc");
		memcpy(c, p, len);
		memcpy(c + len, p, len);
		write_file(spath("two.gz"), c, 2 * len);
		free(c);
		two.name = "two";
		two.len = 2 * log->len;
		two.data = malloc(two.len);
		if (two.data == NULL)
			bail_out("malloc");
		memcpy(two.data, log->data, log->len);
		memcpy(two.data + log->len, log->data, log->len);
		ops_err_clear(&err);
		ok(zread_is(spath("two.gz"), &two, OPS_Z_GZIP, &err),
		    "two gzip members read as one stream %s", err.msg);
		free(two.data);
	}
	free(p);
}

static void
test_errors(void)
{
	struct ops_err err;
	int fds[2], ro;

	ro = open(spath("one.in"), O_RDONLY | O_CLOEXEC);
	if (ro < 0 || pipe(fds) < 0)
		bail_out("open");
	close(fds[1]); /* the pipe is empty: at its end at once */
	fds[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
	ops_err_clear(&err);
	ok(ops_z_compress_fd(-1, fds[1], OPS_Z_GZIP, 0, NULL, NULL, &err) == -1 &&
	        err.code == OPS_EXIT_FAIL && err.errnum == EBADF,
	    "bad input descriptor: %s", err.msg);
	ops_err_clear(&err);
	ok(ops_z_compress_fd(fds[0], ro, OPS_Z_XZ, 0, NULL, NULL, &err) == -1 &&
	        err.code == OPS_EXIT_FAIL && err.errnum == EBADF,
	    "output not writable: %s", err.msg);
	ops_err_clear(&err);
	ok(ops_z_compress_fd(fds[0], fds[1], OPS_Z_GZIP, 10, NULL, NULL,
	       &err) == -1 &&
	        err.code == OPS_EXIT_FAIL,
	    "level 10 for gzip: %s", err.msg);
	close(fds[0]);
	close(fds[1]);
	close(ro);
}

/* Output into a pipe (fsync fails with EINVAL there; no padding either). */
static void
test_pipe(const struct input *in)
{
	struct ops_err err;
	int fds[2], src, dst, st;
	char buf[65536];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		close(fds[0]);
		src = open(spath("text.in"), O_RDONLY | O_CLOEXEC);
		_exit(src >= 0 && ops_z_compress_fd(src, fds[1], OPS_Z_GZIP, 0,
		                      NULL, NULL, &err) == 0
		          ? 0
		          : 1);
	}
	close(fds[1]);
	dst = open(spath("pipe.gz"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (dst < 0)
		bail_out("open");
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		if (ops_write_all(dst, buf, (size_t)n) < 0)
			bail_out("write");
	close(fds[0]);
	close(dst);
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "compress into a pipe");
	{
		const char *argv[] = {"gzip", "-t", spath("pipe.gz"), NULL};
		is_int(run_prog(argv, NULL, NULL), 0, "gzip -t accepts it (no padding)");
	}
	ok(zread_is(spath("pipe.gz"), in, OPS_Z_GZIP, &err), "and it reads back");
	/* a pipe as input of the reader */
	{
		unsigned char *p;
		size_t len;
		enum ops_z z;

		ok(zread("/dev/null", &p, &len, &z, &err) == 0 && len == 0 &&
		        z == OPS_Z_NONE,
		    "/dev/null reads as an empty plain stream");
		if (len == 0)
			free(p);
	}
}

struct job {
	enum ops_z z;
	char src[64], dst[64];
	const struct input *in;
	int good;
};

static void *
job_run(void *arg)
{
	struct job *j = arg;
	struct ops_err err;
	unsigned char *p;
	size_t len;
	enum ops_z z;
	int k;

	j->good = 1;
	for (k = 0; k < 3; k++) {
		if (zfile(j->src, j->dst, j->z, 0, NULL, NULL, &err) < 0 ||
		    zread(j->dst, &p, &len, &z, &err) < 0) {
			j->good = 0;
			return NULL;
		}
		j->good &= z == j->z && len == j->in->len &&
		    memcmp(p, j->in->data, len) == 0;
		free(p);
	}
	return NULL;
}

static void
test_threads(const struct input *in)
{
	struct job jobs[8];
	pthread_t th[8];
	size_t i;

	for (i = 0; i < 8; i++) {
		jobs[i].z = kinds[i % 4];
		jobs[i].in = in;
		snprintf(jobs[i].src, sizeof(jobs[i].src), "%s",
		    spath("rand.in"));
		snprintf(jobs[i].dst, sizeof(jobs[i].dst), "%s%zu",
		    spath("tj"), i);
		if (pthread_create(&th[i], NULL, job_run, &jobs[i]) != 0)
			bail_out("pthread_create");
	}
	for (i = 0; i < 8; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 8; i++)
		ok(jobs[i].good, "thread %zu (%s) round trip", i,
		    tool[jobs[i].z]);
}

/* Throughput figures: ours against the tool, same data, same level. */
static void
bench(const struct input *log, bool slow)
{
	static const int lv[] = {[OPS_Z_GZIP] = 6, [OPS_Z_BZIP2] = 9,
	    [OPS_Z_XZ] = 6, [OPS_Z_ZSTD] = 3};
	const char *src = spath("log.in");
	double mb = (double)log->len / 1e6, t0, t_ours, t_tool, t_dec;
	struct ops_err err;
	uint64_t outb = 0;
	unsigned char *p;
	size_t i, len;
	enum ops_z z;
	char lvs[8];

	for (i = 0; i < OPS_ARRAY_SIZE(kinds); i++) {
		enum ops_z k = kinds[i];

		if (slow && (k == OPS_Z_XZ || k == OPS_Z_BZIP2))
			continue;
		t0 = now_s();
		if (zfile(src, spath("bench.z"), k, 0, NULL, &outb, &err) < 0)
			bail_out("bench: %s", err.msg);
		t_ours = now_s() - t0;
		t0 = now_s();
		if (zread(spath("bench.z"), &p, &len, &z, &err) < 0)
			bail_out("bench read: %s", err.msg);
		t_dec = now_s() - t0;
		free(p);
		snprintf(lvs, sizeof(lvs), "-%d", lv[k]);
		{
			const char *argv[] = {tool[k], lvs, "-c", src, NULL};

			t0 = now_s();
			if (run_prog(argv, NULL, spath("bench.t")) != 0)
				bail_out("%s failed", tool[k]);
			t_tool = now_s() - t0;
		}
		diag("%-5s %s on %.1f MB log: ours %.2f s = %.1f MB/s (ratio "
		     "%.1f), %s %s %.2f s = %.1f MB/s; our read %.1f MB/s",
		    tool[k], lvs, mb, t_ours, mb / t_ours,
		    (double)log->len / (double)(outb ? outb : 1), tool[k], lvs,
		    t_tool, mb / t_tool, mb / t_dec);
	}
	unlink(spath("bench.z"));
	unlink(spath("bench.t"));

	/* many small files: in-process vs one gzip process each */
	{
		int nfiles = slow ? 20 : 1000, nfork = slow ? 5 : 200, f;
		char name[32];
		double t_in, t_fk;

		write_file(spath("small.in"), log->data, 10240);
		t0 = now_s();
		for (f = 0; f < nfiles; f++) {
			snprintf(name, sizeof(name), "small%d.gz", f % 50);
			if (zfile(spath("small.in"), spath(name), OPS_Z_GZIP,
			        0, NULL, NULL, &err) < 0)
				bail_out("small: %s", err.msg);
		}
		t_in = (now_s() - t0) / nfiles;
		t0 = now_s();
		for (f = 0; f < nfork; f++) {
			const char *argv[] = {"gzip", "-6", "-c", NULL};

			snprintf(name, sizeof(name), "fork%d.gz", f % 50);
			if (run_prog(argv, spath("small.in"), spath(name)) != 0)
				bail_out("gzip");
		}
		t_fk = (now_s() - t0) / nfork;
		diag("10 KB files, gzip -6: ours %.0f us/file (with fsync), "
		     "forking gzip %.0f us/file (no fsync): 10000 files "
		     "%.1f s vs %.1f s",
		    t_in * 1e6, t_fk * 1e6, t_in * 1e4, t_fk * 1e4);
	}
}

int
main(void)
{
	const char *vg = getenv("VALGRIND"), *big = getenv("OPS_TEST_BIG");
	bool slow = vg != NULL && strcmp(vg, "1") == 0;
	struct input ins[5];
	static const char utf8[] =
	    "2024-05-01 12:00:00 web1 app[42]: ユーザー \"山田\" がログイン "
	    "(façade, naïve, 😀)\n";
	size_t i, k, nin = OPS_ARRAY_SIZE(ins);
	char src[64];

	scratch_make("t-compress");
	rnd_seed(20240501);
	ins[0] = (struct input){"empty", (unsigned char *)"", 0};
	ins[1] = (struct input){"one", (unsigned char *)"x", 1};
	ins[2] = (struct input){
	    "text", (unsigned char *)utf8, sizeof(utf8) - 1};
	/* sizes past the filters' block sizes (bzip2 900 kB, zstd 128 kB,
	 * gzip 32 kB windows), small enough for xz in a test run */
	fill_random(&ins[3], "rand", slow ? 256 * 1024 : 1200 * 1000);
	fill_log(&ins[4], "log",
	    big && strcmp(big, "1") == 0 ? 50 * 1000 * 1000
	    : slow                       ? 512 * 1024
	                                 : 1200 * 1000);
	for (i = 0; i < nin; i++) {
		snprintf(src, sizeof(src), "%s.in", ins[i].name);
		write_file(spath(src), ins[i].data, ins[i].len);
	}

	test_names();
	test_levels();
	for (k = 0; k < OPS_ARRAY_SIZE(kinds); k++) {
		for (i = 0; i < nin; i++)
			round_trip(&ins[i], kinds[k], 0);
		tool_to_ours(&ins[0], kinds[k]);
		tool_to_ours(&ins[2], kinds[k]);
		tool_to_ours(&ins[3], kinds[k]);
	}
	round_trip(&ins[2], OPS_Z_GZIP, 1);
	round_trip(&ins[2], OPS_Z_GZIP, 9);
	round_trip(&ins[2], OPS_Z_BZIP2, 1);
	round_trip(&ins[2], OPS_Z_XZ, 9);
	round_trip(&ins[2], OPS_Z_ZSTD, 19);
	round_trip(&ins[2], OPS_Z_ZSTD, 1);
	test_plain(ins, nin);
	test_damage(&ins[4]);
	test_errors();
	test_pipe(&ins[2]);
	test_threads(&ins[3]);
	bench(&ins[4], slow);

	free(ins[3].data);
	free(ins[4].data);
	scratch_remove();
	return done_testing();
}
