/*
 * t-store.c - unit tests for lib/store: header, modes, torn tails, locking
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "store.h"
#include "scratch.h"
#include "tap.h"
#include "tsv.h"

static const char *const cols3[] = {"ts", "id", "event"};
static const char *const cols2[] = {"a", "b"};

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_create_and_append(void)
{
	struct ops_store st;
	struct ops_err err;
	const char *dir = spath("data/sub"), *file;

	ops_err_clear(&err);
	umask(022);
	ok(ops_store_open(&st, dir, "tickets.tsv", cols3, 3, 0640, &err) == 0,
	    "open creates the missing directories and the store");
	file = spath("data/sub/tickets.tsv");
	is_str(st.path, file, "store path is DIR/NAME");
	is_int(mode_of(spath("data")), 0750, "directories made 0750");
	is_str(slurp(file, ""), "", "no header before the lock");
	ok(ops_store_lock(&st, 1000, &err) == 0 && st.locked, "lock");
	is_str(slurp(file, ""), "ts\tid\tevent\n", "lock writes the header");
	ok(ops_store_append(&st, "1\tt1\topen\n", 10, &err) == 0, "append");
	ok(ops_store_append(&st, "", 0, &err) == 0, "append of nothing");
	ops_store_close(&st);
	ok(st.fd == -1 && st.path == NULL && !st.locked, "close resets");
	ops_store_close(&st);
	ok(1, "close twice is safe");

	ok(ops_store_open(&st, dir, "tickets.tsv", cols3, 3, 0640, &err) == 0 &&
	        ops_store_lock(&st, 1000, &err) == 0,
	    "reopen and lock");
	ok(ops_store_append(&st, "2\tt1\tclose\n3\tt2\topen\n", 21, &err) == 0,
	    "append a batch of two lines");
	ops_store_close(&st);
	is_str(slurp(file, ""),
	    "ts\tid\tevent\n1\tt1\topen\n2\tt1\tclose\n3\tt2\topen\n",
	    "header written once, batches appended");
	is_int(mode_of(file), 0640, "store mode 0640 under umask 022");

	ops_err_clear(&err);
	ok(ops_store_open(&st, dir, "tickets.tsv", cols3, 3, 0640, &err) == 0,
	    "open");
	ok(ops_store_append(&st, "4\tx\ty\n", 6, &err) == -1 && err.code == 3,
	    "append without the lock fails, code 3 (%s)", err.msg);
	ok(ops_store_lock(&st, 0, &err) == 0, "lock with timeout 0");
	ops_err_clear(&err);
	ok(ops_store_append(&st, "4\tx\ty", 5, &err) == -1 && err.code == 3,
	    "append of a batch without final newline fails (%s)", err.msg);
	ops_store_unlock(&st);
	ok(!st.locked && ops_store_append(&st, "4\tx\ty\n", 6, &err) == -1,
	    "append after unlock fails");
	ops_store_close(&st);
	is_str(slurp(file, ""),
	    "ts\tid\tevent\n1\tt1\topen\n2\tt1\tclose\n3\tt2\topen\n",
	    "refused appends wrote nothing");
}

static void
test_modes(void)
{
	static const struct {
		mode_t umask;
		mode_t mode;
		int want;
		int dirwant;
	} rows[] = {
	    {022, 0640, 0640, 0750},
	    {077, 0640, 0600, 0700},
	    {022, 0600, 0600, 0750},
	    {027, 0640, 0640, 0750},
	    {0, 0640, 0640, 0750},
	};
	struct ops_store st;
	struct ops_err err;
	char name[64], dir[64];
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		snprintf(name, sizeof(name), "m%zu.tsv", i);
		snprintf(dir, sizeof(dir), "modes%zu", i);
		umask(rows[i].umask);
		ok(ops_store_open(&st, spath(dir), name, cols2, 2, rows[i].mode,
		       &err) == 0 &&
		        ops_store_lock(&st, 0, &err) == 0,
		    "open %s", name);
		ops_store_close(&st);
		snprintf(name, sizeof(name), "modes%zu/m%zu.tsv", i, i);
		is_int(mode_of(spath(name)), rows[i].want,
		    "mode %04o under umask %03o is %04o", (int)rows[i].mode,
		    (int)rows[i].umask, rows[i].want);
		is_int(mode_of(spath(dir)), rows[i].dirwant,
		    "directory under umask %03o is %04o", (int)rows[i].umask,
		    rows[i].dirwant);
	}
	umask(022);
}

static void
test_torn_tail(void)
{
	const char *file = spath("torn.tsv");
	struct ops_store st;
	struct ops_err err;

	put(file, "a\tb\n1\t2\n3");
	ok(ops_store_open(&st, scratch, "torn.tsv", cols2, 2, 0640, &err) ==
	            0 &&
	        ops_store_lock(&st, 0, &err) == 0,
	    "open a store with a torn tail");
	ok(ops_store_append(&st, "5\t6\n", 4, &err) == 0, "append");
	is_str(slurp(file, ""), "a\tb\n1\t2\n3\n5\t6\n",
	    "append adds a newline before the torn tail's successor");
	ok(ops_store_append(&st, "7\t8\n", 4, &err) == 0, "append again");
	is_str(slurp(file, ""), "a\tb\n1\t2\n3\n5\t6\n7\t8\n",
	    "no newline added when the file ends in one");
	ops_store_close(&st);
}

static void
test_header_mismatch(void)
{
	const char *file = spath("old.tsv");
	struct ops_store st;
	struct ops_err err;
	int fd;

	put(file, "a\tb\n1\t2\n");
	ops_err_clear(&err);
	ok(ops_store_open(&st, scratch, "old.tsv", cols3, 3, 0640, &err) == 0,
	    "open a store with another header");
	ok(ops_store_lock(&st, 0, &err) == -1 && err.code == 2 &&
	        err.line == 1 && strcmp(err.file, file) == 0 && !st.locked,
	    "header mismatch refused: code 2 at FILE:1");
	is_str(err.msg, "header is \"a\\tb\", expected \"ts\\tid\\tevent\"",
	    "header mismatch message");
	fd = open(file, O_RDONLY | O_CLOEXEC);
	ok(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0,
	    "the lock was released");
	if (fd >= 0)
		close(fd);
	ok(ops_store_append(&st, "1\t2\t3\n", 6, &err) == -1,
	    "no append after a refused lock");
	ops_store_close(&st);
	is_str(slurp(file, ""), "a\tb\n1\t2\n", "file untouched");

	/* our header plus more columns is another header, too */
	put(file, "ts\tid\tevent\tmore\n");
	ok(ops_store_open(&st, scratch, "old.tsv", cols3, 3, 0640, &err) == 0 &&
	        ops_store_lock(&st, 0, &err) == -1 && err.code == 2,
	    "a header with an extra column is refused");
	is_str(err.msg,
	    "header is \"ts\\tid\\tevent\\tmore\", expected "
	    "\"ts\\tid\\tevent\"",
	    "its message");
	ops_store_close(&st);

	put(file, "ts\tid\tevent");
	ok(ops_store_open(&st, scratch, "old.tsv", cols3, 3, 0640, &err) == 0 &&
	        ops_store_lock(&st, 0, &err) == -1 && err.code == 2,
	    "a torn header is refused");
	is_str(err.msg,
	    "header is \"ts\\tid\\tevent\" (no newline), expected "
	    "\"ts\\tid\\tevent\"",
	    "its message");
	ops_store_close(&st);

	put(file, "ts\tid\tevent\n");
	ok(ops_store_open(&st, scratch, "old.tsv", cols3, 3, 0640, &err) == 0 &&
	        ops_store_lock(&st, 0, &err) == 0,
	    "the same header is accepted");
	ops_store_close(&st);
}

