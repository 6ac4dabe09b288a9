/*
 * t-atomic.c - unit tests for lib/atomic: replace by rename, temp registry
 * SPDX-License-Identifier: MIT
 *
 * The crash test forks writers that die (SIGKILL, at random points or
 * from a timer, or SIGTERM from us) while replacing one file over and over;
 * the target must always hold exactly the old or the new content.
 */
#include "compat.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"

static char *crash_buf, *crash_want;
static struct ops_atomic crash_a;

/* Entries of scratch whose name starts with prefix. */
static int
count_prefix(const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(scratch);
	if (d == NULL)
		bail_out("opendir");
	while ((de = readdir(d)) != NULL)
		n += strncmp(de->d_name, prefix, plen) == 0;
	closedir(d);
	return n;
}

static void
remove_prefix(const char *prefix)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d;

	d = opendir(scratch);
	if (d == NULL)
		bail_out("opendir");
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) == 0)
			unlink(spath(de->d_name));
	}
	closedir(d);
}

/* Runs first, before this process installs the registry's handlers. */
static void
test_ignored_signal(void)
{
	const char *file = spath("ign.txt");
	struct ops_atomic a;
	struct ops_err err;
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		signal(SIGHUP, SIG_IGN);
		if (ops_atomic_begin(&a, file, 0640, &err) < 0)
			_exit(1);
		kill(getpid(), SIGHUP);
		if (ops_atomic_write(&a, "ign\n", 4, &err) < 0 ||
		    ops_atomic_commit(&a, &err) < 0)
			_exit(2);
		_exit(0);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "an ignored SIGHUP stays ignored");
	is_str(slurp(file, "(missing)"), "ign\n", "and the commit went through");
}

static void
test_commit(void)
{
	const char *file = spath("state.tsv");
	struct ops_atomic a;
	struct ops_err err;
	struct stat before, after;
	char prefix[PATH_MAX];
	int cwd;

	umask(022);
	ops_err_clear(&err);
	ok(ops_atomic_begin(&a, file, 0640, &err) == 0 && a.fd >= 0, "begin");
	snprintf(prefix, sizeof(prefix), "%s/.state.tsv.", scratch);
	ok(a.tmp != NULL && strncmp(a.tmp, prefix, strlen(prefix)) == 0 &&
	        strlen(a.tmp) == strlen(prefix) + 6,
	    "temporary is DIR/.NAME.XXXXXX (%s)", a.tmp ? a.tmp : "NULL");
	is_int(mode_of(a.tmp), 0640, "temporary has mode 0640");
	ok(ops_atomic_write(&a, "hello\n", 6, &err) == 0 &&
	        ops_atomic_write(&a, "world\n", 6, &err) == 0,
	    "write twice");
	is_str(slurp(file, "(missing)"), "(missing)", "nothing at the target yet");
	ok(ops_atomic_commit(&a, &err) == 0, "commit");
	ok(a.tmp == NULL && a.path == NULL && a.fd == -1, "commit releases");
	is_str(slurp(file, "(missing)"), "hello\nworld\n", "target has the new content");
	is_int(mode_of(file), 0640, "target mode 0640 under umask 022");
	is_int(count_prefix(".state.tsv."), 0, "no temporary left");

	if (stat(file, &before) < 0)
		bail_out("stat");
	umask(077);
	ok(ops_atomic_begin(&a, file, 0640, &err) == 0 &&
	        ops_atomic_write(&a, "v2\n", 3, &err) == 0 &&
	        ops_atomic_commit(&a, &err) == 0,
	    "replace an existing file");
	umask(022);
	if (stat(file, &after) < 0)
		bail_out("stat");
	is_str(slurp(file, "(missing)"), "v2\n", "replaced");
	is_int(mode_of(file), 0600, "mode 0640 under umask 077 is 0600");
	ok(before.st_ino != after.st_ino, "a new inode (renamed, not edited)");

	ok(ops_atomic_begin(&a, file, 0600, &err) == 0 &&
	        ops_atomic_commit(&a, &err) == 0,
	    "commit of an empty file");
	is_str(slurp(file, "(missing)"), "", "empty");
	is_int(mode_of(file), 0600, "mode 0600");

	/* a relative path: the temporary goes to the current directory */
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    chdir(scratch) < 0)
		bail_out("chdir");
	ok(ops_atomic_begin(&a, "rel.txt", 0644, &err) == 0 &&
	        strncmp(a.tmp, ".rel.txt.", 9) == 0 &&
	        ops_atomic_write(&a, "r\n", 2, &err) == 0 &&
	        ops_atomic_commit(&a, &err) == 0,
	    "a relative path");
	is_str(slurp(spath("rel.txt"), "(missing)"), "r\n", "relative path committed");
	if (fchdir(cwd) < 0)
		bail_out("fchdir");
	close(cwd);
}

