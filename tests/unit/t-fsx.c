/*
 * t-fsx.c - unit tests for lib/fsx: whole reads and writes, directories,
 * paths, data directory and configuration file resolution
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"

#define BIG (1024 * 1024)
#define NOBODY 65534

static unsigned char *big_buf; /* global: reachable in forked children */
static volatile sig_atomic_t ticks;

static void
on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

static unsigned char
pattern(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

/* A timer interrupts the process every millisecond; no SA_RESTART. */
static void
timer_start(void)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		bail_out("sigaction");
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 1000;
	it.it_interval.tv_usec = 1000;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void
timer_stop(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_IGN); /* drop a signal still pending */
}

static void
test_write_read_all(void)
{
	unsigned char *buf = big_buf = malloc(BIG);
	int pfd[2], st, bad;
	size_t i, off, n;
	ssize_t got;
	pid_t pid;

	if (buf == NULL)
		bail_out("malloc");
	for (i = 0; i < BIG; i++)
		buf[i] = pattern(i);

	/* write 1 MiB into a pipe read slowly, under a 1 ms timer */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		unsigned char chunk[4096];

		close(pfd[1]);
		for (off = 0;; off += (size_t)got) {
			got = read(pfd[0], chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				got = 0;
			else if (got <= 0)
				break;
			for (i = 0; i < (size_t)got; i++) {
				if (chunk[i] != pattern(off + i))
					_exit(2);
			}
			if (off % 65536 < 4096)
				usleep(100);
		}
		_exit(off == BIG ? 0 : 1);
	}
	close(pfd[0]);
	ticks = 0;
	timer_start();
	ok(ops_write_all(pfd[1], buf, BIG) == 0,
	    "write_all of 1 MiB to a slow pipe under signals");
	timer_stop();
	close(pfd[1]);
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the reader got every byte in order (%d timer signals)",
	    (int)ticks);

	/* read 1 MiB from a pipe written in small pieces */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		close(pfd[0]);
		for (off = 0; off < BIG; off += n) {
			n = 1 + (off * 7) % 5000;
			if (n > BIG - off)
				n = BIG - off;
			if (ops_write_all(pfd[1], buf + off, n) < 0)
				_exit(1);
			if (off % 65536 < 5000)
				usleep(100);
		}
		_exit(0);
	}
	close(pfd[1]);
	memset(buf, 0, BIG);
	ticks = 0;
	timer_start();
	got = ops_read_all(pfd[0], buf, BIG);
	timer_stop();
	is_int(got, BIG,
	    "read_all gets 1 MiB from short reads under signals "
	    "(%d timer signals)",
	    (int)ticks);
	for (i = 0, bad = 0; i < BIG; i++)
		bad += buf[i] != pattern(i);
	is_int(bad, 0, "and the bytes are right");
	is_int(ops_read_all(pfd[0], buf, 10), 0, "read_all at end of file: 0");
	close(pfd[0]);
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer child");

	put(spath("ten"), "0123456789");
	pfd[0] = open(spath("ten"), O_RDONLY | O_CLOEXEC);
	is_int(ops_read_all(pfd[0], buf, 100), 10,
	    "read_all returns fewer bytes at end of file");
	close(pfd[0]);
	errno = 0;
	ok(ops_write_all(pfd[0], "x", 1) == -1 && errno == EBADF,
	    "write_all to a closed descriptor: -1, EBADF");
	errno = 0;
	ok(ops_read_all(pfd[0], buf, 1) == -1 && errno == EBADF,
	    "read_all from a closed descriptor: -1, EBADF");
	free(big_buf);
	big_buf = NULL;
}

static void
test_read_file(void)
{
	struct ops_buf b;
	struct ops_err err;
	const char *p = spath("rf");

	put(p, "hello\n");
	ops_buf_init(&b, 0);
	if (ops_buf_adds(&b, ">") < 0)
		bail_out("buf");
	ok(ops_read_file(p, 6, &b, &err) == 0,
	    "read a file of exactly the limit");
	is_str(ops_buf_cstr(&b), ">hello\n", "contents appended");
	ops_err_clear(&err);
	ok(ops_read_file(p, 5, &b, &err) == -1 && err.code == 2 &&
	        strcmp(err.file, p) == 0,
	    "a file over the limit: code 2");
	is_str(err.msg, "file is larger than 5 bytes", "its message");
	is_str(ops_buf_cstr(&b), ">hello\n", "buffer unchanged on error");
	ops_err_clear(&err);
	ok(ops_read_file(spath("nope"), 100, &b, &err) == -1 && err.code == 3 &&
	        err.errnum == ENOENT,
	    "a missing file: code 3 (%s)", err.msg);
	is_str(err.msg, "cannot open: No such file or directory",
	    "':' rule adds strerror");
	ops_err_clear(&err);
	ok(ops_read_file(scratch, 100, &b, &err) == -1 && err.code == 3,
	    "a directory: code 3 (%s)", err.msg);
	ops_buf_release(&b);
	ops_buf_init(&b, 4);
	ok(ops_read_file(p, 100, &b, &err) == -1 && err.code == 2 && b.len == 0,
	    "over the buffer's own limit: code 2 (%s)", err.msg);
	ops_buf_release(&b);
	ops_buf_init(&b, 0);
	put(p, "");
	ok(ops_read_file(p, 0, &b, &err) == 0 && b.len == 0, "an empty file");
	ops_buf_release(&b);
}

