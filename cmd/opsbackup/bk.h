/*
 * bk.h - opsbackup's parts: sets, manifests, seals, destinations, the
 * archive writer and reader
 * SPDX-License-Identifier: MIT
 *
 * A generation of set NAME is three files in the set's destination, with
 * ID the local time of the run as YYYYMMDDTHHMMSS:
 *
 *   NAME-ID.tar.zst        pax archive (extension per filter: .tar.gz,
 *                          .tar.xz, .tar)
 *   NAME-ID.manifest.tsv   one row per member (bk_manifest)
 *   NAME-ID.seal           the archive's and the manifest's size and
 *                          SHA-256, HMAC-SHA256-signed when a seal key
 *                          is configured (bk_seal)
 *
 * The seal is written last, after the archive has been re-read against
 * the manifest; a generation without a seal that checks is never listed,
 * restored or counted toward keep.  The seal is also what "list" trusts
 * without reading the archive: verify and restore read every byte.
 */
#ifndef BK_H
#define BK_H

#include "compat.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "compress.h"
#include "conf.h"
#include "diag.h"

#define BK_SHA_HEX 65 /* 64 hex digits and NUL */
#define BK_ID_LEN 15  /* YYYYMMDDTHHMMSS */

/* ---- set.c: one [backup "NAME"] section ---- */

struct bk_set {
	char *name;
	char **source;   /* absolute paths, as configured */
	size_t nsource;
	char **exclude;  /* globs */
	size_t nexclude;
	char *pre;       /* shell command or NULL */
	char *dest;      /* as configured */
	long keep;
	enum ops_z z;
	int level;       /* 0: the filter's default */
	int64_t max_age_ms;
	/* dest parsed */
	bool sftp;
	char *host, *user; /* sftp only; user NULL: [ssh] user or login */
	int port;
	char *dir;       /* local directory or remote path */
};

/* Read set name from c; -1 with err (code 2, naming file and line). */
int bk_set_load(struct bk_set *s, const struct ops_conf *c, const char *name,
    struct ops_err *err) OPS_WUR;
void bk_set_release(struct bk_set *s);
/* Is path (absolute, as walked) excluded by one of the set's globs?  A
 * glob with a '/' matches the whole path, one without matches the last
 * component. */
bool bk_set_excluded(const struct bk_set *s, const char *path);
/* ".tar.zst" and friends */
const char *bk_ext(enum ops_z z);

/* ---- manifest.c: NAME-ID.manifest.tsv ---- */

enum bk_type { BK_FILE, BK_DIR, BK_SYMLINK, BK_HARDLINK, BK_OTHER };

struct bk_ment {
	char *path;       /* as in the archive, no leading '/' */
	enum bk_type type;
	unsigned mode;    /* permission bits with setuid/setgid/sticky */
	int64_t uid, gid;
	uint64_t size;
	int64_t mtime;    /* seconds */
	char sha[BK_SHA_HEX]; /* regular files and hard links, else "" */
	char *target;     /* symlink or hard-link target, else NULL */
	bool changed;     /* changed while it was read */
	bool seen;        /* verify/restore: found in the archive */
};

struct bk_manifest {
	struct bk_ment *v;
	size_t n, cap;
	struct bk_ment **sorted; /* by path, for bk_manifest_find */
	long *lines;      /* line of each v[i] in the file (0 if built) */
};

void bk_manifest_init(struct bk_manifest *m);
void bk_manifest_release(struct bk_manifest *m);
/* Append a copy of e (path and target copied). */
void bk_manifest_add(struct bk_manifest *m, const struct bk_ment *e);
/* The whole file (header and rows) into out. */
int bk_manifest_format(const struct bk_manifest *m, struct ops_buf *out)
    OPS_WUR;
/* The header line, and one row line, appended to out. */
int bk_manifest_header(struct ops_buf *out) OPS_WUR;
int bk_manifest_line(const struct bk_ment *e, struct ops_buf *out) OPS_WUR;

/* Where each column is, from a header line. */
struct bk_mcols {
	int at[10];
	int ncols;
};
/* Read a header line (no '\n'; changed in place); -1 with *why. */
int bk_manifest_cols(char *header, struct bk_mcols *c, const char **why)
    OPS_WUR;
/* Read one row line (no '\n'; unescaped in place: e's strings point
 * into it); -1 with *why. */
int bk_manifest_row(const struct bk_mcols *c, char *line, struct bk_ment *e,
    const char **why) OPS_WUR;
/* Parse text (name for messages): -1 with err (code 2, name:line) on any
 * malformed row, a duplicate path or a missing column. */
