/*
 * read.c - read a generation back: verify, and restore with checks
 * SPDX-License-Identifier: MIT
 *
 * One reader serves verify, the re-read before sealing, restore and
 * drill.  Every byte of the archive goes through SHA-256 on its way to
 * libarchive (and the rest of the file after the end of the archive is
 * read too), so the archive's hash is known at the end of the same pass.
 * Every member must be in the manifest with the same type, mode, owner,
 * mtime and size, and every regular file's SHA-256 must match: libarchive's
 * zstd frames carry no checksum (PITFALLS.md), so this is the integrity
 * check, and it is never skipped.
 *
 * Extraction goes through archive_write_disk with the secure flags
 * (no "..", no absolute paths, no writing through symlinks) from inside
 * the destination (fchdir), after our own check of each path: a member
 * whose name is absolute, holds a ".." or an empty component, or is not
 * in the manifest stops the restore before anything is written for it.
 * Owners are restored only when asked (BK_R_OWNER) and running as root.
 */
#include "compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "exitcode.h"
#include "mem.h"

#include "bk.h"

#define RBUF (1024 * 1024)

struct in {
	int fd;
	struct bk_sha *sha;
	uint64_t size;
	char *buf;
	int rerrno;
};

static la_ssize_t
in_read(struct archive *a, void *ctx, const void **p)
{
	struct in *in = ctx;
	ssize_t n;

	do
		n = read(in->fd, in->buf, RBUF);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		in->rerrno = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	bk_sha_update(in->sha, in->buf, (size_t)n);
	in->size += (uint64_t)n;
	*p = in->buf;
	return n;
}

/* Read the rest of the file into the hash. */
static int
drain(struct in *in)
{
	const void *p;
	la_ssize_t n;

	while ((n = in_read(NULL, in, &p)) > 0)
		;
	return n < 0 ? -1 : 0;
}

/* A path we are willing to create under the destination. */
static const char *
bad_path(const char *p)
{
	const char *c = p;

	if (*p == '\0')
		return "empty name";
	if (*p == '/')
		return "absolute path";
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0)
			return "empty path component";
		if ((n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return "\".\" or \"..\" in the path";
		c += n;
		if (*c == '/')
			c++;
	}
	return NULL;
}

static bool
selected(const char *path, char *const *paths, size_t npaths)
{
	size_t i;

	if (npaths == 0)
		return true;
	for (i = 0; i < npaths; i++) {
		size_t n = strlen(paths[i]);

		if (strncmp(path, paths[i], n) == 0 &&
		    (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

static enum bk_type
entry_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e) != NULL)
		return BK_HARDLINK;
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return BK_FILE;
	case AE_IFDIR:
		return BK_DIR;
	case AE_IFLNK:
		return BK_SYMLINK;
	default:
		return BK_OTHER;
	}
}

/* Compare the header with the manifest row; a reason or NULL. */
static const char *
header_differs(struct archive_entry *e, const struct bk_ment *me,
    enum bk_type t)
{
	if (t != me->type)
		return "type differs from the manifest";
	if ((archive_entry_mode(e) & 07777) != me->mode)
		return "mode differs from the manifest";
	if (archive_entry_uid(e) != me->uid ||
	    archive_entry_gid(e) != me->gid)
		return "owner differs from the manifest";
	if (archive_entry_mtime(e) != me->mtime)
		return "mtime differs from the manifest";
	if (t == BK_FILE && (uint64_t)archive_entry_size(e) != me->size)
		return "size differs from the manifest";
	if (t == BK_SYMLINK &&
	    (archive_entry_symlink(e) == NULL || me->target == NULL ||
		strcmp(archive_entry_symlink(e), me->target) != 0))
		return "symlink target differs from the manifest";
	if (t == BK_HARDLINK && (me->target == NULL ||
				    strcmp(archive_entry_hardlink(e),
					me->target) != 0))
		return "hard-link target differs from the manifest";
	return NULL;
}

static void
record(struct ops_buf *created, const char *path)
{
	if (created &&
	    (ops_buf_add(created, path, strlen(path) + 1) < 0))
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
}

int
bk_read(int fd, const char *name, struct bk_manifest *m, int destfd,
    const char *destpath, char *const *paths, size_t npaths, unsigned flags,
    struct ops_buf *created, struct bk_rres *r, struct ops_err *err)
{
	struct archive *a = archive_read_new(), *x = NULL;
	struct archive_entry *e;
	struct bk_sha *fsha = bk_sha_new();
	struct ops_buf pbuf;
	struct in in;
	int oldcwd = -1, rc = -1, st;
	size_t i;