static void
test_abort(void)
{
	const char *file = spath("keep.tsv");
	struct ops_atomic a;
	struct ops_err err;

	put(file, "old\n");
	ok(ops_atomic_begin(&a, file, 0640, &err) == 0 &&
	        ops_atomic_write(&a, "new\n", 4, &err) == 0,
	    "begin, write");
	is_int(count_prefix(".keep.tsv."), 1, "the temporary exists");
	ops_atomic_abort(&a);
	is_str(slurp(file, "(missing)"), "old\n", "abort leaves the old file");
	is_int(count_prefix(".keep.tsv."), 0, "and no temporary");
	ops_atomic_abort(&a);
	ok(a.tmp == NULL && a.fd == -1, "abort twice is safe");
	ops_err_clear(&err);
	ok(ops_atomic_write(&a, "x", 1, &err) == -1 && err.code == 3,
	    "write after abort fails");
	ok(ops_atomic_commit(&a, &err) == -1 && err.code == 3,
	    "commit after abort fails");
	is_str(slurp(file, "(missing)"), "old\n", "still the old file");
}

static void
test_failures(void)
{
	struct ops_atomic a;
	struct ops_err err;
	const char *file = spath("wfail.tsv");
	pid_t pid;
	int st;

	ops_err_clear(&err);
	ok(ops_atomic_begin(&a, spath("no/such/dir/x.tsv"), 0640, &err) == -1 &&
	        err.code == 3 && a.tmp == NULL && a.fd == -1,
	    "begin in a missing directory: code 3 (%s)", err.msg);
	ops_atomic_abort(&a);
	ok(ops_atomic_begin(&a, spath("dir/"), 0640, &err) == -1 &&
	        err.code == 3,
	    "begin on a path ending in /: code 3 (%s)", err.msg);

	/* rename over a non-empty directory fails: temp removed */
	if (mkdir(spath("adir"), 0700) < 0)
		bail_out("mkdir");
	put(spath("adir/f"), "f");
	ops_err_clear(&err);
	ok(ops_atomic_begin(&a, spath("adir"), 0640, &err) == 0 &&
	        ops_atomic_write(&a, "x\n", 2, &err) == 0,
	    "begin over a directory");
	ok(ops_atomic_commit(&a, &err) == -1 && err.code == 3 &&
	        a.tmp == NULL && a.path == NULL,
	    "commit fails when rename fails (%s)", err.msg);
	is_int(count_prefix(".adir."), 0, "the temporary is removed");
	is_str(slurp(spath("adir/f"), "(missing)"), "f", "the target is untouched");

	/* a failed write (EFBIG) closes the temporary: no commit possible */
	put(file, "old\n");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		static char big[100000];
		struct rlimit rl;

		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = 50000;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(1);
		if (ops_atomic_begin(&a, file, 0640, &err) < 0)
			_exit(2);
		if (ops_atomic_write(&a, big, sizeof(big), &err) != -1 ||
		    err.code != 3)
			_exit(3);
		if (ops_atomic_commit(&a, &err) != -1)
			_exit(4);
		_exit(0);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "a failed write makes commit fail (child %d)",
	    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	is_str(slurp(file, "(missing)"), "old\n", "the old file stays");
	is_int(count_prefix(".wfail.tsv."), 0, "no temporary stays");
}

static void
test_registry(void)
{
	char name[64];
	int i, fails = 0, left = 0;

	for (i = 0; i < OPS_TEMP_MAX; i++) {
		snprintf(name, sizeof(name), "reg%02d", i);
		put(spath(name), "x");
		fails += ops_temp_register(spath(name)) != 0;
	}
	is_int(fails, 0, "%d temporaries registered", OPS_TEMP_MAX);
	errno = 0;
	ok(ops_temp_register(spath("one-more")) == -1 && errno != 0,
	    "register fails when the registry is full");
	ops_temp_unregister(spath("reg05"));
	ops_temp_cleanup();
	for (i = 0; i < OPS_TEMP_MAX; i++) {
		snprintf(name, sizeof(name), "reg%02d", i);
		left += access(spath(name), F_OK) == 0;
	}
	is_int(left, 1, "cleanup removed all registered files");
	ok(access(spath("reg05"), F_OK) == 0, "but not the unregistered one");
	ok(ops_temp_register(spath("reg05")) == 0,
	    "register works again after cleanup");
	ops_temp_unregister(spath("reg05"));
}

