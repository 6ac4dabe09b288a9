/*
 * sha.c - SHA-256 through libcrypto (the CPU's SHA instructions)
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <openssl/evp.h>

#include "exitcode.h"
#include "mem.h"

#include "bk.h"

struct bk_sha {
	EVP_MD_CTX *ctx;
};

static void
start(struct bk_sha *h)
{
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
		ops_fatal(OPS_EXIT_FAIL, "libcrypto: cannot start SHA-256");
}

struct bk_sha *
bk_sha_new(void)
{
	struct bk_sha *h = ops_xcalloc(1, sizeof(*h));

	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL)
		ops_fatal(OPS_EXIT_FAIL, "out of memory");
	start(h);
	return h;
}

void
bk_sha_update(struct bk_sha *h, const void *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(h->ctx, p, n) != 1)
		ops_fatal(OPS_EXIT_FAIL, "libcrypto: SHA-256 failed");
}

void
bk_sha_hex(struct bk_sha *h, char hex[BK_SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		ops_fatal(OPS_EXIT_FAIL, "libcrypto: SHA-256 failed");
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
	start(h);
}

void
bk_sha_free(struct bk_sha *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void
bk_sha_buf(const void *p, size_t n, char hex[BK_SHA_HEX])
{
	struct bk_sha *h = bk_sha_new();

	bk_sha_update(h, p, n);
	bk_sha_hex(h, hex);
	bk_sha_free(h);
}
