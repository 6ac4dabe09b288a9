/*
 * ssh.h - SSH sessions on libssh2 1.10: host-key check, auth, exec, SFTP
 * SPDX-License-Identifier: MIT
 *
 * One module for every command that reaches a server over SSH (opsping
 * probes, opspatch-check inventory, opsbackup copies).  Each session runs
 * libssh2 in non-blocking mode and waits with poll() on its socket, so
 * every step (connect, handshake, auth, each command, each SFTP transfer)
 * ends by a deadline (absolute ops_clock_mono_ms()).  Sessions are
 * independent: callers run many at once, one per thread (libssh2 and
 * OpenSSL are thread-safe once ops_ssh_init() has run).
 *
 * Known sharp edges of libssh2 1.10 handled here (../shared/PITFALLS.md):
 *   - RSA keys fail against OpenSSH >= 8.8 (user and host keys): when the
 *     only keys found are RSA, the error says so and names ed25519/ECDSA;
 *   - the host-key preference is set before the handshake from the types
 *     recorded in known_hosts (ed25519 first), else ed25519, ECDSA;
 *   - known_hosts is read by knownhosts.c, not libssh2 (markers,
 *     wildcards, ports); new keys are appended by us (--accept-new-hostkey
 *     adds keys for hosts that have none of that type; a changed key is
 *     never replaced);
 *   - remote commands are wrapped in "timeout -k 5 N" on the remote side,
 *     N the seconds left before the deadline, since a remote command
 *     outlives a client that gives up;
 *   - SFTP rename cannot replace an existing file: uploads go to a unique
 *     temporary name in the same directory and are renamed to a final name
 *     that must not exist yet (else the upload fails and the temporary is
 *     removed);
 *   - OpenSSH's SFTP server answers only "failure" to mkdir of an existing
 *     directory and to remove of a directory, and "no such file" to a
 *     listing of a file: the path is then stat'ed to tell the cases apart.
 * Authentication: ssh-agent ($SSH_AUTH_SOCK) first, then the identity
 * file if one is given, else ~/.ssh/id_ed25519, id_ecdsa, id_rsa (those
 * that exist), with the passphrase given (read by the caller from a
 * password-file, never from argv).  No password authentication.
 * Nothing here prints.  Errors are code 3 ("could not do the job"), with a
 * message that tells what to do: the fingerprint and the command that
 * trusts it for an unknown key, the known_hosts line for a changed key.
 */
#ifndef OPS_SSH_H
#define OPS_SSH_H

#include "compat.h"

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "diag.h"

struct ops_ssh; /* a session, opaque */

struct ops_ssh_opts {
	const char *host;        /* name or address literal, no brackets */
	int port;                /* 22 when 0 */
	const char *user;        /* NULL: the local login name */
	const char *known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char *identity;    /* NULL: the default key names */
	const char *passphrase;  /* for encrypted key files, or NULL */
	bool no_agent;           /* do not ask ssh-agent */
	bool accept_new;         /* --accept-new-hostkey */
	int64_t deadline;        /* connect, handshake and auth end by then */
};

/* Once, before any thread opens a session.  -1 with err (code 3). */
int ops_ssh_init(struct ops_err *err) OPS_WUR;

/*
 * Connect, check the host key, authenticate.  On success *out is an open
 * session.  -1 with err (code 3), *out NULL.  err->msg starts with one of
 * "host key unknown", "HOST KEY CHANGED", "host key revoked",
 * "authentication failed", "timeout", "cannot connect" so that callers can
 * tell the cases apart.
 */
int ops_ssh_open(struct ops_ssh **out, const struct ops_ssh_opts *o,
    struct ops_err *err) OPS_WUR;

/* Close the session (politely, bounded: at most 1 s) and free it. */
void ops_ssh_close(struct ops_ssh *s);

struct ops_ssh_exec {
	struct ops_buf out, err; /* captured stdout and stderr; the caller
	                            sets their limits with ops_buf_init()
	                            before the call (0: 1 MiB each) */
	bool truncated;          /* output went over a limit (the rest was
	                            read and dropped) */
	int status;              /* exit status; 124 when the remote timeout
	                            fired; -1 when killed by a signal */
	char signal[32];         /* the signal's name when status is -1 */
};

/*
 * Run cmd (a fixed template the caller built, every variable single-quoted
 * with ops_sh_quote()) as "timeout -k 5 N sh -c CMD" on the remote side,
 * with stdin_data (may be NULL) on its standard input, until deadline.
 * 0 with r filled (whatever the exit status), or -1 with err (code 3) on a
 * timeout or a broken session.
 */
