/*
 * knownhosts.c - OpenSSH known_hosts files, read by us, not by libssh2
 * SPDX-License-Identifier: MIT
 *
 * The whole file is read at once (at most 16 MiB) and scanned line by
 * line; see knownhosts.h for the format and the verdicts.  Decisions the
 * header leaves open, taken here:
 *   - a malformed line (unknown marker, missing field, bad base64, a key
 *     whose embedded type is not the type word, a bad hashed entry, a NUL
 *     byte, a line over 64 KiB) is skipped silently: it never matches, never
 *     revokes and adds no type.  Nothing in lib/ prints;
 *   - "@revoked": the key alone decides (sshd(8): a revoked key is revoked
 *     everywhere), so its host patterns are not even parsed;
 *   - names are compared without regard to ASCII case; a hashed entry is
 *     the hash of the lowercased name, as ssh(1) and "ssh-keygen -H" make
 *     it, so the host is lowercased before hashing;
 *   - a plain pattern applies to port 22 only, "[PATTERN]:PORT" to PORT
 *     only.  A negated pattern also counts when it matches the text OpenSSH
 *     would match ("host" or "[host]:port"): negations err on not applying;
 *   - a type word that does not fit res->types (31 bytes) is not listed;
 *   - one '\r' before the line end is ignored (files edited on Windows).
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "knownhosts.h"
#include "mem.h"

#define FILE_MAX ((size_t)16 << 20) /* largest known_hosts file read */
#define LINE_MAX_LEN ((size_t)64 << 10) /* longer lines are malformed */
#define BLOB_MAX (LINE_MAX_LEN / 4 * 3)
#define SHA1_LEN 20
#define SHA1_B64_LEN 28 /* base64 of 20 bytes, padded */
#define HOST_MAX 1024 /* longest host name accepted */
#define KEY_MAX 16384 /* largest key blob ops_kh_add writes */

enum marker { MARK_NONE, MARK_REVOKED, MARK_CA };

/* What the host patterns of a line are matched against. */
struct target {
	const char *host; /* lowercased */
	size_t hostlen;
	int port;
	char text[HOST_MAX + 16]; /* "host" or "[host]:port", lowercased */
	size_t textlen;
};

