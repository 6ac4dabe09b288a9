/*
 * seal.c - NAME-ID.seal: what a generation must be, signed
 * SPDX-License-Identifier: MIT
 *
 * A seal is a small TSV file of "key<TAB>value" lines in this order:
 *
 *   format opsbackup-seal-1, set, id, archive, archive_size,
 *   archive_sha256, manifest, manifest_size, manifest_sha256, files,
 *   bytes, created, hmac
 *
 * hmac is HMAC-SHA256 (hex) over every byte before the "hmac" line, with
 * the key read from [backup] seal-key-file, or "none".  Without the key,
 * whoever can write the destination can write a matching seal for an
 * archive of their own; with it kept off the backup target, they cannot.
 * A configured key makes "none" invalid, so a seal cannot be downgraded.
 */
#include "compat.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "clock.h"
#include "exitcode.h"
#include "num.h"

#include "bk.h"

#define SEAL_FORMAT "opsbackup-seal-1"
#define SEAL_MAX 8192

static void
hmac_hex(const struct ops_buf *key, const char *p, size_t n,
    char hex[BK_SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (HMAC(EVP_sha256(), key->data, (int)key->len,
		(const unsigned char *)p, n, md, &len) == NULL ||
	    len != 32)
		ops_fatal(OPS_EXIT_FAIL, "libcrypto: HMAC-SHA256 failed");
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

int
bk_seal_format(const struct bk_seal *s, const struct ops_buf *key,
    struct ops_buf *out)
{
	char ts[OPS_RFC3339_SIZE], mac[BK_SHA_HEX];
	size_t start = out->len;

	if (ops_buf_printf(out,
		"format\t" SEAL_FORMAT "\nset\t%s\nid\t%s\narchive\t%s\n"
		"archive_size\t%llu\narchive_sha256\t%s\nmanifest\t%s\n"
		"manifest_size\t%llu\nmanifest_sha256\t%s\nfiles\t%llu\n"
		"bytes\t%llu\ncreated\t%s\n",
		s->set, s->id, s->archive,
		(unsigned long long)s->archive_size, s->archive_sha,
		s->manifest, (unsigned long long)s->manifest_size,
		s->manifest_sha, (unsigned long long)s->files,
		(unsigned long long)s->bytes,
		ops_rfc3339_format(s->created, ts)) < 0)
		return -1;
	if (key && key->len > 0) {
		hmac_hex(key, out->data + start, out->len - start, mac);
		return ops_buf_printf(out, "hmac\t%s\n", mac);
	}
	return ops_buf_printf(out, "hmac\tnone\n");
}

static bool
is_hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}

/* a file name of the generation: no '/', no control bytes, not . or .. */
static bool
good_name(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

static int
copy_field(char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int
get_u64(const char *v, uint64_t *out)
{
	long long ll;
	const char *why;

	if (ops_parse_int(v, 0, INT64_MAX, &ll, &why) < 0)
		return -1;
	*out = (uint64_t)ll;
	return 0;
}

int
bk_seal_parse(struct bk_seal *s, const char *name, const char *text,
    size_t len, const struct ops_buf *key, struct ops_err *err)
{
	static const char *const keys[] = {"format", "set", "id", "archive",
	    "archive_size", "archive_sha256", "manifest", "manifest_size",
	    "manifest_sha256", "files", "bytes", "created", "hmac"};
	const char *p = text, *end = text + len, *why = NULL;
	char val[1024], mac[BK_SHA_HEX];
	size_t k = 0, signed_len = 0;
	int off;

	memset(s, 0, sizeof(*s));
	if (len > SEAL_MAX || memchr(text, '\0', len))
		why = "too large or holds a NUL byte";
	while (!why && p < end && k < sizeof(keys) / sizeof(keys[0])) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *tab;
		size_t kl = strlen(keys[k]);

		if (nl == NULL) {
			why = "truncated";
			break;
		}
		tab = memchr(p, '\t', (size_t)(nl - p));
		if (tab == NULL || (size_t)(tab - p) != kl ||
		    memcmp(p, keys[k], kl) != 0 ||
		    copy_field(val, sizeof(val), tab + 1,
			(size_t)(nl - tab - 1)) < 0) {
			why = "lines out of order or malformed";
			break;
		}
		switch (k) {
		case 0:
			if (strcmp(val, SEAL_FORMAT) != 0)
				why = "unknown format";
			break;
		case 1:
			if (copy_field(s->set, sizeof(s->set), val,
				strlen(val)) < 0 || !good_name(val))
				why = "bad set";
			break;
		case 2:
			if (strlen(val) != BK_ID_LEN)
				why = "bad id";
			else
				memcpy(s->id, val, BK_ID_LEN + 1);
			break;
		case 3:
		case 6:
			if (!good_name(val) ||
			    copy_field(k == 3 ? s->archive : s->manifest,
				sizeof(s->archive), val, strlen(val)) < 0)
				why = "bad file name";
			break;
		case 4:
		case 7:
			if (get_u64(val, k == 4 ? &s->archive_size
						: &s->manifest_size) < 0)
				why = "bad size";
			break;
		case 5:
		case 8:
			if (!is_hex64(val))
				why = "bad sha256";
			else
				memcpy(k == 5 ? s->archive_sha
					      : s->manifest_sha,
				    val, BK_SHA_HEX);
			break;
		case 9:
		case 10:
			if (get_u64(val, k == 9 ? &s->files : &s->bytes) < 0)
				why = "bad count";
			break;
		case 11:
			if (ops_rfc3339_parse(val, strlen(val), &s->created,
				&off) < 0)
				why = "bad created time";
			break;
		case 12:
			signed_len = (size_t)(p - text);
			if (strcmp(val, "none") == 0) {
				if (key && key->len > 0)
					why = "not signed, but a seal key is "
					      "configured";
			} else if (!is_hex64(val)) {
				why = "bad hmac";
			} else {
				s->keyed = true;
				if (key && key->len > 0) {
					hmac_hex(key, text, signed_len, mac);
					if (CRYPTO_memcmp(mac, val, 64) != 0)
						why = "HMAC does not match "
						      "(forged, damaged, or "
						      "another seal key)";
				}
			}
			break;
		}
		k++;
		p = nl + 1;
	}
	if (!why && (k < sizeof(keys) / sizeof(keys[0]) || p != end))
		why = k < sizeof(keys) / sizeof(keys[0]) ? "truncated"
							 : "extra lines";
	if (why)
		return ops_err_at(err, OPS_EXIT_FOUND, name, 0,
		    "not a valid seal: %s", why);
	return 0;
}

int
bk_seal_key(const struct ops_conf *c, struct ops_buf *key,
    struct ops_err *err)
{
	const char *path = ops_conf_get(c, "backup", NULL, "seal-key-file");

	ops_buf_reset(key);
	if (path == NULL)
		return 0;
	if (ops_secret_read(path, key, err) < 0) {
		ops_err_prefix(err, "[backup] seal-key-file");
		return -1;
	}
	return 0;
}
