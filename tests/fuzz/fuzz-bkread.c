/*
 * fuzz-bkread.c - libFuzzer target for what opsbackup reads back: the
 * manifest parser (cmd/opsbackup/manifest.c), the seal parser (seal.c)
 * and the archive reader of verify and restore (read.c)
 * SPDX-License-Identifier: MIT
 *
 * Input: MANIFEST "\0ARCHIVE\0" ARCHIVE-BYTES.  The manifest text is
 * parsed; when it parses, the archive bytes (through a memfd, as a
 * downloaded copy is read) are checked against it as "opsbackup verify"
 * checks a generation.  The manifest text is also offered as a seal, with
 * and without a key.  Rejections are expected; a crash, a hang, a leak or
 * a sanitizer report is a finding.
 */
#include "compat.h"

#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "fsx.h"

#include "../../cmd/opsbackup/bk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sep[] = "\0ARCHIVE\0";
#define SEPLEN (sizeof(sep) - 1)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *arc = NULL;
	size_t mlen = size, alen = 0, i;
	struct bk_manifest m;
	struct bk_seal seal;
	struct ops_buf key;
	struct ops_err err;

	for (i = 0; i + SEPLEN <= size; i++)
		if (memcmp(data + i, sep, SEPLEN) == 0) {
			mlen = i;
			arc = data + i + SEPLEN;
			alen = size - i - SEPLEN;
			break;
		}
	int r;

	ops_err_clear(&err);
	r = bk_seal_parse(&seal, "seal", (const char *)data, mlen, NULL, &err);
	ops_buf_init(&key, 0);
	if (ops_buf_add(&key, "k", 1) == 0) {
		ops_err_clear(&err);
		r = bk_seal_parse(&seal, "seal", (const char *)data, mlen,
		    &key, &err);
	}
	(void)r;
	ops_buf_release(&key);
	bk_manifest_init(&m);
	ops_err_clear(&err);
	if (bk_manifest_parse(&m, "manifest", (const char *)data, mlen,
		&err) == 0 &&
	    arc) {
		int fd = memfd_create("archive", MFD_CLOEXEC);
		struct bk_rres rr;

		if (fd >= 0 && ops_write_all(fd, arc, alen) == 0 &&
		    lseek(fd, 0, SEEK_SET) == 0) {
			ops_err_clear(&err);
			r = bk_read(fd, "archive", &m, -1, NULL, NULL, 0, 0,
			    NULL, &rr, &err);
			(void)r;
		}
		if (fd >= 0)
			close(fd);
	}
	if (arc) {
		/* the same, reading the manifest in step (restore, verify) */
		int fd = memfd_create("archive", MFD_CLOEXEC);
		int mfd = memfd_create("manifest", MFD_CLOEXEC);
		struct bk_rres rr;
		char msha[BK_SHA_HEX];
		uint64_t msize;

		if (fd >= 0 && mfd >= 0 && ops_write_all(fd, arc, alen) == 0 &&
		    ops_write_all(mfd, data, mlen) == 0 &&
		    lseek(fd, 0, SEEK_SET) == 0 && lseek(mfd, 0, SEEK_SET) == 0) {
			ops_err_clear(&err);
			r = bk_read_stream(fd, "archive", mfd, "manifest", msha,
			    &msize, -1, NULL, NULL, 0, 0, NULL, &rr, &err);
			(void)r;
		}
		if (fd >= 0)
			close(fd);
		if (mfd >= 0)
			close(mfd);
	}
	bk_manifest_release(&m);
	return 0;
}