/* One line cut into its fields (pointers into the file buffer). */
struct line {
	enum marker mark;
	const char *pat, *type, *b64;
	size_t patlen, typelen, b64len;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Glob match of pattern p[0..pn) ('*' any run, '?' one byte) against
 * s[0..sn), ASCII case ignored.  Backtracks to the last '*' only, so the
 * cost is O(pn * sn) at worst, never exponential.
 */
static bool
wild(const char *p, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < sn) {
		if (pi < pn && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn &&
		    (p[pi] == '?' ||
		        lower((unsigned char)p[pi]) ==
		            lower((unsigned char)s[si]))) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

static bool
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Strict base64: a non-empty multiple of 4 characters of the alphabet,
 * '=' only as one or two final pads.  EVP_DecodeBlock() alone would skip
 * blanks and count the pads as zero bytes.  out must hold s_len / 4 * 3
 * bytes.  The number of bytes decoded, or -1.
 */
static ssize_t
b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t i, pad = 0;
	int r;

	if (n == 0 || n % 4 != 0 || n > LINE_MAX_LEN)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (r < 0 || (size_t)r < pad)
		return -1;
	return (ssize_t)((size_t)r - pad);
}

/* The next field of s[*pos..n) after blanks; its length, 0 at the end. */
static size_t
field(const char *s, size_t n, size_t *pos, const char **start)
{
	size_t i = *pos, b;

	while (i < n && is_blank((unsigned char)s[i]))
		i++;
	b = i;
	while (i < n && !is_blank((unsigned char)s[i]))
		i++;
	*start = s + b;
	*pos = i;
	return i - b;
}

/*
 * Cut s[0..n) into marker, patterns, type and key.  1 for a line to look
 * at, 0 for a blank or comment line, -1 for a malformed one.
 */
static int
split_line(const char *s, size_t n, struct line *l)
{
	const char *f;
	size_t pos = 0, len;

	if (n > LINE_MAX_LEN || memchr(s, '\0', n) != NULL)
		return -1;
	len = field(s, n, &pos, &f);
	if (len == 0 || f[0] == '#')
		return 0;
	l->mark = MARK_NONE;
	if (f[0] == '@') {
		if (len == 8 && memcmp(f, "@revoked", 8) == 0)
			l->mark = MARK_REVOKED;
		else if (len == 15 && memcmp(f, "@cert-authority", 15) == 0)
			l->mark = MARK_CA;
		else
			return -1;
		len = field(s, n, &pos, &f);
	}
	l->pat = f;
	l->patlen = len;
	l->typelen = field(s, n, &pos, &l->type);
	l->b64len = field(s, n, &pos, &l->b64);
	if (l->patlen == 0 || l->typelen == 0 || l->b64len == 0)
		return -1;
	return 1; /* the rest is a comment */
}

/*
 * Decode the line's key into blob (BLOB_MAX bytes) and check that the
 * string at its start is the type word.  The blob length, or -1.
 */
static ssize_t
line_key(const struct line *l, unsigned char *blob)
{
	ssize_t n;
	size_t tl;

	n = b64_decode(l->b64, l->b64len, blob);
	if (n < 4)
		return -1;
	tl = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 |
	    (size_t)blob[2] << 8 | (size_t)blob[3];
	if (tl != l->typelen || tl > (size_t)n - 4 ||
	    memcmp(blob + 4, l->type, tl) != 0)
		return -1;
	return n;
}

static bool
same_key(const struct line *l, const unsigned char *blob, size_t n,
    const struct ops_kh_key *key)
{
	return strlen(key->type) == l->typelen &&
	    memcmp(key->type, l->type, l->typelen) == 0 && n == key->len &&
	    memcmp(blob, key->blob, n) == 0;
}

/* Port of "]:DIGITS" at p[0..n), or -1 when it is not one. */
static int
bracket_port(const char *p, size_t n)
{
	size_t i;
	int v = 0;

	if (n < 3 || n > 7 || p[0] != ']' || p[1] != ':')
		return -1;
	for (i = 2; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* Whether one pattern (without its '!') names the target. */
static bool
pattern_match(const char *p, size_t n, const struct target *t, bool negated)
{
	const char *rb;
	bool hit;
	int port;

	if (n > 0 && p[0] == '[') {
		rb = memrchr(p, ']', n);
		port = rb ? bracket_port(rb, n - (size_t)(rb - p)) : -1;
		if (port > 0)
			hit = port == t->port &&
			    wild(p + 1, (size_t)(rb - p) - 1, t->host,
			        t->hostlen);
		else /* "[x]:*" and the like: OpenSSH's text match */
			hit = wild(p, n, t->text, t->textlen);
	} else {
		hit = t->port == 22 && wild(p, n, t->host, t->hostlen);
	}
	if (negated && !hit)
		hit = wild(p, n, t->text, t->textlen);
	return hit;
}

static bool
hmac_is(const unsigned char *salt, const unsigned char *want, const char *text,
    size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha1(), salt, SHA1_LEN, (const unsigned char *)text, len,
	        md, &mdlen) == NULL ||
	    mdlen != SHA1_LEN)
		return false;
	return CRYPTO_memcmp(md, want, SHA1_LEN) == 0;
}

/* "|1|SALT|HMAC": 1 when it names the target, 0 when not, -1 if bad. */
static int
hashed_match(const char *p, size_t n, const struct target *t)
{
	unsigned char salt[SHA1_B64_LEN], want[SHA1_B64_LEN];
	const char *s = p + 3, *h;

	if (n != 3 + SHA1_B64_LEN + 1 + SHA1_B64_LEN)
		return -1;
	h = s + SHA1_B64_LEN + 1;
	if (s[SHA1_B64_LEN] != '|' ||
	    b64_decode(s, SHA1_B64_LEN, salt) != SHA1_LEN ||
	    b64_decode(h, SHA1_B64_LEN, want) != SHA1_LEN)
		return -1;
	return hmac_is(salt, want, t->text, t->textlen);
}

/* Whether the patterns field applies to the target: 1, 0, or -1 if bad. */
static int
host_match(const char *p, size_t n, const struct target *t)
{
	const char *end = p + n, *c;
	bool neg, hit = false;

	if (n >= 3 && memcmp(p, "|1|", 3) == 0)
		return hashed_match(p, n, t);
	if (p[0] == '|')
		return -1;
	while (p < end) {
		c = memchr(p, ',', (size_t)(end - p));
		if (c == NULL)
			c = end;
		neg = p < c && *p == '!';
		if (neg)
			p++;
		if (p < c && pattern_match(p, (size_t)(c - p), t, neg)) {
			if (neg)
				return 0;
			hit = true;
		}
		p = c + 1;
	}
	return hit;
}

static void
add_type(struct ops_kh_result *res, const char *type, size_t len)
{
	size_t i;

	if (len >= sizeof(res->types[0]) || res->ntypes >= OPS_KH_MAX_TYPES)
		return;
	for (i = 0; i < res->ntypes; i++)
		if (strlen(res->types[i]) == len &&
		    memcmp(res->types[i], type, len) == 0)
			return;
	memcpy(res->types[res->ntypes], type, len);
	res->types[res->ntypes][len] = '\0';
	res->ntypes++;
}

/* Fill t from host and port; -1 when the host cannot be used. */
static int
make_target(struct target *t, char *lhost, const char *host, int port)
{
	size_t i, n = strlen(host);
	int a;

	if (n == 0 || n > HOST_MAX)
		return -1;
	for (i = 0; i <= n; i++)
		lhost[i] = (char)lower((unsigned char)host[i]);
	t->host = lhost;
	t->hostlen = n;
	t->port = port;
	if (port == 22)
		a = snprintf(t->text, sizeof(t->text), "%s", lhost);
	else
		a = snprintf(t->text, sizeof(t->text), "[%s]:%d", lhost, port);
	if (a < 0 || (size_t)a >= sizeof(t->text))
		return -1;
	t->textlen = (size_t)a;
	return 0;
}

/* ops_kh_check without a key is ops_kh_types. */
static int
scan(const char *path, const char *host, int port, const struct ops_kh_key *key,
    struct ops_kh_result *res, struct ops_err *err)
{
	struct ops_buf file;
	struct ops_err e;
	struct target t;
	struct line l;
	char lhost[HOST_MAX + 1];
	unsigned char *blob;
	const char *s, *end, *nl;
	size_t n;
	ssize_t bn;
	long lineno = 0, ok_line = 0, changed_line = 0, revoked_line = 0;
	int r;