static void
test_exit_paths(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	const char *file = spath("sig.tsv");
	struct ops_atomic a, mine;
	struct ops_err err;
	int pfd[2], st;
	size_t i;
	pid_t pid;
	char c;

	put(file, "old\n");
	/* exit() without commit: the atexit handler removes the temporary */
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		if (ops_atomic_begin(&a, file, 0640, &err) < 0 ||
		    ops_atomic_write(&a, "new\n", 4, &err) < 0)
			_exit(1);
		exit(0);
	}
	st = wait_status(pid);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exits mid-write");
	is_int(count_prefix(".sig.tsv."), 0, "atexit removed its temporary");

	for (i = 0; i < OPS_ARRAY_SIZE(sigs); i++) {
		if (pipe2(pfd, O_CLOEXEC) < 0)
			bail_out("pipe");
		pid = fork();
		if (pid < 0)
			bail_out("fork");
		if (pid == 0) {
			close(pfd[0]);
			if (ops_atomic_begin(&a, file, 0640, &err) < 0 ||
			    ops_atomic_write(&a, "new\n", 4, &err) < 0)
				_exit(1);
			if (write(pfd[1], "x", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(pfd[1]);
		if (read(pfd[0], &c, 1) != 1)
			bail_out("child failed");
		close(pfd[0]);
		ok(count_prefix(".sig.tsv.") == 1, "%s: temporary exists",
		    strsignal(sigs[i]));
		kill(pid, sigs[i]);
		st = wait_status(pid);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == sigs[i],
		    "%s: the child died of the signal", strsignal(sigs[i]));
		is_int(count_prefix(".sig.tsv."), 0,
		    "%s: the handler removed the temporary",
		    strsignal(sigs[i]));
	}
	is_str(slurp(file, "(missing)"), "old\n", "target untouched by the dead children");

	/* a forked child that exits does not remove its parent's temps */
	if (ops_atomic_begin(&mine, file, 0640, &err) < 0)
		bail_out("begin: %s", err.msg);
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0)
		exit(0);
	wait_status(pid);
	ok(access(mine.tmp, F_OK) == 0,
	    "a child's exit leaves the parent's temporary");
	ops_atomic_abort(&mine);
}

/* Content of version v: size and bytes depend on v. */
static size_t
gen(char *buf, size_t cap, unsigned v)
{
	size_t len = 200000 + (size_t)(v * 7919u) % 800000, i;
	int n;

	if (len > cap)
		len = cap;
	n = snprintf(buf, cap, "version %u\n", v);
	for (i = (size_t)n; i < len; i++)
		buf[i] =
		    (i % 80 == 79) ? '\n' : (char)('a' + (i * 31 + v * 7) % 26);
	return len;
}

/* -1 unless the file is exactly version v or w; else the version found. */
static int
which_version(const char *path, char *want, size_t cap, unsigned v, unsigned w)
{
	static struct ops_buf b;
	struct ops_err err;
	unsigned cand[2] = {v, w};
	size_t len;
	int k;

	ops_buf_release(&b);
	ops_buf_init(&b, 0);
	if (ops_read_file(path, 64 << 20, &b, &err) < 0)
		return -1;
	for (k = 0; k < 2; k++) {
		len = gen(want, cap, cand[k]);
		if (b.len == len && memcmp(b.data, want, len) == 0)
			return (int)cand[k];
	}
	return -1;
}

enum { DIE_NONE, DIE_STEP, DIE_TIMER, DIE_TERM };

static void
die_now(int sig)
{
	(void)sig;
	raise(SIGKILL);
}