static void
test_mkdir_p(void)
{
	struct ops_err err;

	umask(022);
	ok(ops_mkdir_p(spath("m/a/b/c"), 0750, &err) == 0, "mkdir -p a/b/c");
	ok(mode_of(spath("m/a")) == 0750 && mode_of(spath("m/a/b/c")) == 0750,
	    "made with mode 0750");
	ok(ops_mkdir_p(spath("m/a/b/c"), 0750, &err) == 0, "existing: 0");
	ok(ops_mkdir_p(spath("m/a/b/"), 0750, &err) == 0, "trailing slash");
	ok(ops_mkdir_p(spath("m//x///y/"), 0750, &err) == 0 &&
	        mode_of(spath("m/x/y")) == 0750,
	    "repeated slashes");
	umask(077);
	ok(ops_mkdir_p(spath("m/u"), 0750, &err) == 0 &&
	        mode_of(spath("m/u")) == 0700,
	    "the umask narrows the mode");
	umask(022);
	put(spath("m/file"), "x");
	ops_err_clear(&err);
	ok(ops_mkdir_p(spath("m/file/sub"), 0750, &err) == -1 &&
	        err.code == 3 && strcmp(err.file, spath("m/file")) == 0,
	    "a file in the way: code 3, names it (%s: %s)", err.file, err.msg);
	ops_err_clear(&err);
	ok(ops_mkdir_p(spath("m/file"), 0750, &err) == -1 && err.code == 3,
	    "the path itself is a file: code 3 (%s)", err.msg);
	ok(ops_mkdir_p("", 0750, &err) == -1, "empty path: -1");
	ok(ops_mkdir_p("/", 0750, &err) == 0, "/ exists");
}

static void
test_fsync(void)
{
	struct ops_err err;

	ok(ops_fsync_dir(scratch, &err) == 0, "fsync a directory");
	ops_err_clear(&err);
	ok(ops_fsync_dir(spath("nope"), &err) == -1 && err.code == 3,
	    "fsync a missing directory: code 3 (%s)", err.msg);
	put(spath("f"), "x");
	ok(ops_fsync_dir(spath("f"), &err) == -1 && err.errnum == ENOTDIR,
	    "fsync_dir on a file: ENOTDIR");
	ok(ops_fsync_parent(spath("whatever"), &err) == 0,
	    "fsync_parent of DIR/NAME");
	ok(ops_fsync_parent("relative-name", &err) == 0,
	    "fsync_parent of a bare name is the current directory");
	ok(ops_fsync_parent("/etc", &err) == 0, "fsync_parent of /etc is /");
	ok(ops_fsync_parent(spath("m/a/b/"), &err) == 0,
	    "fsync_parent with a trailing slash");
	ops_err_clear(&err);
	ok(ops_fsync_parent(spath("nope/x"), &err) == -1 &&
	        strcmp(err.file, spath("nope")) == 0,
	    "fsync_parent of a missing directory names it");
}

static void
test_path_join(void)
{
	static const struct {
		const char *dir, *name, *want;
	} rows[] = {
	    {"a", "b", "a/b"},
	    {"a/", "b", "a/b"},
	    {"a//", "b", "a/b"},
	    {"/", "b", "/b"},
	    {"a", "/b", "a/b"},
	    {"", "b", "b"},
	    {"/var/lib/ops", "checks.tsv", "/var/lib/ops/checks.tsv"},
	    {"a", "b/c", "a/b/c"},
	};
	size_t i;
	char *p;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		p = ops_path_join(rows[i].dir, rows[i].name);
		is_str(p, rows[i].want, "path_join(\"%s\", \"%s\")",
		    rows[i].dir, rows[i].name);
		free(p);
	}
}

struct envset {
	const char *name;
	const char *value; /* NULL: unset */
};

enum { DATADIR, DATADIR_CREATE, CONFPATH };