	memset(res, 0, sizeof(*res));
	res->verdict = OPS_KH_UNKNOWN;
	if (port == 0)
		port = 22;
	if (path == NULL || host == NULL || port < 1 || port > 65535 ||
	    (key != NULL && (key->type == NULL || key->blob == NULL)))
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "known_hosts: bad arguments (host, port %d or key)", port);
	if (make_target(&t, lhost, host, port) < 0)
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "known_hosts: host name is empty or too long");

	ops_buf_init(&file, 0);
	ops_err_clear(&e);
	if (ops_read_file(path, FILE_MAX, &file, &e) < 0) {
		ops_buf_release(&file);
		if (e.errnum == ENOENT)
			return 0; /* no file: nothing known */
		if (err != NULL) {
			*err = e;
			err->code = OPS_EXIT_FAIL;
		}
		return -1;
	}

	blob = ops_xmalloc(BLOB_MAX + 4);
	s = file.data ? file.data : "";
	end = s + file.len;
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		lineno++;
		n = (size_t)(nl - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;
		if (split_line(s, n, &l) <= 0)
			continue;
		if (l.mark == MARK_CA)
			continue;
		if (l.mark == MARK_REVOKED) {
			if (key == NULL || revoked_line != 0)
				continue;
			bn = line_key(&l, blob);
			if (bn >= 0 && same_key(&l, blob, (size_t)bn, key))
				revoked_line = lineno;
			continue;
		}
		r = host_match(l.pat, l.patlen, &t);
		if (r <= 0)
			continue;
		bn = line_key(&l, blob);
		if (bn < 0)
			continue;
		add_type(res, l.type, l.typelen);
		if (key == NULL || strlen(key->type) != l.typelen ||
		    memcmp(key->type, l.type, l.typelen) != 0)
			continue;
		if (same_key(&l, blob, (size_t)bn, key)) {
			if (ok_line == 0)
				ok_line = lineno;
		} else if (changed_line == 0) {
			changed_line = lineno;
		}
	}
	free(blob);
	ops_buf_release(&file);

	if (revoked_line != 0) {
		res->verdict = OPS_KH_REVOKED;
		res->line = revoked_line;
	} else if (ok_line != 0) {
		res->verdict = OPS_KH_OK;
		res->line = ok_line;
	} else if (changed_line != 0) {
		res->verdict = OPS_KH_CHANGED;
		res->line = changed_line;
	}
	return 0;
}

