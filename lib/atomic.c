/*
 * atomic.c - replace a file by rename, and the temporary-file registry
 * SPDX-License-Identifier: MIT
 *
 * The temporary is created by open(2) with O_CREAT|O_EXCL and the caller's
 * mode, so the kernel narrows the mode by the umask exactly as for any new
 * file; the umask never has to be read (umask(0) followed by umask(old)
 * would briefly give every other thread a zero umask).
 *
 * The registry is a fixed array, so the signal handler needs no locks and
 * no allocation: it only calls getpid(), unlink(), sigaction() and raise().
 * A slot is filled before its flag is set, and each slot records the pid
 * that registered it, so a forked child that exits does not remove its
 * parent's temporaries.  register/unregister are not thread-safe: call them
 * from one thread (commands are single-threaded where they write stores).
 */
#include "compat.h"

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"

static char temp_path[OPS_TEMP_MAX][PATH_MAX];
static pid_t temp_owner[OPS_TEMP_MAX];
static volatile sig_atomic_t temp_used[OPS_TEMP_MAX];
static bool installed;
static struct sigaction dfl_action;
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

/* Unlink every temporary this process registered.  Async-signal-safe. */
static void
unlink_all(bool forget)
{
	pid_t me = getpid();
	size_t i;

	for (i = 0; i < OPS_TEMP_MAX; i++) {
		if (!temp_used[i] || temp_owner[i] != me)
			continue;
		unlink(temp_path[i]);
		if (forget)
			temp_used[i] = 0;
	}
}

static void
on_signal(int sig)
{
	int saved = errno;

	unlink_all(false);
	/* die of the same signal, as if we had not caught it */
	sigaction(sig, &dfl_action, NULL);
	raise(sig);
	errno = saved;
}

static void
on_exit_cleanup(void)
{
	unlink_all(true);
}

/*
 * First use: atexit handler, and signal handlers for the signals whose
 * disposition is still the default.  An ignored signal stays ignored
 * (nohup), and a command that installs its own handler calls
 * ops_temp_cleanup() from it.
 */
static void
install(void)
{
	struct sigaction sa, old;
	size_t i;

	if (installed)
		return;
	installed = true;
	atexit(on_exit_cleanup);
	memset(&dfl_action, 0, sizeof(dfl_action));
	dfl_action.sa_handler = SIG_DFL;
	sigemptyset(&dfl_action.sa_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < OPS_ARRAY_SIZE(cleanup_signals); i++)
		sigaddset(&sa.sa_mask, cleanup_signals[i]);
	for (i = 0; i < OPS_ARRAY_SIZE(cleanup_signals); i++) {
		if (sigaction(cleanup_signals[i], NULL, &old) < 0)
			continue;
		if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

int
ops_temp_register(const char *path)
{
	size_t len = strlen(path), i;
	pid_t me = getpid();

	install();
	if (len >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < OPS_TEMP_MAX; i++) {
		if (temp_used[i] && temp_owner[i] == me)
			continue;
		temp_used[i] = 0; /* a slot of the parent, before fork */
		atomic_signal_fence(memory_order_seq_cst);
		memcpy(temp_path[i], path, len + 1);
		temp_owner[i] = me;
		atomic_signal_fence(memory_order_seq_cst);
		temp_used[i] = 1;
		return 0;
	}
	errno = EMFILE;
	return -1;
}

void
ops_temp_unregister(const char *path)
{
	pid_t me = getpid();
	size_t i;

	for (i = 0; i < OPS_TEMP_MAX; i++) {
		if (temp_used[i] && temp_owner[i] == me &&
		    strcmp(temp_path[i], path) == 0) {
			temp_used[i] = 0;
			return;
		}
	}
}

void
ops_temp_cleanup(void)
{
	unlink_all(true);
}

static void
release(struct ops_atomic *a)
{
	free(a->path);
	free(a->tmp);
	a->path = NULL;
	a->tmp = NULL;
	a->fd = -1;
}

/* Six random characters of [A-Za-z0-9] at s. */
static void
random_suffix(char *s)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned long counter;
	unsigned char rnd[6];
	struct timespec ts;
	unsigned long x;
	size_t i;

	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(rnd)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		x = (unsigned long)ts.tv_nsec ^
		    ((unsigned long)getpid() << 16) ^
		    (++counter * 2654435761UL);
		for (i = 0; i < sizeof(rnd); i++) {
			rnd[i] = (unsigned char)x;
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			rnd[i] ^= (unsigned char)(x >> 33);
		}
	}
	for (i = 0; i < sizeof(rnd); i++)
		s[i] = set[rnd[i] % (sizeof(set) - 1)];
}

