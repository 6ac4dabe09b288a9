/*
 * compress.c - gzip, bzip2, xz and zstd in-process through libarchive
 * SPDX-License-Identifier: MIT
 *
 * Writing: libarchive's raw format, one regular-file entry, one filter,
 * our own write callback (so the output is never padded to a block, also
 * on a pipe) behind a 1 MiB block buffer.  Reading: the raw format (and
 * the "empty" format, which the raw one needs for a 0-byte stream) with
 * only the four filters of enum ops_z enabled: archive_read_support_filter_all
 * would also enable uudecode (a plain log starting with "begin 644 x"
 * would be decoded), compress(1), lzip, lrzip and others, some of them by
 * forking an external program.
 *
 * libarchive does not check the CRC-32 and length in a gzip trailer
 * (archive_read_support_filter_gzip.c: "XXX TODO: Verify the length and
 * CRC"), so a flipped bit that inflate does not notice would come back as
 * silently wrong data.  The reader keeps a CRC-32 of what it returns and
 * the last 8 bytes of the file, and compares them at the end.  That check
 * holds for a file of one gzip member, which is what gzip(1) and we write;
 * when the compressed bytes hold something that looks like the header of
 * a further member (cat a.gz b.gz), it is skipped.
 *
 * Nothing here keeps state between calls: every call has its own archive
 * objects, buffers and CRC table, so any function may run in several
 * threads at once on different descriptors.
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "compress.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "num.h"

#define IN_BLOCK (1024 * 1024)  /* read size when compressing */
#define OUT_BLOCK (1024 * 1024) /* libarchive's write block */
#define RD_BLOCK (256 * 1024)   /* read size when decompressing */

struct zinfo {
	const char *name;
	const char *ext;
	int min, max, dflt;
};

static const struct zinfo zinfo[] = {
	[OPS_Z_NONE] = {"none", "", 0, 0, 0},
	[OPS_Z_GZIP] = {"gzip", ".gz", 1, 9, 6},
	[OPS_Z_BZIP2] = {"bzip2", ".bz2", 1, 9, 9},
	[OPS_Z_XZ] = {"xz", ".xz", 1, 9, 6},
	[OPS_Z_ZSTD] = {"zstd", ".zst", 1, 19, 3},
};

static bool
z_valid(enum ops_z z)
{
	return (unsigned)z < OPS_ARRAY_SIZE(zinfo);
}

int
ops_z_from_cmd(const char *cmd, enum ops_z *z, struct ops_err *err)
{
	static const struct {
		const char *name;
		enum ops_z z;
	} cmds[] = {
	    {"gzip", OPS_Z_GZIP},
	    {"pigz", OPS_Z_GZIP},
	    {"bzip2", OPS_Z_BZIP2},
	    {"pbzip2", OPS_Z_BZIP2},
	    {"lbzip2", OPS_Z_BZIP2},
	    {"xz", OPS_Z_XZ},
	    {"pixz", OPS_Z_XZ},
	    {"zstd", OPS_Z_ZSTD},
	    {"pzstd", OPS_Z_ZSTD},
	};
	const char *base, *slash;
	char shown[100];
	size_t i;

	if (cmd == NULL)
		cmd = "";
	slash = strrchr(cmd, '/');
	base = slash ? slash + 1 : cmd;
	for (i = 0; i < OPS_ARRAY_SIZE(cmds); i++) {
		if (strcmp(base, cmds[i].name) == 0) {
			*z = cmds[i].z;
			return 0;
		}
	}
	ops_diag_shown(shown, sizeof(shown), cmd, strlen(cmd));
	return ops_err_set(err, OPS_EXIT_USAGE,
	    "compress command \"%s\" is not supported (use gzip, pigz, "
	    "bzip2, pbzip2, lbzip2, xz, pixz, zstd or pzstd)",
	    shown);
}

const char *
ops_z_ext(enum ops_z z)
{
	return z_valid(z) ? zinfo[z].ext : "";
}

/* "-N" with N all digits. */
static bool
is_level_word(const char *w, size_t len)
{
	size_t i;

	if (len < 2 || w[0] != '-')
		return false;
	for (i = 1; i < len; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
	}
	return true;
}