int
ops_kh_check(const char *path, const char *host, int port,
    const struct ops_kh_key *key, struct ops_kh_result *res,
    struct ops_err *err)
{
	if (key == NULL) {
		memset(res, 0, sizeof(*res));
		res->verdict = OPS_KH_UNKNOWN;
		return ops_err_set(err, OPS_EXIT_FAIL, "known_hosts: no key");
	}
	return scan(path, host, port, key, res, err);
}

int
ops_kh_types(const char *path, const char *host, int port,
    struct ops_kh_result *res, struct ops_err *err)
{
	return scan(path, host, port, NULL, res, err);
}

/* A host we write into the file: letters, digits and . - _ : % only. */
static bool
host_ok(const char *h)
{
	size_t n = strlen(h), i;

	if (n == 0 || n > HOST_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		        c == '_' || c == ':' || c == '%'))
			return false;
	}
	return true;
}

/* The key is one we can write: sane type word, blob starting with it. */
static bool
key_ok(const struct ops_kh_key *key)
{
	size_t tl, i;

	if (key == NULL || key->type == NULL || key->blob == NULL ||
	    key->len < 4 || key->len > KEY_MAX)
		return false;
	tl = strlen(key->type);
	if (tl == 0 || tl > 64)
		return false;
	for (i = 0; i < tl; i++) {
		unsigned char c = (unsigned char)key->type[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		        c == '@'))
			return false;
	}
	return ((size_t)key->blob[0] << 24 | (size_t)key->blob[1] << 16 |
	           (size_t)key->blob[2] << 8 | (size_t)key->blob[3]) == tl &&
	    tl <= key->len - 4 && memcmp(key->blob + 4, key->type, tl) == 0;
}

/* The directory part of path ("." when none) into dir. */
static int
dir_of(const char *path, char *dir, size_t size)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(dir, size, ".") < (int)size ? 0 : -1;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= size)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

/*
 * Open path for appending, creating it 0600 (and its directory 0700, one
 * level only) when missing.  *made_file / *made_dir say what was created.
 */
static int
open_append(const char *path, const char *dir, bool *made_file, bool *made_dir,
    struct ops_err *err)
{
	const int flags = O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
	int fd = -1, tries;

	*made_file = *made_dir = false;
	for (tries = 0; tries < 3; tries++) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			*made_file = true;
			return fd;
		}
		if (errno == EEXIST) {
			/* O_NOFOLLOW: a symbolic link fails with ELOOP */
			fd = open(path, flags);
			if (fd >= 0 || errno != ENOENT)
				break;
		} else if (errno == ENOENT && tries == 0) {
			if (mkdir(dir, 0700) == 0)
				*made_dir = true;
			else if (errno != EEXIST)
				return ops_err_at(err, OPS_EXIT_FAIL, dir, 0,
				    "cannot create directory:");
		} else {
			break;
		}
	}
	if (fd < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot open:");
	return fd;
}