int bk_manifest_parse(struct bk_manifest *m, const char *name,
    const char *text, size_t len, struct ops_err *err) OPS_WUR;
/* After add or parse: sort the index; then find works. */
void bk_manifest_index(struct bk_manifest *m);
struct bk_ment *bk_manifest_find(const struct bk_manifest *m,
    const char *path);
const char *bk_type_name(enum bk_type t);

/* ---- seal.c: NAME-ID.seal ---- */

struct bk_seal {
	char set[256];
	char id[BK_ID_LEN + 1];
	char archive[512], manifest[512]; /* file names */
	uint64_t archive_size, manifest_size;
	char archive_sha[BK_SHA_HEX], manifest_sha[BK_SHA_HEX];
	uint64_t files, bytes; /* members that are files, their bytes */
	int64_t created;
	bool keyed;            /* carries an HMAC */
};

/* The seal's text, signed with key (NULL: "hmac none"). */
int bk_seal_format(const struct bk_seal *s, const struct ops_buf *key,
    struct ops_buf *out) OPS_WUR;
/*
 * Parse and check a seal (name for messages).  With key, the HMAC must be
 * there and right; without, a seal that carries one is accepted on its
 * hashes alone.  -1 with err (code 1: "not a valid seal: why").
 */
int bk_seal_parse(struct bk_seal *s, const char *name, const char *text,
    size_t len, const struct ops_buf *key, struct ops_err *err) OPS_WUR;
/* Read [backup] seal-key-file (refused when group/world-readable) into
 * key; no key configured: key empty, 0. */
int bk_seal_key(const struct ops_conf *c, struct ops_buf *key,
    struct ops_err *err) OPS_WUR;

/* ---- sha.c: SHA-256 over libcrypto ---- */

struct bk_sha;
struct bk_sha *bk_sha_new(void);
void bk_sha_update(struct bk_sha *h, const void *p, size_t n);
/* Finish into hex and start over. */
void bk_sha_hex(struct bk_sha *h, char hex[BK_SHA_HEX]);
void bk_sha_free(struct bk_sha *h);
void bk_sha_buf(const void *p, size_t n, char hex[BK_SHA_HEX]);

/* ---- dest.c: where generations are kept (directory or SFTP) ---- */

struct bk_dest;

struct bk_gen {
	char id[BK_ID_LEN + 1];
	struct bk_seal seal;
	bool sealed;     /* a seal file is there (valid or not) */
	bool valid;      /* seal checks and both files are there */
	char why[1400];  /* when not valid */
};

/*
 * Open the set's destination (creating a local directory, 0700, when
 * missing; connecting over SSH for sftp).  -1 with err.
 */
int bk_dest_open(struct bk_dest **out, const struct bk_set *s,
    const struct ops_conf *c, bool accept_new, const char *datadir,
    struct ops_err *err) OPS_WUR;
void bk_dest_close(struct bk_dest *d);
/*
 * Every generation of the set found in the destination, oldest first,
 * valid or not (a seal that does not check, or an archive or manifest
 * left without a seal by a killed run).  key: the seal key or NULL.
 */
int bk_dest_gens(struct bk_dest *d, const struct ops_buf *key,
    struct bk_gen **out, size_t *n, struct ops_err *err) OPS_WUR;
/* Open name for reading: a local descriptor (for SFTP, a downloaded
 * copy in a private temporary file, already unlinked).  -1 with err. */
int bk_dest_fetch(struct bk_dest *d, const char *name, int *fd,
    struct ops_err *err) OPS_WUR;
/* Publish the local file at path under name (must not exist yet): local
 * destination, rename (same directory: see bk_dest_staging); SFTP,
 * upload to a temporary and rename, then remove path. */
int bk_dest_put(struct bk_dest *d, const char *path, const char *name,
    struct ops_err *err) OPS_WUR;
/* Remove name; a missing one is not an error. */
int bk_dest_remove(struct bk_dest *d, const char *name, struct ops_err *err)
    OPS_WUR;
/* Directory where the run writes its temporaries (the destination
 * itself when local, so that bk_dest_put is a rename; else the
 * staging directory given at open). */
const char *bk_dest_staging(const struct bk_dest *d);
/* Every name in the destination (for leftovers); owned by d. */
int bk_dest_names(struct bk_dest *d, char ***names, size_t *n,
    struct ops_err *err) OPS_WUR;
/* Make the destination's directory durable after renames (local). */
int bk_dest_sync(struct bk_dest *d, struct ops_err *err) OPS_WUR;
/* "sftp://host/path" or the directory, for messages */
const char *bk_dest_label(const struct bk_dest *d);