int
ops_z_level(enum ops_z z, const char *options, int *level,
    const char **ignored, struct ops_err *err)
{
	/* Per thread: the contract hands out a static string. */
	static _Thread_local char ign[256];
	const char *p = options ? options : "", *w, *errstr;
	char word[32], shown[100];
	size_t len, used = 0;
	bool found = false;
	long long v;

	ign[0] = '\0';
	if (ignored != NULL)
		*ignored = ign;
	if (!z_valid(z) || z == OPS_Z_NONE)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "no compression level without a compressor");
	*level = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		w = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - w);
		if (!found && is_level_word(w, len)) {
			ops_diag_shown(shown, sizeof(shown), w, len);
			if (len >= sizeof(word))
				return ops_err_set(err, OPS_EXIT_USAGE,
				    "%s level \"%s\" is too large (%d to %d)",
				    zinfo[z].name, shown, zinfo[z].min,
				    zinfo[z].max);
			memcpy(word, w + 1, len - 1);
			word[len - 1] = '\0';
			if (ops_parse_int(word, zinfo[z].min, zinfo[z].max, &v,
			        &errstr) < 0)
				return ops_err_set(err, OPS_EXIT_USAGE,
				    "%s level \"%s\" %s (%d to %d)",
				    zinfo[z].name, shown, errstr, zinfo[z].min,
				    zinfo[z].max);
			*level = (int)v;
			found = true;
			continue;
		}
		/* list it, cut with "..." when the buffer is full */
		if (used + len + 1 + 4 < sizeof(ign)) {
			if (used > 0)
				ign[used++] = ' ';
			memcpy(ign + used, w, len);
			used += len;
			ign[used] = '\0';
		} else if (used + 4 < sizeof(ign) &&
		    (used < 3 || strcmp(ign + used - 3, "...") != 0)) {
			memcpy(ign + used, "...", 4);
			used += 3;
		}
	}
	return 0;
}

static int
add_filter(struct archive *a, enum ops_z z)
{
	switch (z) {
	case OPS_Z_NONE:
		return archive_write_add_filter_none(a);
	case OPS_Z_GZIP:
		return archive_write_add_filter_gzip(a);
	case OPS_Z_BZIP2:
		return archive_write_add_filter_bzip2(a);
	case OPS_Z_XZ:
		return archive_write_add_filter_xz(a);
	case OPS_Z_ZSTD:
		return archive_write_add_filter_zstd(a);
	}
	return ARCHIVE_FATAL;
}

/* ---- writing ---- */

struct ops_zw {
	struct archive *a;
	ops_zw_sink sink;
	void *ctx;
	uint64_t in, out;
	int werr; /* errno of a failed sink, 0 if none */
	char what[64];
};

static la_ssize_t
zw_cb(struct archive *a, void *data, const void *buf, size_t n)
{
	struct ops_zw *w = data;

	if (w->sink(w->ctx, buf, n) < 0) {
		w->werr = errno ? errno : EIO;
		archive_set_error(a, w->werr, "write failed");
		return -1;
	}
	w->out += n;
	return (la_ssize_t)n;
}

/* err from libarchive's state, or from the sink's errno. */
static int
zw_fail(struct ops_zw *w, struct ops_err *err)
{
	const char *s;

	if (w->werr != 0) {
		errno = w->werr;
		return ops_err_set(err, OPS_EXIT_FAIL, "%s: write:", w->what);
	}
	s = archive_error_string(w->a);
	return ops_err_set(err, OPS_EXIT_FAIL, "%s: %s", w->what,
	    s ? s : "libarchive failed");
}

