/*
 * scratch.c - a scratch directory and small helpers for unit tests
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"
#include "scratch.h"
#include "tap.h"

char scratch[256];

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
scratch_make(const char *name)
{
	const char *t = getenv("TMPDIR");

	if (snprintf(scratch, sizeof(scratch), "%s/ops-%s.XXXXXX",
		t && *t ? t : "/tmp", name) >= (int)sizeof(scratch))
		bail_out("TMPDIR too long");
	if (mkdtemp(scratch) == NULL)
		bail_out("mkdtemp %s: %s", scratch, strerror(errno));
}

void
scratch_remove(void)
{
	nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
spath(const char *name)
{
	static char bufs[16][PATH_MAX];
	static int k;

	k = (k + 1) % 16;
	if (snprintf(bufs[k], sizeof(bufs[k]), "%s/%s", scratch, name) >=
	    (int)sizeof(bufs[k]))
		bail_out("path too long");
	return bufs[k];
}

void
put(const char *path, const char *s)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ops_write_all(fd, s, strlen(s)) < 0 || close(fd) < 0)
		bail_out("write %s: %s", path, strerror(errno));
}

const char *
slurp(const char *path, const char *missing)
{
	static struct ops_buf b;
	struct ops_err err;

	ops_buf_release(&b);
	ops_buf_init(&b, 0);
	if (ops_read_file(path, 64 << 20, &b, &err) < 0)
		return missing;
	return ops_buf_cstr(&b);
}

int
mode_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return -1;
	return (int)(sb.st_mode & 07777);
}

int
wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			bail_out("waitpid: %s", strerror(errno));
	}
	return status;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

void
rnd_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

int
run_prog(const char *const *argv, const char *in, const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, e;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(
		&fa, 0, in ? in : "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
		O_WRONLY | O_CREAT | O_TRUNC, 0644) != 0 ||
	    posix_spawn_file_actions_addopen(
		&fa, 2, "/dev/null", O_WRONLY, 0) != 0)
		bail_out("posix_spawn_file_actions");
	e = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	if (e != 0)
		bail_out("cannot run %s: %s", argv[0], strerror(e));
	st = wait_status(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
