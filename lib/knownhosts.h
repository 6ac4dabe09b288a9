/*
 * knownhosts.h - OpenSSH known_hosts files, read by us, not by libssh2
 * SPDX-License-Identifier: MIT
 *
 * libssh2 1.10 misreads "@revoked" and "@cert-authority" lines (it takes
 * the marker for a host name, so a revoked key still matches), does not
 * know wildcard patterns, and matches a plain "host" entry for any port
 * (../shared/PITFALLS.md).  So the toolkit reads the file itself, as
 * sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" describes:
 *
 *   [@revoked|@cert-authority] PATTERNS KEYTYPE BASE64KEY [COMMENT]
 *
 * PATTERNS is a comma-separated list of host patterns: a name or address,
 * "[host]:port" for a port other than 22, '*' and '?' wildcards, a
 * leading '!' negating (a negated match makes the line not apply), or one
 * hashed entry "|1|BASE64SALT|BASE64HMAC" (HMAC-SHA1 of "host" or
 * "[host]:port" keyed with the salt).  A plain pattern applies to port 22
 * only (even "*"), "[host]:port" to that port only.  Blank lines and
 * lines starting with '#' are skipped; a malformed line (bad base64, a
 * type word that does not match the key, an unknown marker, over 64 KiB)
 * is skipped silently, as OpenSSH skips them: it never matches, revokes or
 * adds a type.
 *
 * Verdicts, failing closed:
 *   - the key appears on any @revoked line (whatever its patterns): REVOKED
 *   - @cert-authority lines are never a match (certificates are not
 *     supported): they neither trust nor change anything
 *   - a line for this host and port with the same key type and key: OK
 *   - lines for this host with the same key type but another key, and none
 *     with this key: CHANGED
 *   - otherwise: UNKNOWN (also when the host has keys of other types only)
 * Nothing here does network I/O; nothing prints.
 */
#ifndef OPS_KNOWNHOSTS_H
#define OPS_KNOWNHOSTS_H

#include "compat.h"

#include "diag.h"

enum ops_kh_verdict {
	OPS_KH_OK,
	OPS_KH_UNKNOWN,
	OPS_KH_CHANGED,
	OPS_KH_REVOKED,
};

#define OPS_KH_MAX_TYPES 8

struct ops_kh_key {
	const char *type;          /* "ssh-ed25519", "ecdsa-sha2-nistp256",
	                              "ecdsa-sha2-nistp384",
	                              "ecdsa-sha2-nistp521", "ssh-rsa", ... */
	const unsigned char *blob; /* the key in SSH wire format */
	size_t len;
};

struct ops_kh_result {
	enum ops_kh_verdict verdict;
	long line;                 /* the line that decided (OK, CHANGED,
	                              REVOKED), 0 otherwise */
	/* key types recorded for this host and port, in file order, each
	 * once, for libssh2_session_method_pref(LIBSSH2_METHOD_HOSTKEY) */
	char types[OPS_KH_MAX_TYPES][32];
	size_t ntypes;
};

/*
 * Check key for host (a name or address as the user wrote it, no
 * brackets) and port (0 means 22) against the file at path.  A missing
 * file is an empty one (UNKNOWN).  -1 with err (code 3) when the file
 * exists but cannot be read (or is over 16 MiB), or for an empty host or
 * a port outside 0-65535.
 */
int ops_kh_check(const char *path, const char *host, int port,
    const struct ops_kh_key *key, struct ops_kh_result *res,
    struct ops_err *err) OPS_WUR;

/*
 * Only the key types recorded for host and port (res->types, ntypes), to
 * set the host-key preference before the handshake; res->verdict is
 * UNKNOWN.  Same errors as ops_kh_check.
 */
int ops_kh_types(const char *path, const char *host, int port,
    struct ops_kh_result *res, struct ops_err *err) OPS_WUR;

/*
 * Append "host KEYTYPE BASE64" (or "[host]:port ..." when port != 22),
 * with O_APPEND|O_NOFOLLOW, creating the file 0600 and its directory 0700
 * when missing, fsync.  A file that does not end in a newline gets one
 * first.  -1 with err (code 3).
 */
int ops_kh_add(const char *path, const char *host, int port,
    const struct ops_kh_key *key, struct ops_err *err) OPS_WUR;

/* "SHA256:" and the unpadded base64 of the key's SHA-256, as ssh-keygen
 * -l prints it.  buf of at least 60 bytes.  Returns buf. */
char *ops_kh_fingerprint(const struct ops_kh_key *key, char *buf,
    size_t size);

#endif