int
ops_zw_open(struct ops_zw **out, enum ops_z z, int level, ops_zw_sink sink,
    void *ctx, struct ops_err *err)
{
	struct ops_zw *w;
	struct archive_entry *e;
	char lv[16];

	*out = NULL;
	if (!z_valid(z))
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "unknown compression %d", (int)z);
	if (level == 0)
		level = zinfo[z].dflt;
	if (z != OPS_Z_NONE && (level < zinfo[z].min || level > zinfo[z].max))
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "%s compression: level %d is out of range (%d to %d)",
		    zinfo[z].name, level, zinfo[z].min, zinfo[z].max);
	w = calloc(1, sizeof(*w));
	e = archive_entry_new();
	if (w == NULL || e == NULL || (w->a = archive_write_new()) == NULL) {
		free(w);
		archive_entry_free(e);
		errno = ENOMEM;
		return ops_err_set(err, OPS_EXIT_FAIL, "compression:");
	}
	w->sink = sink;
	w->ctx = ctx;
	snprintf(w->what, sizeof(w->what), "%s compression", zinfo[z].name);
	snprintf(lv, sizeof(lv), "%d", level);
	/*
	 * ARCHIVE_WARN from add_filter means "using an external program":
	 * refused, we promise not to fork.  1 MiB blocks; the last one is
	 * not padded (a pad would be trailing garbage after the stream).
	 */
	if (archive_write_set_format_raw(w->a) != ARCHIVE_OK ||
	    add_filter(w->a, z) != ARCHIVE_OK ||
	    (z != OPS_Z_NONE &&
		archive_write_set_filter_option(w->a, NULL,
		    "compression-level", lv) != ARCHIVE_OK) ||
	    archive_write_set_bytes_per_block(w->a, OUT_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(w->a, 1) != ARCHIVE_OK ||
	    archive_write_open(w->a, w, NULL, zw_cb, NULL) != ARCHIVE_OK) {
		zw_fail(w, err);
		goto fail;
	}
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	if (archive_write_header(w->a, e) != ARCHIVE_OK) {
		zw_fail(w, err);
		goto fail;
	}
	archive_entry_free(e);
	*out = w;
	return 0;
fail:
	archive_entry_free(e);
	ops_zw_abort(w);
	return -1;
}

int
ops_zw_write(struct ops_zw *w, const void *p, size_t n, struct ops_err *err)
{
	const char *q = p;

	while (n > 0) {
		size_t k = n < IN_BLOCK ? n : IN_BLOCK;

		if (archive_write_data(w->a, q, k) != (la_ssize_t)k)
			return zw_fail(w, err);
		w->in += k;
		q += k;
		n -= k;
	}
	return 0;
}

int
ops_zw_close(struct ops_zw *w, uint64_t *in, uint64_t *out,
    struct ops_err *err)
{
	int rc = 0;

	if (archive_write_close(w->a) != ARCHIVE_OK)
		rc = zw_fail(w, err);
	if (in)
		*in = w->in;
	if (out)
		*out = w->out;
	ops_zw_abort(w);
	return rc;
}

void
ops_zw_abort(struct ops_zw *w)
{
	if (w == NULL)
		return;
	archive_write_free(w->a);
	free(w);
}

/* ops_z_compress's sink: a descriptor */
static int
fd_sink(void *ctx, const void *p, size_t n)
{
	return ops_write_all(*(int *)ctx, p, n);
}

int
ops_z_compress_fd(int in_fd, int out_fd, enum ops_z z, int level,
    uint64_t *in_bytes, uint64_t *out_bytes, struct ops_err *err)
{
	return ops_z_compress(in_fd, out_fd, z, level, 0, in_bytes, out_bytes,
	    err);
}

int
ops_z_compress(int in_fd, int out_fd, enum ops_z z, int level,
    unsigned flags, uint64_t *in_bytes, uint64_t *out_bytes,
    struct ops_err *err)
{
	struct ops_zw *w;
	char *buf;
	ssize_t n;

	if (ops_zw_open(&w, z, level, fd_sink, &out_fd, err) < 0)
		return -1;
	buf = malloc(IN_BLOCK);
	if (buf == NULL) {
		ops_zw_abort(w);
		errno = ENOMEM;
		return ops_err_set(err, OPS_EXIT_FAIL, "compression:");
	}
	for (;;) {
		n = ops_read_all(in_fd, buf, IN_BLOCK);
		if (n < 0) {
			ops_err_set(err, OPS_EXIT_FAIL, "%s: read:",
			    zinfo[z].name);
			goto fail;
		}
		if (n == 0)
			break;
		if (ops_zw_write(w, buf, (size_t)n, err) < 0)
			goto fail;
		if ((size_t)n < IN_BLOCK)
			break; /* ops_read_all stops short only at the end */
	}
	free(buf);
	if (ops_zw_close(w, in_bytes, out_bytes, err) < 0)
		return -1;
	/* A pipe or a terminal cannot be synced: nothing to do there. */
	if (!(flags & OPS_Z_NOSYNC) && fsync(out_fd) < 0 &&
	    errno != EINVAL && errno != EROFS && errno != ENOTSUP)
		return ops_err_set(err, OPS_EXIT_FAIL, "%s compression: fsync:",
		    zinfo[z].name);
	return 0;
fail:
	free(buf);
	ops_zw_abort(w);
	return -1;
}