/*
 * Run a resolution in a child with the environment set as env says (HOME,
 * OPS_*, XDG_* unset otherwise), as user nobody when drop and we are root.
 * Returns "rc code path" in a static buffer.
 */
static const char *
resolve(int which, bool drop, const char *opt, const struct envset *env)
{
	static char res[PATH_MAX + 64];
	static const char *const clear[] = {
	    "HOME", "OPS_DIR", "OPS_CONF", "XDG_STATE_HOME", "XDG_CONFIG_HOME"};
	struct ops_err err;
	char *out = NULL;
	int pfd[2], rc;
	ssize_t n;
	size_t i;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		close(pfd[0]);
		for (i = 0; i < OPS_ARRAY_SIZE(clear); i++)
			unsetenv(clear[i]);
		for (; env && env->name; env++)
			setenv(env->name, env->value, 1);
		if (drop && geteuid() == 0 &&
		    (setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(1);
		ops_err_clear(&err);
		if (which == CONFPATH)
			rc = ops_confpath_resolve(opt, &out, &err);
		else
			rc = ops_datadir_resolve(
			    opt, which == DATADIR_CREATE, &out, &err);
		n = snprintf(res, sizeof(res), "%d %d %s", rc, err.code,
		    rc == 0 ? (out ? out : "(null)") : err.msg);
		if (ops_write_all(pfd[1], res, (size_t)n) < 0)
			_exit(1);
		free(out);
		_exit(0);
	}
	close(pfd[1]);
	n = ops_read_all(pfd[0], res, sizeof(res) - 1);
	close(pfd[0]);
	wait_status(pid);
	res[n > 0 ? n : 0] = '\0';
	return res;
}

static void
test_datadir(void)
{
	const struct envset none[] = {{NULL, NULL}};
	const struct envset opsdir[] = {
	    {"OPS_DIR", "/srv/ops"}, {"HOME", "/home/u"}, {NULL, NULL}};
	const struct envset emptyops[] = {{"OPS_DIR", ""},
	    {"XDG_STATE_HOME", "/st"}, {"HOME", "/home/u"}, {NULL, NULL}};
	const struct envset xdg[] = {
	    {"XDG_STATE_HOME", "/st"}, {"HOME", "/home/u"}, {NULL, NULL}};
	const struct envset xdgrel[] = {
	    {"XDG_STATE_HOME", "st"}, {"HOME", "/home/u"}, {NULL, NULL}};
	const struct envset home[] = {{"HOME", "/home/u"}, {NULL, NULL}};
	char want[PATH_MAX + 16], dd[PATH_MAX];
	struct envset create[] = {{"OPS_DIR", NULL}, {NULL, NULL}};
	bool root = geteuid() == 0;

	is_str(resolve(DATADIR, true, "/opt/d", opsdir), "0 0 /opt/d",
	    "datadir: -d wins over OPS_DIR");
	is_str(resolve(DATADIR, true, "", none),
	    "-1 2 the data directory name is empty", "datadir: -d \"\"");
	is_str(resolve(DATADIR, true, NULL, opsdir), "0 0 /srv/ops",
	    "datadir: OPS_DIR");
	if (root)
		is_str(resolve(DATADIR, false, NULL, home), "0 0 /var/lib/ops",
		    "datadir: root default /var/lib/ops");
	else
		skip(1, "not root");
	is_str(resolve(DATADIR, true, NULL, xdg), "0 0 /st/ops",
	    "datadir: $XDG_STATE_HOME/ops");
	is_str(resolve(DATADIR, true, NULL, emptyops), "0 0 /st/ops",
	    "datadir: an empty OPS_DIR counts as unset");
	is_str(resolve(DATADIR, true, NULL, xdgrel),
	    "0 0 /home/u/.local/state/ops",
	    "datadir: a relative XDG_STATE_HOME is ignored");
	is_str(resolve(DATADIR, true, NULL, home),
	    "0 0 /home/u/.local/state/ops", "datadir: $HOME/.local/state/ops");
	ok(strncmp(resolve(DATADIR, true, NULL, none), "-1 2 HOME is not set",
	       20) == 0,
	    "datadir: no HOME: code 2");

	snprintf(dd, sizeof(dd), "%s", spath("dd/ee"));
	create[0].value = dd;
	snprintf(want, sizeof(want), "0 0 %s", dd);
	umask(022);
	is_str(resolve(DATADIR_CREATE, false, NULL, create), want,
	    "datadir: create");
	is_int(mode_of(dd), 0750, "datadir: created 0750");
	put(spath("dfile"), "x");
	snprintf(dd, sizeof(dd), "%s", spath("dfile/sub"));
	ok(strncmp(resolve(DATADIR_CREATE, false, NULL, create), "-1 3 ", 5) ==
	        0,
	    "datadir: cannot create: code 3");
}

static void
test_confpath(void)
{
	const struct envset none[] = {{NULL, NULL}};
	char conf[512], missing[512], want[PATH_MAX + 16];
	char home[512], xdgdir[512];
	struct envset opsconf[] = {{"OPS_CONF", NULL}, {NULL, NULL}};
	struct envset xdg[] = {
	    {"XDG_CONFIG_HOME", NULL}, {"HOME", "/nonexistent"}, {NULL, NULL}};
	struct envset henv[] = {{"HOME", NULL}, {NULL, NULL}};
	char unchanged[] = "unchanged", *out;
	struct ops_err err;

	/* nobody must be able to look into the sandbox */
	if (chmod(scratch, 0755) < 0)
		bail_out("chmod");
	snprintf(conf, sizeof(conf), "%s", spath("ops.conf"));
	snprintf(missing, sizeof(missing), "%s", spath("missing.conf"));
	put(conf, "[x]\n");
	snprintf(want, sizeof(want), "0 0 %s", conf);
	is_str(resolve(CONFPATH, true, conf, none), want, "conf: -c FILE");
	snprintf(want, sizeof(want),
	    "-1 2 cannot open configuration file: "
	    "No such file or directory");
	is_str(resolve(CONFPATH, true, missing, none), want,
	    "conf: -c of a missing file: code 2");
	ops_err_clear(&err);
	out = unchanged;
	ok(ops_confpath_resolve(missing, &out, &err) == -1 &&
	        strcmp(err.file, missing) == 0 && out == unchanged,
	    "conf: the error names the file; *out is left alone");
	opsconf[0].value = conf;
	snprintf(want, sizeof(want), "0 0 %s", conf);
	is_str(resolve(CONFPATH, true, NULL, opsconf), want, "conf: OPS_CONF");
	opsconf[0].value = missing;
	ok(strncmp(resolve(CONFPATH, true, NULL, opsconf), "-1 2 ", 5) == 0,
	    "conf: OPS_CONF naming a missing file: code 2");
	snprintf(want, sizeof(want), "0 0 %s", conf);
	is_str(resolve(CONFPATH, true, conf, opsconf), want,
	    "conf: -c wins over OPS_CONF");

	if (geteuid() == 0) {
		snprintf(want, sizeof(want), "0 0 %s",
		    access("/etc/ops/ops.conf", F_OK) == 0 ?
		        "/etc/ops/ops.conf" :
		        "(null)");
		is_str(resolve(CONFPATH, false, NULL, none), want,
		    "conf: root default /etc/ops/ops.conf, if present");
	} else {
		skip(1, "not root");
	}

	snprintf(xdgdir, sizeof(xdgdir), "%s", spath("xdg"));
	xdg[0].value = xdgdir;
	is_str(resolve(CONFPATH, true, NULL, xdg), "0 0 (null)",
	    "conf: missing $XDG_CONFIG_HOME/ops/ops.conf: built-in defaults");
	if (mkdir(xdgdir, 0755) < 0 || mkdir(spath("xdg/ops"), 0755) < 0)
		bail_out("mkdir");
	put(spath("xdg/ops/ops.conf"), "");
	snprintf(want, sizeof(want), "0 0 %s/ops/ops.conf", xdgdir);
	is_str(resolve(CONFPATH, true, NULL, xdg), want,
	    "conf: $XDG_CONFIG_HOME/ops/ops.conf");

	snprintf(home, sizeof(home), "%s", spath("home"));
	henv[0].value = home;
	is_str(resolve(CONFPATH, true, NULL, henv), "0 0 (null)",
	    "conf: missing ~/.config/ops/ops.conf: built-in defaults");
	if (mkdir(home, 0755) < 0 || mkdir(spath("home/.config"), 0755) < 0 ||
	    mkdir(spath("home/.config/ops"), 0755) < 0)
		bail_out("mkdir");
	put(spath("home/.config/ops/ops.conf"), "");
	snprintf(want, sizeof(want), "0 0 %s/.config/ops/ops.conf", home);
	is_str(resolve(CONFPATH, true, NULL, henv), want,
	    "conf: $HOME/.config/ops/ops.conf");
	is_str(resolve(CONFPATH, true, NULL, none), "0 0 (null)",
	    "conf: no HOME: built-in defaults");
	if (chmod(scratch, 0700) < 0)
		bail_out("chmod");
}

int
main(void)
{
	scratch_make("t-fsx");
	test_write_read_all();
	test_read_file();
	test_mkdir_p();
	test_fsync();
	test_path_join();
	test_datadir();
	test_confpath();
	scratch_remove();
	return done_testing();
}