int
ops_atomic_begin(
    struct ops_atomic *a, const char *path, mode_t mode, struct ops_err *err)
{
	const char *base;
	size_t dlen, blen;
	sigset_t block, old;
	int fd = -1, saved = 0, tries;
	size_t i;
	char *tmp, *suffix;

	a->path = NULL;
	a->tmp = NULL;
	a->fd = -1;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dlen = (size_t)(base - path);
	blen = strlen(base);
	if (blen == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EISDIR;
		return ops_err_at(
		    err, OPS_EXIT_FAIL, path, 0, "cannot replace:");
	}
	/* DIR/.NAME.XXXXXX */
	if (dlen + blen + 9 > PATH_MAX) {
		errno = ENAMETOOLONG;
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0,
		    "cannot create a temporary file beside it:");
	}
	/* kept in a at once, so it is never an unreachable block */
	tmp = a->tmp = ops_xmalloc(dlen + blen + 9);
	memcpy(tmp, path, dlen);
	tmp[dlen] = '.';
	memcpy(tmp + dlen + 1, base, blen);
	tmp[dlen + 1 + blen] = '.';
	suffix = tmp + dlen + blen + 2;
	suffix[6] = '\0';

	/*
	 * Register before creating, and keep the cleanup signals blocked
	 * until the registry and the file agree: a signal must neither leave
	 * our file behind nor remove someone else's file of the same name.
	 */
	sigemptyset(&block);
	for (i = 0; i < OPS_ARRAY_SIZE(cleanup_signals); i++)
		sigaddset(&block, cleanup_signals[i]);
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		random_suffix(suffix);
		sigprocmask(SIG_BLOCK, &block, &old);
		if (ops_temp_register(tmp) < 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			ops_err_at(err, OPS_EXIT_FAIL, path, 0,
			    "cannot register a temporary file:");
			free(tmp);
			a->tmp = NULL;
			return -1;
		}
		fd = open(tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0) {
			saved = errno;
			ops_temp_unregister(tmp);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (fd < 0 && saved != EEXIST)
			break;
	}
	if (fd < 0) {
		errno = saved;
		ops_err_at(err, OPS_EXIT_FAIL, tmp, 0, "cannot create:");
		free(tmp);
		a->tmp = NULL;
		return -1;
	}
	a->path = ops_xstrdup(path);
	a->fd = fd;
	return 0;
}

int
ops_atomic_write(
    struct ops_atomic *a, const void *p, size_t n, struct ops_err *err)
{
	if (a->tmp == NULL || a->fd < 0)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: no temporary file open (failed write or commit?)",
		    a->path ? a->path : "atomic write");
	if (ops_write_all(a->fd, p, n) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, a->tmp, 0, "cannot write:");
		/* a partial temporary must never be committed */
		close(a->fd);
		a->fd = -1;
		return -1;
	}
	return 0;
}

int
ops_atomic_commit(struct ops_atomic *a, struct ops_err *err)
{
	int fd = a->fd;

	if (a->tmp == NULL || fd < 0) {
		ops_err_set(err, OPS_EXIT_FAIL,
		    "%s: no temporary file open (after a failed write?)",
		    a->path ? a->path : "commit");
		ops_atomic_abort(a);
		return -1;
	}
	a->fd = -1;
	if (fsync(fd) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, a->tmp, 0, "cannot fsync:");
		close(fd);
		ops_atomic_abort(a);
		return -1;
	}
	if (close(fd) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, a->tmp, 0, "cannot close:");
		ops_atomic_abort(a);
		return -1;
	}
	if (rename(a->tmp, a->path) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, a->path, 0,
		    "cannot replace it with %s:", a->tmp);
		ops_atomic_abort(a);
		return -1;
	}
	/* a signal in between unlinks a name that no longer exists */
	ops_temp_unregister(a->tmp);
	free(a->tmp);
	a->tmp = NULL;
	if (ops_fsync_parent(a->path, err) < 0) {
		release(a);
		return -1;
	}
	release(a);
	return 0;
}

void
ops_atomic_abort(struct ops_atomic *a)
{
	int saved = errno;

	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp != NULL) {
		unlink(a->tmp);
		ops_temp_unregister(a->tmp);
	}
	release(a);
	errno = saved;
}