static void
test_lock_timeout(void)
{
	const char *file = spath("locked.tsv");
	struct ops_store st;
	struct ops_err err;
	long long t0, dt;
	int holder, pfd[2], status;
	char c;
	pid_t pid;

	ok(ops_store_open(&st, scratch, "locked.tsv", cols2, 2, 0640, &err) ==
	        0,
	    "open");
	holder = open(file, O_RDONLY | O_CLOEXEC);
	if (holder < 0 || flock(holder, LOCK_EX | LOCK_NB) < 0)
		bail_out("holder: %s", strerror(errno));
	ops_err_clear(&err);
	t0 = ms_now();
	ok(ops_store_lock(&st, 150, &err) == -1 && err.code == 3 && !st.locked,
	    "lock held by another descriptor: -1, code 3");
	dt = ms_now() - t0;
	ok(dt >= 140, "waited for the timeout (%lld ms)", dt);
	ok(strstr(err.msg, "is locked by another run") != NULL &&
	        strstr(err.msg, file) == err.msg,
	    "message: %s", err.msg);
	ops_err_clear(&err);
	ok(ops_store_lock(&st, 0, &err) == -1 && err.code == 3,
	    "timeout 0: one try");
	close(holder);
	ok(ops_store_lock(&st, 0, &err) == 0,
	    "free again once the holder closed");
	ops_store_unlock(&st);

	/* a child holds the lock for 200 ms: we wait for it */
	if (pipe2(pfd, O_CLOEXEC) < 0)
		bail_out("pipe");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || flock(fd, LOCK_EX) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		usleep(200 * 1000);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		bail_out("child did not lock");
	close(pfd[0]);
	t0 = ms_now();
	ok(ops_store_lock(&st, -1, &err) == 0 && st.locked,
	    "timeout -1 waits until the other run is done");
	dt = ms_now() - t0;
	ok(dt >= 100, "and it did wait (%lld ms)", dt);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "holder child");
	is_str(slurp(file, ""), "a\tb\n", "header written after the wait");
	ops_store_close(&st);
}

