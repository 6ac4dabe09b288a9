/*
 * compress.h - gzip, bzip2, xz and zstd in-process through libarchive
 * SPDX-License-Identifier: MIT
 *
 * Logs and backups are compressed without forking a compressor:
 * libarchive's "raw" format with one of its filters writes a plain
 * compressed stream (what gzip(1), bzip2(1), xz(1) or zstd(1) would write
 * and can read back), and its raw reader with the gzip, bzip2, xz and
 * zstd filters (never one that forks, never uudecode) reads
 * a plain or compressed file alike.  Nothing here prints.
 *
 * libarchive's zstd writer leaves out the frame checksum (PITFALLS.md):
 * callers that need integrity keep their own hash.
 */
#ifndef OPS_COMPRESS_H
#define OPS_COMPRESS_H

#include "compat.h"

#include <stdint.h>
#include <sys/types.h>

#include "diag.h"

enum ops_z {
	OPS_Z_NONE,
	OPS_Z_GZIP,
	OPS_Z_BZIP2,
	OPS_Z_XZ,
	OPS_Z_ZSTD,
};

/*
 * The compressor a logrotate "compresscmd" names: the last path component
 * of cmd, "gzip" (also "pigz"), "bzip2" (also "pbzip2", "lbzip2"), "xz"
 * (also "pixz"), "zstd" (also "pzstd").  -1 with err (code 2) naming the
 * supported ones otherwise.
 */
int ops_z_from_cmd(const char *cmd, enum ops_z *z, struct ops_err *err)
    OPS_WUR;

/* The usual extension with its dot: ".gz", ".bz2", ".xz", ".zst", "". */
const char *ops_z_ext(enum ops_z z);

/*
 * A compression level from logrotate "compressoptions" such as "-9" or
 * "-6 --rsyncable" (the first "-N" wins; other words are ignored and
 * listed in *ignored when not NULL, a static string); *level 0 when none
 * (each filter's default: gzip 6, bzip2 9, xz 6, zstd 3).  -1 with err
 * (code 2) for a level outside the filter's range.
 */
int ops_z_level(enum ops_z z, const char *options, int *level,
    const char **ignored, struct ops_err *err) OPS_WUR;

/*
 * Compress everything read from in_fd (to its end) into out_fd, with
 * filter z at level (0: default), then fsync(out_fd).  *in_bytes and
 * *out_bytes (either may be NULL) get the sizes.  -1 with err (code 3);
 * out_fd then holds garbage that the caller removes.
 */
int ops_z_compress_fd(int in_fd, int out_fd, enum ops_z z, int level,
    uint64_t *in_bytes, uint64_t *out_bytes, struct ops_err *err) OPS_WUR;

/*
 * As ops_z_compress_fd; with OPS_Z_NOSYNC in flags out_fd is not synced
 * (a caller that syncs many files at once with syncfs(2) does it).
 */
enum { OPS_Z_NOSYNC = 1 << 0 };
int ops_z_compress(int in_fd, int out_fd, enum ops_z z, int level,
    unsigned flags, uint64_t *in_bytes, uint64_t *out_bytes,
    struct ops_err *err) OPS_WUR;

/*
 * A streaming compressor: bytes given to ops_zw_write come out compressed
 * through sink (0, or -1 with errno), in blocks of up to 1 MiB.  level 0:
 * the filter's default.  ops_zw_close flushes, gives the byte counts (in,
 * out; either may be NULL) and frees; ops_zw_abort frees without
 * flushing.  -1 with err (code 3).  One writer per thread.
 */
struct ops_zw;
typedef int (*ops_zw_sink)(void *ctx, const void *p, size_t n);
int ops_zw_open(struct ops_zw **w, enum ops_z z, int level, ops_zw_sink sink,
    void *ctx, struct ops_err *err) OPS_WUR;
int ops_zw_write(struct ops_zw *w, const void *p, size_t n,
    struct ops_err *err) OPS_WUR;
int ops_zw_close(struct ops_zw *w, uint64_t *in, uint64_t *out,
    struct ops_err *err) OPS_WUR;
void ops_zw_abort(struct ops_zw *w);

/* A reader of a plain or compressed stream (format detected). */
struct ops_zr;

/*
 * Read from fd (not closed by the reader); name is for messages.  The
 * filter is detected from the data (gzip, bzip2, xz, zstd, or none).
 * -1 with err (code 3).
 */
int ops_zr_open(struct ops_zr **r, int fd, const char *name,
    struct ops_err *err) OPS_WUR;
/* Up to n bytes of the decompressed stream; 0 at the end; -1 with err. */
ssize_t ops_zr_read(struct ops_zr *r, void *buf, size_t n,
    struct ops_err *err) OPS_WUR;
/* The filter found (after the first read). */
enum ops_z ops_zr_filter(const struct ops_zr *r);
void ops_zr_close(struct ops_zr *r);

#endif