/* ---- reading ---- */

struct ops_zr {
	struct archive *a;
	int fd;
	bool eof;    /* archive_read_data has said 0 */
	bool raw_eof; /* our read callback has seen the file's end */
	bool empty;  /* no entry at all: a 0-byte (decompressed) stream */
	bool other_member; /* gzip: something like a second member header */
	enum ops_z z;
	uint64_t out;      /* bytes handed out */
	uint32_t crc;      /* CRC-32 of them, pre-/post-inverted as gzip */
	unsigned char tail[16]; /* the last bytes of the raw stream */
	size_t ntail;
	uint64_t raw_off;
	char name[256];
	unsigned char *buf;
	uint32_t tab[8][256]; /* slicing-by-8 CRC-32 tables */
};

static void
crc_init(uint32_t tab[8][256])
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = tab[0][i];
		for (k = 1; k < 8; k++) {
			c = tab[0][c & 0xff] ^ (c >> 8);
			tab[k][i] = c;
		}
	}
}

/* crc is the running value without the final inversion. */
static uint32_t
crc_update(uint32_t tab[8][256], uint32_t crc, const unsigned char *p,
    size_t n)
{
	uint32_t lo, hi;

	while (n > 0 && ((uintptr_t)p & 7) != 0) {
		crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		n--;
	}
	while (n >= 8) {
		lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^
		    tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
		    tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		    tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		crc = tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/*
 * Could p[0..10) start a gzip member?  Magic, deflate, no reserved flag
 * bits, XFL 0, 2 or 4, a known OS byte: about one chance in 2^37 for
 * random bytes.
 */
static bool
member_header(const unsigned char *p)
{
	return p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 &&
	    (p[3] & 0xe0) == 0 && (p[8] == 0 || p[8] == 2 || p[8] == 4) &&
	    (p[9] <= 13 || p[9] == 255);
}

/* Look for a member header after offset 0 in the bytes just read. */
static void
scan_members(struct ops_zr *r, const unsigned char *p, size_t n)
{
	unsigned char join[18];
	const unsigned char *q, *end = p + n;
	size_t k, j;

	if (r->other_member)
		return;
	/* headers that start in the kept tail and end in p */
	if (r->ntail > 0) {
		k = r->ntail < 9 ? r->ntail : 9;
		memcpy(join, r->tail + r->ntail - k, k);
		j = n < 9 ? n : 9;
		memcpy(join + k, p, j);
		for (size_t i = 0; i < k && i + 10 <= k + j; i++) {
			if (r->raw_off - k + i > 0 && member_header(join + i)) {
				r->other_member = true;
				return;
			}
		}
	}
	for (q = p; q + 10 <= end; q++) {
		q = memchr(q, 0x1f, (size_t)(end - q) - 9);
		if (q == NULL)
			break;
		if (member_header(q) && r->raw_off + (uint64_t)(q - p) > 0) {
			r->other_member = true;
			return;
		}
	}
}

static la_ssize_t
read_cb(struct archive *a, void *data, const void **out)
{
	struct ops_zr *r = data;
	ssize_t n;
	size_t keep;

	(void)a;
	do
		n = read(r->fd, r->buf, RD_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		r->raw_eof = true;
		return 0;
	}
	scan_members(r, r->buf, (size_t)n);
	if ((size_t)n >= sizeof(r->tail)) {
		memcpy(r->tail, r->buf + n - sizeof(r->tail), sizeof(r->tail));
		r->ntail = sizeof(r->tail);
	} else {
		keep = sizeof(r->tail) - (size_t)n;
		if (keep > r->ntail)
			keep = r->ntail;
		memmove(r->tail, r->tail + r->ntail - keep, keep);
		memcpy(r->tail + keep, r->buf, (size_t)n);
		r->ntail = keep + (size_t)n;
	}
	r->raw_off += (uint64_t)n;
	*out = r->buf;
	return n;
}

static int
zr_fail(struct ops_zr *r, struct ops_err *err, const char *what)
{
	const char *s = archive_error_string(r->a);

	return ops_err_at(err, OPS_EXIT_FAIL, r->name, 0, "%s: %s", what,
	    s ? s : "truncated or corrupt data");
}

int
ops_zr_open(struct ops_zr **rp, int fd, const char *name, struct ops_err *err)
{
	struct archive_entry *e;
	struct ops_zr *r;
	int n, code;

	*rp = NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->buf = malloc(RD_BLOCK)) == NULL ||
	    (r->a = archive_read_new()) == NULL) {
		errno = ENOMEM;
		ops_err_at(err, OPS_EXIT_FAIL, name ? name : "", 0, "open:");
		goto fail;
	}
	r->fd = fd;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
	crc_init(r->tab);
	r->crc = 0xffffffffu;
	/* ARCHIVE_WARN would mean an external program: refused. */
	if (archive_read_support_filter_gzip(r->a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(r->a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(r->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(r->a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(r->a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(r->a) != ARCHIVE_OK) {
		zr_fail(r, err, "open");
		goto fail;
	}
	if (archive_read_open(r->a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
		zr_fail(r, err, "open");
		goto fail;
	}
	switch (archive_read_next_header(r->a, &e)) {
	case ARCHIVE_OK:
		break;
	case ARCHIVE_EOF:
		r->empty = true;
		break;
	default:
		zr_fail(r, err, "open");
		goto fail;
	}
	/* the filter next to the file (filter n-1 is the client's) */
	n = archive_filter_count(r->a);
	code = n >= 2 ? archive_filter_code(r->a, n - 2) : ARCHIVE_FILTER_NONE;
	switch (code) {
	case ARCHIVE_FILTER_GZIP:
		r->z = OPS_Z_GZIP;
		break;
	case ARCHIVE_FILTER_BZIP2:
		r->z = OPS_Z_BZIP2;
		break;
	case ARCHIVE_FILTER_XZ:
		r->z = OPS_Z_XZ;
		break;
	case ARCHIVE_FILTER_ZSTD:
		r->z = OPS_Z_ZSTD;
		break;
	default:
		r->z = OPS_Z_NONE;
		break;
	}
	*rp = r;
	return 0;
fail:
	ops_zr_close(r);
	return -1;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* At the end of a gzip stream: the trailer against what we handed out. */
static int
gzip_check(struct ops_zr *r, struct ops_err *err)
{
	const unsigned char *t;

	if (r->z != OPS_Z_GZIP || archive_filter_count(r->a) != 2 ||
	    r->other_member || !r->raw_eof)
		return 0;
	if (r->ntail < 8)
		return ops_err_at(err, OPS_EXIT_FAIL, r->name, 0,
		    "gzip data is truncated");
	t = r->tail + r->ntail - 8;
	if (le32(t) != (r->crc ^ 0xffffffffu) ||
	    le32(t + 4) != (uint32_t)r->out)
		return ops_err_at(err, OPS_EXIT_FAIL, r->name, 0,
		    "gzip data is corrupt: CRC or length does not match "
		    "(or data follows the gzip stream)");
	return 0;
}

ssize_t
ops_zr_read(struct ops_zr *r, void *buf, size_t n, struct ops_err *err)
{
	la_ssize_t got;

	if (r->eof || n == 0)
		return 0;
	if (r->empty) {
		r->eof = true;
		return gzip_check(r, err) < 0 ? -1 : 0;
	}
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	got = archive_read_data(r->a, buf, n);
	if (got < 0)
		return zr_fail(r, err, "read");
	if (got == 0) {
		r->eof = true;
		return gzip_check(r, err) < 0 ? -1 : 0;
	}
	if (r->z == OPS_Z_GZIP)
		r->crc = crc_update(r->tab, r->crc, buf, (size_t)got);
	r->out += (uint64_t)got;
	return got;
}

enum ops_z
ops_zr_filter(const struct ops_zr *r)
{
	return r->z;
}

void
ops_zr_close(struct ops_zr *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	free(r->buf);
	free(r);
}