static void
test_short_write(void)
{
	const char *file = spath("short.tsv");
	struct stat sb;
	int status;
	pid_t pid;

	put(file, "a\tb\n1\t2\n3");
	if (stat(file, &sb) < 0)
		bail_out("stat");
	pid = fork();
	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		struct ops_store st;
		struct ops_err err;
		struct rlimit rl;
		static char batch[200];

		memset(batch, 'x', sizeof(batch));
		batch[sizeof(batch) - 1] = '\n';
		batch[1] = '\t';
		signal(SIGXFSZ, SIG_IGN);
		if (ops_store_open(
		        &st, scratch, "short.tsv", cols2, 2, 0640, &err) < 0 ||
		    ops_store_lock(&st, 0, &err) < 0)
			_exit(2);
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = (rlim_t)sb.st_size + 50;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(3);
		if (ops_store_append(&st, batch, sizeof(batch), &err) != -1)
			_exit(4);
		if (err.code != 3 || strstr(err.msg, "short write") == NULL)
			_exit(5);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a short write (RLIMIT_FSIZE) fails with code 3 (child %d)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	is_str(slurp(file, ""), "a\tb\n1\t2\n3",
	    "the file is truncated back to its former content");
}

static void
test_open_errors(void)
{
	struct ops_store st;
	struct ops_err err;
	const char *bad[] = {"a", "B"}, *dup[] = {"a", "a"};

	put(spath("plain"), "x");
	ops_err_clear(&err);
	ok(ops_store_open(&st, spath("plain"), "s.tsv", cols2, 2, 0640, &err) ==
	            -1 &&
	        err.code == 3 && st.fd == -1 && st.path == NULL,
	    "directory is a file: code 3 (%s)", err.msg);
	ops_store_close(&st);
	ok(1, "close after a failed open is safe");

	if (symlink("plain", spath("link.tsv")) < 0)
		bail_out("symlink");
	ops_err_clear(&err);
	ok(ops_store_open(&st, scratch, "link.tsv", cols2, 2, 0640, &err) ==
	            -1 &&
	        err.code == 3,
	    "a symlink is refused (%s)", err.msg);
	is_str(slurp(spath("plain"), ""), "x", "the link target is untouched");

	if (mkfifo(spath("fifo.tsv"), 0600) < 0)
		bail_out("mkfifo");
	ops_err_clear(&err);
	ok(ops_store_open(&st, scratch, "fifo.tsv", cols2, 2, 0640, &err) ==
	            -1 &&
	        err.code == 3,
	    "a FIFO is refused without blocking (%s)", err.msg);
	if (mkdir(spath("dir.tsv"), 0700) < 0)
		bail_out("mkdir");
	ok(ops_store_open(&st, scratch, "dir.tsv", cols2, 2, 0640, &err) ==
	            -1 &&
	        err.code == 3,
	    "a directory is refused (%s)", err.msg);
	ok(ops_store_open(&st, scratch, "b.tsv", bad, 2, 0640, &err) == -1,
	    "bad column names are refused (%s)", err.msg);
	ok(ops_store_open(&st, scratch, "b.tsv", dup, 2, 0640, &err) == -1,
	    "duplicate column names are refused");
	ok(ops_store_open(&st, scratch, "b.tsv", dup, 0, 0640, &err) == -1,
	    "no columns is refused");
	ok(access(spath("b.tsv"), F_OK) == -1, "and no file was made");
	ok(ops_store_lock(&st, 0, &err) == -1, "lock of a closed store fails");
}