/* ---- read.c: what a read of an archive found ---- */

struct bk_rres {
	uint64_t files, members;
	uint64_t extracted;     /* members written to the destination */
	char sha[BK_SHA_HEX];   /* of the archive's bytes as read */
	uint64_t size;
};

/* ---- the check of a new archive while it is written (read.c) ---- */

/*
 * The writer and the checker of one run share this: the archive bytes on
 * the file so far, and the manifest lines not yet checked.  The checker
 * reads the archive file behind the writer and compares each member with
 * the next manifest line; the writer never waits for the checker (the
 * lines it is ahead by are bounded by what the compressor holds back).
 */
struct bk_follow {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t written; /* bytes of the archive on the file */
	bool done;        /* the writer is finished (or gave up) */
	bool failed;      /* the checker found a fault: stop writing */
	char **rows;      /* manifest lines (no '\n'), oldest at head */
	size_t head, n, cap;
};

void bk_follow_init(struct bk_follow *f);
void bk_follow_destroy(struct bk_follow *f);
/* writer: n more bytes are on the file */
void bk_follow_wrote(struct bk_follow *f, uint64_t n);
/* writer: one more manifest line (copied; without its '\n') */
void bk_follow_row(struct bk_follow *f, const char *line, size_t len);
/* writer: finished, or gave up */
void bk_follow_done(struct bk_follow *f);
/* did the checker give up? */
bool bk_follow_failed(struct bk_follow *f);

/*
 * The checker: read the archive on fd as f says it grows, checking every
 * member against the manifest lines in order (header: the manifest's
 * header line, no '\n'), to the end of the file.  -1 with err (code 1)
 * naming the member; r gets the SHA-256 and size of every byte read.
 */
int bk_read_follow(int fd, const char *name, struct bk_follow *f,
    const char *header, struct bk_rres *r, struct ops_err *err) OPS_WUR;

/* ---- write.c: one generation's archive and manifest ---- */

struct bk_wres {
	uint64_t files, bytes;  /* regular files stored, their bytes */
	uint64_t stored;        /* archive bytes */
	uint64_t nchanged;      /* changed while read */
	char first_changed[512];
	uint64_t nskipped;      /* vanished or unreadable (reported) */
};

/* Where the manifest rows go, in archive order. */
struct bk_sink {
	int (*row)(void *ctx, const struct bk_ment *e, struct ops_err *err);
	void *ctx;
};

/*
 * Walk the set's sources in name order and write the archive to the open
 * descriptor afd (synced), each member's manifest row to sink, telling f
 * (may be NULL) as the archive grows.  since >= 0: a regular file
 * modified at or after since that is empty fails the run (a pre command
 * that produced an empty dump).  progress: a line on stderr.  -1 with err
 * (code 3 for I/O, 1 for an empty dump or a failed check).
 */
int bk_write(const struct bk_set *s, int afd, int64_t since, bool progress,
    const struct bk_sink *sink, struct bk_follow *f, struct bk_wres *r,
    struct ops_err *err) OPS_WUR;

/* ---- read.c: verify and restore ---- */

enum {
	BK_R_OWNER = 1 << 0,    /* restore owners (root only) */
};

/*
 * Read the archive on fd and check every member against m (type, size,
 * SHA-256 of regular files), and that every manifest row was seen.  With
 * destfd >= 0, extract into that directory as well (secure flags; only
 * members under one of paths when npaths > 0), recording every created
 * path in created (relative to dest) so a failed attempt can be undone.
 * -1 with err (code 1) naming the bad member; the archive's SHA-256 is
 * in r either way once the whole stream was read.
 */
int bk_read(int fd, const char *name, struct bk_manifest *m, int destfd,
    const char *destpath, char *const *paths, size_t npaths,
    unsigned flags, struct ops_buf *created, struct bk_rres *r,
    struct ops_err *err) OPS_WUR;

/*
 * As bk_read, with the manifest read line by line from mfd in step with
 * the archive (its rows are in member order), so that memory does not
 * grow with the number of members.  msha and msize get the hash and size
 * of the whole manifest file, which the caller compares with the seal.
 */
int bk_read_stream(int fd, const char *name, int mfd, const char *mname,
    char msha[BK_SHA_HEX], uint64_t *msize, int destfd, const char *destpath,
    char *const *paths, size_t npaths, unsigned flags,
    struct ops_buf *created, struct bk_rres *r, struct ops_err *err) OPS_WUR;

#endif