int ops_ssh_run(struct ops_ssh *s, const char *cmd, const char *stdin_data,
    size_t stdin_len, int64_t deadline, struct ops_ssh_exec *r,
    struct ops_err *err) OPS_WUR;

/*
 * Append s single-quoted for a POSIX shell to b: "'" ... "'" with every
 * "'" written as "'\''".  -1 when b is over its limit.
 */
int ops_sh_quote(struct ops_buf *b, const char *s) OPS_WUR;

/*
 * Upload the contents of local descriptor fd (read to its end, streaming)
 * to remote_path: written to "DIR/.NAME.XXXXXX.tmp" with mode, fsynced
 * when the server offers fsync@openssh.com, then renamed to remote_path,
 * which must not exist yet.  On any failure the temporary is removed (best
 * effort) and remote_path does not exist.  *bytes (may be NULL) gets the
 * size sent.  -1 with err (code 3).
 */
int ops_ssh_upload(struct ops_ssh *s, int fd, const char *remote_path,
    mode_t mode, int64_t deadline, uint64_t *bytes, struct ops_err *err)
    OPS_WUR;

/*
 * Download remote_path into local descriptor fd (streaming; the caller
 * writes to a temporary and renames).  *bytes (may be NULL) gets the size.
 * -1 with err (code 3).
 */
int ops_ssh_download(struct ops_ssh *s, const char *remote_path, int fd,
    int64_t deadline, uint64_t *bytes, struct ops_err *err) OPS_WUR;

/* A remote file or directory, from ops_ssh_list() or ops_ssh_stat(). */
struct ops_ssh_dirent {
	char *name;    /* one name, no "/" (ops_ssh_stat(): the last component
	                  of the path); freed by ops_ssh_dirents_free(), or
	                  by the caller with free() after ops_ssh_stat() */
	bool is_reg;   /* a regular file */
	bool is_dir;   /* a directory; neither for a symbolic link in a
	                  listing, a device, or when the server sent no type */
	uint64_t size; /* bytes; 0 when the server sent none */
	int64_t mtime; /* modification time, seconds since the epoch; 0 when
	                  the server sent none */
};

/*
 * List the remote directory dir: every entry but "." and "..", sorted by
 * name (strcmp), with the types, sizes and times the server sent (OpenSSH
 * reports lstat: a symbolic link is neither a file nor a directory).  On
 * success *out (the caller's: ops_ssh_dirents_free()) and *n (0 and NULL
 * for an empty directory).  At most 1048576 entries, names of at most 4095
 * bytes.  -1 with err (code 3), *out NULL, *n 0; err->msg starts with "no
 * such directory" when dir does not exist (so that callers can tell
 * "nothing there yet"), with "timeout" when the deadline passed, else
 * says what failed ("sftp: cannot list DIR on HOST: why").
 */
int ops_ssh_list(struct ops_ssh *s, const char *dir,
    struct ops_ssh_dirent **out, size_t *n, int64_t deadline,
    struct ops_err *err) OPS_WUR;

/* Free v[0..n), their names, and v.  v may be NULL.  Cannot fail. */
void ops_ssh_dirents_free(struct ops_ssh_dirent *v, size_t n);

/*
 * Stat the remote path, following symbolic links, into *st (st->name a
 * copy of the last component of path, the caller's, to free(); "/" for
 * "/").  -1 with err (code 3) and st->name NULL; err->msg starts with "no
 * such file" when path does not exist.
 */
int ops_ssh_stat(struct ops_ssh *s, const char *path,
    struct ops_ssh_dirent *st, int64_t deadline, struct ops_err *err) OPS_WUR;

/*
 * Remove the remote file path (not a directory).  -1 with err (code 3);
 * err->msg starts with "no such file" when path does not exist, and says
 * so when path is a directory.
 */
int ops_ssh_remove(struct ops_ssh *s, const char *path, int64_t deadline,
    struct ops_err *err) OPS_WUR;

/*
 * Create the remote directory path with mode (the server's umask applies),
 * one level: its parent must exist.  0 also when path is a directory
 * already (or a symbolic link to one).  -1 with err (code 3) otherwise:
 * a missing parent, something else of that name, no permission.
 */
int ops_ssh_mkdir(struct ops_ssh *s, const char *path, int mode,
    int64_t deadline, struct ops_err *err) OPS_WUR;

#endif