/* The line for host, port and key, after a '\n' when nl is set. */
static void
make_line(struct ops_buf *line, bool nl, const char *host, int port,
    const struct ops_kh_key *key)
{
	char lhost[HOST_MAX + 1], *b64;
	size_t i;

	for (i = 0; host[i] != '\0'; i++)
		lhost[i] = (char)lower((unsigned char)host[i]);
	lhost[i] = '\0';
	b64 = ops_xmalloc(4 * ((key->len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, key->blob, (int)key->len);
	if (nl)
		ops_buf_puts(line, "\n");
	if (port == 22) {
		ops_buf_puts(line, lhost);
	} else {
		char ps[16];

		snprintf(ps, sizeof(ps), "]:%d", port);
		ops_buf_puts(line, "[");
		ops_buf_puts(line, lhost);
		ops_buf_puts(line, ps);
	}
	ops_buf_puts(line, " ");
	ops_buf_puts(line, key->type);
	ops_buf_puts(line, " ");
	ops_buf_puts(line, b64);
	ops_buf_puts(line, "\n");
	free(b64);
}

int
ops_kh_add(const char *path, const char *host, int port,
    const struct ops_kh_key *key, struct ops_err *err)
{
	struct ops_buf line;
	struct stat st;
	char dir[PATH_MAX], last = '\n';
	bool made_file, made_dir;
	int fd, saved;

	if (port == 0)
		port = 22;
	if (host == NULL || !host_ok(host))
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "known_hosts: will not add host \"%.80s\" (use a name or "
		    "address, no blanks or brackets)",
		    host ? host : "(null)");
	if (port < 1 || port > 65535)
		return ops_err_set(
		    err, OPS_EXIT_FAIL, "known_hosts: bad port %d", port);
	if (!key_ok(key))
		return ops_err_set(err, OPS_EXIT_FAIL,
		    "known_hosts: the key's type does not match its blob");
	if (path == NULL || *path == '\0' ||
	    dir_of(path, dir, sizeof(dir)) < 0) {
		errno = path && *path ? ENAMETOOLONG : ENOENT;
		return ops_err_at(
		    err, OPS_EXIT_FAIL, path ? path : "", 0, "cannot open:");
	}

	fd = open_append(path, dir, &made_file, &made_dir, err);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot stat:");
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0,
		    "is not a regular file; will not add a host key to it");
		goto fail;
	}
	/* A last line without its newline gets one, in the same write. */
	if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot read:");
		goto fail;
	}
	ops_buf_init(&line, 0);
	make_line(&line, last != '\n', host, port, key);
	if (ops_write_all(fd, line.data, line.len) < 0) {
		saved = errno;
		ops_buf_release(&line);
		errno = saved;
		ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot write:");
		goto fail;
	}
	ops_buf_release(&line);
	if (fsync(fd) < 0) {
		ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot fsync:");
		goto fail;
	}
	if (close(fd) < 0)
		return ops_err_at(err, OPS_EXIT_FAIL, path, 0, "cannot close:");
	if (made_file && ops_fsync_dir(dir, err) < 0)
		return -1;
	if (made_dir && ops_fsync_parent(dir, err) < 0)
		return -1;
	return 0;

fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

char *
ops_kh_fingerprint(const struct ops_kh_key *key, char *buf, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	unsigned int mdlen = 0;
	int n;

	if (size == 0)
		return buf;
	if (key == NULL || key->blob == NULL ||
	    EVP_Digest(key->blob, key->len, md, &mdlen, EVP_sha256(), NULL) !=
	        1) {
		snprintf(buf, size, "SHA256:?");
		return buf;
	}
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	snprintf(buf, size, "SHA256:%.*s", n, (const char *)b64);
	return buf;
}
