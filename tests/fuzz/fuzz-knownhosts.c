/*
 * fuzz-knownhosts.c - libFuzzer target for the known_hosts reader
 * SPDX-License-Identifier: MIT
 *
 * The input is a known_hosts file (kept in a memfd, read through
 * /proc/self/fd/N); it is checked for a fixed ed25519 key at 127.0.0.1
 * on ports 22 and 2222, and its key types are listed.  A crash, leak or
 * sanitizer report is a finding; verdicts are not.
 */
#include "compat.h"

#include <sys/mman.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fsx.h"
#include "knownhosts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* an ed25519 public key blob: string "ssh-ed25519", string of 32 bytes */
static const unsigned char blob[] = {
    0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9',
    0, 0, 0, 32, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ops_kh_key key = {"ssh-ed25519", blob, sizeof(blob)};
	struct ops_kh_result res;
	struct ops_err err;
	char path[64];
	int fd = memfd_create("known_hosts", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ops_write_all(fd, data, size) == 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (ops_kh_check(path, "127.0.0.1", 22, &key, &res, &err) ==
			0 &&
		    ops_kh_check(path, "127.0.0.1", 2222, &key, &res, &err) ==
			0 &&
		    ops_kh_types(path, "Web01.example.org", 22, &res, &err) <
			0)
			return 0;
	}
	close(fd);
	return 0;
}