	memset(r, 0, sizeof(*r));
	memset(&in, 0, sizeof(in));
	ops_buf_init(&pbuf, 0);
	in.fd = fd;
	in.sha = bk_sha_new();
	in.buf = ops_xmalloc(RBUF);
	if (a == NULL)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	for (i = 0; i < m->n; i++)
		m->v[i].seen = false;
	/* pax only, through the filters we write; nothing that forks */
	archive_read_support_format_tar(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	if (archive_read_open(a, &in, NULL, in_read, NULL) != ARCHIVE_OK) {
		ops_err_set(err, OPS_EXIT_FOUND, "%s: cannot read: %s", name,
		    archive_error_string(a));
		goto out;
	}
	if (destfd >= 0) {
		int xf = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
			 ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_XATTR |
			 ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			 ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			 ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

		if ((flags & BK_R_OWNER) && geteuid() == 0)
			xf |= ARCHIVE_EXTRACT_OWNER;
		x = archive_write_disk_new();
		if (x == NULL)
			ops_fatal(OPS_EXIT_FAIL, "out of memory");
		archive_write_disk_set_options(x, xf);
		archive_write_disk_set_standard_lookup(x);
		oldcwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (oldcwd < 0 || fchdir(destfd) < 0) {
			ops_err_set(err, OPS_EXIT_FAIL, "%s:", destpath);
			goto out;
		}
	}
	for (;;) {
		const char *path, *why;
		struct bk_ment *me;
		enum bk_type t;
		bool extract;

		st = archive_read_next_header(a, &e);
		if (st == ARCHIVE_EOF)
			break;
		if (st < ARCHIVE_WARN) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: damaged after member %llu: %s", name,
			    (unsigned long long)r->members,
			    archive_error_string(a));
			goto out;
		}
		path = archive_entry_pathname(e);
		if (path) {
			/* tar writes directories as "name/" */
			size_t pl = strlen(path);

			if (pl > 1 && path[pl - 1] == '/') {
				ops_buf_reset(&pbuf);
				if (ops_buf_add(&pbuf, path, pl - 1) < 0)
					ops_fatal(OPS_EXIT_FAIL, "out of memory");
				path = ops_buf_cstr(&pbuf);
			}
		}
		if (path == NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %llu has no name", name,
			    (unsigned long long)r->members + 1);
			goto out;
		}
		r->members++;
		if ((why = bad_path(path)) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s refused: %s", name, path, why);
			goto out;
		}
		t = entry_type(e);
		if (t == BK_HARDLINK &&
		    (why = bad_path(archive_entry_hardlink(e))) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s refused: hard-link target: %s",
			    name, path, why);
			goto out;
		}
		me = bk_manifest_find(m, path);
		if (me == NULL || me->seen) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s %s", name, path,
			    me ? "appears twice"
			       : "is not in the manifest");
			goto out;
		}
		me->seen = true;
		if ((why = header_differs(e, me, t)) != NULL) {
			ops_err_set(err, OPS_EXIT_FOUND, "%s: member %s: %s",
			    name, path, why);
			goto out;
		}
		extract = x && selected(path, paths, npaths);
		if (extract) {
			st = archive_write_header(x, e);
			if (st < ARCHIVE_WARN) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: cannot restore: %s", name,
				    path, archive_error_string(x));
				goto out;
			}
			if (st == ARCHIVE_WARN)
				ops_warn("%s: %s", path,
				    archive_error_string(x));
			record(created, path);
		}
		if (t == BK_FILE) {
			const void *buf;
			size_t size;
			la_int64_t off;
			char hex[BK_SHA_HEX];

			while ((st = archive_read_data_block(a, &buf, &size,
				    &off)) == ARCHIVE_OK) {
				bk_sha_update(fsha, buf, size);
				if (extract &&
				    archive_write_data_block(x, buf, size,
					off) < ARCHIVE_WARN) {
					ops_err_set(err, OPS_EXIT_FOUND,
					    "%s: member %s: cannot write: %s",
					    name, path,
					    archive_error_string(x));
					goto out;
				}
			}
			if (st != ARCHIVE_EOF) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: damaged: %s", name, path,
				    archive_error_string(a));
				goto out;
			}
			bk_sha_hex(fsha, hex);
			if (strcmp(hex, me->sha) != 0) {
				ops_err_set(err, OPS_EXIT_FOUND,
				    "%s: member %s: SHA-256 mismatch (the "
				    "content is not what was backed up)",
				    name, path);
				goto out;
			}
			r->files++;
		}
		if (extract && archive_write_finish_entry(x) < ARCHIVE_WARN) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s: cannot restore: %s", name, path,
			    archive_error_string(x));
			goto out;
		}
	}
	if (x && archive_write_close(x) < ARCHIVE_WARN) {
		ops_err_set(err, OPS_EXIT_FOUND, "%s: cannot finish: %s", name,
		    archive_error_string(x));
		goto out;
	}
	for (i = 0; i < m->n; i++)
		if (!m->v[i].seen) {
			ops_err_set(err, OPS_EXIT_FOUND,
			    "%s: member %s is in the manifest but not in the "
			    "archive (truncated?)",
			    name, m->v[i].path);
			goto out;
		}
	if (drain(&in) < 0) {
		errno = in.rerrno;
		ops_err_set(err, OPS_EXIT_FAIL, "%s: cannot read:", name);
		goto out;
	}
	rc = 0;
out:
	if (rc < 0 && in.rerrno && err->code == OPS_EXIT_FOUND) {
		errno = in.rerrno;
		ops_err_set(err, OPS_EXIT_FAIL, "%s: cannot read:", name);
	}
	bk_sha_hex(in.sha, r->sha);
	r->size = in.size;
	if (x) {
		archive_write_free(x); /* runs the directory fix-ups */
	}
	if (oldcwd >= 0) {
		if (fchdir(oldcwd) < 0)
			ops_fatal(OPS_EXIT_FAIL, "cannot return to the "
						 "working directory:");
		close(oldcwd);
	}
	archive_read_free(a);
	bk_sha_free(fsha);
	ops_buf_release(&pbuf);
	bk_sha_free(in.sha);
	free(in.buf);
	return rc;
}