#define WRITERS 4
#define BATCHES 40

/* Child: append BATCHES batches of three lines, each under the lock. */
static OPS_NORETURN void
writer(int i)
{
	struct ops_store st;
	struct ops_err err;
	char line[200];
	int b, n;

	if (ops_store_open(&st, scratch, "conc.tsv", cols3, 3, 0640, &err) < 0)
		_exit(1);
	for (b = 0; b < BATCHES; b++) {
		n = snprintf(line, sizeof(line),
		    "%d\t%d\t0\n%d\t%d\t1\n%d\t%d\t2\n", i, b, i, b, i, b);
		if (ops_store_lock(&st, -1, &err) < 0 ||
		    ops_store_append(&st, line, (size_t)n, &err) < 0)
			_exit(2);
		ops_store_unlock(&st);
	}
	ops_store_close(&st);
	_exit(0);
}

static void
test_concurrent(void)
{
	const char *file = spath("conc.tsv");
	struct ops_tsv_reader r;
	struct ops_err err;
	int status, i, rc, bad = 0, rows = 0, failed = 0;
	long who = -1, batch = -1, k = 0;
	pid_t pids[WRITERS];

	for (i = 0; i < WRITERS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bail_out("fork");
		if (pids[i] == 0)
			writer(i);
	}
	for (i = 0; i < WRITERS; i++) {
		waitpid(pids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	is_int(failed, 0, "%d concurrent writers finished", WRITERS);
	if (ops_tsv_open(&r, file, 0, &err) < 0)
		bail_out("open: %s", err.msg);
	while ((rc = ops_tsv_next(&r, &err)) != 0) {
		if (rc != 1) {
			bad++;
			continue;
		}
		rows++;
		/* the three lines of a batch are together and in order */
		if (k == 0) {
			who = strtol(r.f[0], NULL, 10);
			batch = strtol(r.f[1], NULL, 10);
		} else if (strtol(r.f[0], NULL, 10) != who ||
		    strtol(r.f[1], NULL, 10) != batch) {
			bad++;
		}
		if (strtol(r.f[2], NULL, 10) != k)
			bad++;
		k = (k + 1) % 3;
	}
	ops_tsv_close(&r);
	is_int(rows, WRITERS * BATCHES * 3, "every line is there");
	is_int(bad, 0, "no interleaved or broken batch");
	ok(strncmp(slurp(file, ""), "ts\tid\tevent\n", 12) == 0 &&
	        strstr(slurp(file, "") + 1, "ts\tid") == NULL,
	    "one header");
}

int
main(void)
{
	scratch_make("t-store");
	test_create_and_append();
	test_modes();
	test_torn_tail();
	test_header_mismatch();
	test_lock_timeout();
	test_short_write();
	test_open_errors();
	test_concurrent();
	scratch_remove();
	return done_testing();
}