/* Child: replace path with version v, dying as mode says. */
static OPS_NORETURN void
writer(const char *path, unsigned v, int mode, long delay_us, char *buf,
    size_t cap)
{
	struct ops_atomic *a = &crash_a; /* global: reachable when killed */
	struct ops_err err;
	struct itimerval it;
	size_t len, off, piece, nsteps, step = 0, kill_at;

	if (mode == DIE_TIMER) {
		signal(SIGALRM, die_now);
		memset(&it, 0, sizeof(it));
		it.it_value.tv_sec = delay_us / 1000000;
		it.it_value.tv_usec = delay_us % 1000000 + (delay_us == 0);
		setitimer(ITIMER_REAL, &it, NULL);
	}
	len = gen(buf, cap, v);
	nsteps = len / 16384 + 3;
	kill_at = mode == DIE_STEP ? (size_t)(rnd() % nsteps) : SIZE_MAX;
	if (ops_atomic_begin(a, path, 0640, &err) < 0)
		_exit(10);
	if (step++ == kill_at)
		raise(SIGKILL);
	for (off = 0; off < len; off += piece) {
		piece = 1 + rnd() % 32768;
		if (piece > len - off)
			piece = len - off;
		if (ops_atomic_write(a, buf + off, piece, &err) < 0)
			_exit(11);
		if (step++ == kill_at)
			raise(SIGKILL);
	}
	if (mode == DIE_STEP)
		raise(SIGKILL); /* everything written, not committed */
	if (ops_atomic_commit(a, &err) < 0)
		_exit(12);
	_exit(0);
}

static void
test_crash_replace(void)
{
	char file[PATH_MAX];
	size_t cap = 1024 * 1024;
	char *buf, *want;
	unsigned cur = 1;
	int iters = 150, i, mode, st, ver, mixed = 0, checks = 0;
	int committed = 0, killed = 0, termed = 0, term_temps = 0;
	int kill_temps = 0;
	long long t0, full_us = 0;
	long delay;
	struct timespec ts;
	pid_t pid;
	int fd;

	/* globals, so that valgrind sees them reachable in the children */
	buf = crash_buf = malloc(cap);
	want = crash_want = malloc(cap);
	if (buf == NULL || want == NULL)
		bail_out("malloc");
	snprintf(file, sizeof(file), "%s", spath("crash.tsv"));
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || ops_write_all(fd, buf, gen(buf, cap, cur)) < 0 ||
	    close(fd) < 0)
		bail_out("write %s", file);
	for (i = 0; i < iters; i++) {
		mode = i < 3 || i % 10 == 0 ? DIE_NONE : 1 + i % 3;
		delay = full_us > 0 ?
		    (long)(rnd() % (uint64_t)(full_us * 5 / 4)) :
		    0;
		if (mode == DIE_TERM) {
			/* temporaries left by SIGKILLs: allowed, count them */
			kill_temps += count_prefix(".crash.tsv.");
			remove_prefix(".crash.tsv.");
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		rnd(); /* a new random stream for each child */
		pid = fork();
		if (pid < 0)
			bail_out("fork");
		if (pid == 0)
			writer(file, cur + 1, mode, delay, buf, cap);
		if (mode == DIE_TERM) {
			usleep((useconds_t)delay);
			kill(pid, SIGTERM);
		}
		/* watch the target while the child works */
		while (waitpid(pid, &st, WNOHANG) == 0) {
			checks++;
			if (which_version(file, want, cap, cur, cur + 1) < 0)
				mixed++;
			usleep(100);
		}
		ver = which_version(file, want, cap, cur, cur + 1);
		checks++;
		if (ver < 0) {
			mixed++;
			diag("iteration %d: neither version %u nor %u", i, cur,
			    cur + 1);
			break;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) != 0) {
			diag("iteration %d: writer failed with %d", i,
			    WEXITSTATUS(st));
			mixed++;
			break;
		}
		if (mode == DIE_NONE && i < 3) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			full_us = (long long)ts.tv_sec * 1000000 +
			    ts.tv_nsec / 1000 - t0;
		}
		if ((unsigned)ver == cur + 1) {
			committed++;
			cur++;
		} else {
			killed++;
		}
		if (mode == DIE_TERM) {
			termed += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
			term_temps += count_prefix(".crash.tsv.");
		}
	}
	is_int(mixed, 0,
	    "%d replacements, %d crashes: the target was always "
	    "exactly the old or the new file (%d checks)",
	    committed, killed, checks);
	ok(committed > 0 && killed > 0,
	    "some writers committed (%d), some died before (%d)", committed,
	    killed);
	is_int(term_temps, 0,
	    "no temporary survived a SIGTERM (%d killed by it)", termed);
	diag("temporaries left by SIGKILL: %d (allowed)",
	    kill_temps + count_prefix(".crash.tsv."));
	free(crash_buf);
	free(crash_want);
	crash_buf = crash_want = NULL;
}

int
main(void)
{
	scratch_make("t-atomic");
	rnd_seed(0x2545f4914f6cdd1dULL);
	test_ignored_signal();
	test_commit();
	test_abort();
	test_failures();
	test_registry();
	test_exit_paths();
	test_crash_replace();
	scratch_remove();
	return done_testing();
}
