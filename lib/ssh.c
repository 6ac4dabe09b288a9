/*
 * ssh.c - SSH sessions on libssh2 1.10: host-key check, auth, exec, SFTP
 * SPDX-License-Identifier: MIT
 *
 * Every session runs libssh2 in non-blocking mode.  Each libssh2 call that
 * can say LIBSSH2_ERROR_EAGAIN is looped through wait_sock(), which polls
 * the socket for the directions libssh2_session_block_directions() names,
 * until the deadline of the step.  A step that runs out of time leaves
 * libssh2 half-way through a packet exchange, so the session is marked
 * broken: later calls on it fail at once, and ops_ssh_close() tears it
 * down within a second.  See ssh.h for the contract.
 */
#include "compat.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "buf.h"
#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "knownhosts.h"
#include "mem.h"
#include "ssh.h"

#define FAIL OPS_EXIT_FAIL
#define RUN_LIMIT_DEFAULT ((size_t)1 << 20) /* 1 MiB per stream */
#define IO_CHUNK (256 * 1024)                /* SFTP and fd transfers */
#define RUN_MARGIN_MS 500 /* remote timeout ends this much earlier */
#define CLOSE_MS 1000                        /* ops_ssh_close() bound */
#define CLEANUP_MS 1000 /* grace for removing a temporary after an error */
#define LIST_NAME_MAX 4095 /* longest name ops_ssh_list() takes */
#define LIST_MAX (1 << 20)  /* most entries ops_ssh_list() takes */

/* Host-key algorithms libssh2 1.10 knows, in our order of preference. */
static const char *const hostkey_known[] = {
	"ssh-ed25519",
	"ecdsa-sha2-nistp256",
	"ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521",
	"ssh-rsa",
	"ssh-dss",
};
#define HOSTKEY_DEFAULT                                                    \
	"ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,"             \
	"ecdsa-sha2-nistp521"

struct ops_ssh {
	LIBSSH2_SESSION *sess;
	LIBSSH2_SFTP *sftp; /* opened on the first transfer, kept */
	int fd;
	bool broken;    /* a step timed out or the connection failed */
	char where[300]; /* "host" or "[host]:port", for messages */
};

/* libssh2_init() once per process; its result, written under once. */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;

static void
init_lib(void)
{
	init_rc = libssh2_init(0);
}

int
ops_ssh_init(struct ops_err *err)
{
	if (pthread_once(&init_once, init_lib) != 0 || init_rc != 0)
		return ops_err_set(err, FAIL, "cannot initialise libssh2 (%d)",
		    init_rc);
	return 0;
}

/* --- waiting ------------------------------------------------------------ */

/*
 * Wait until the socket is ready for what libssh2 is blocked on, or until
 * deadline.  0 when ready, -1 with errno ETIMEDOUT (or poll's errno).
 */
static int
wait_sock(int fd, LIBSSH2_SESSION *sess, int64_t deadline)
{
	struct pollfd p;
	int dir = sess ? libssh2_session_block_directions(sess) : 0;
	int64_t left;
	int n;

	p.fd = fd;
	p.events = 0;
	p.revents = 0;
	if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
		p.events |= POLLIN;
	if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		p.events |= POLLOUT;
	for (;;) {
		left = deadline - ops_clock_mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Nothing named (libssh2 waits on something other than the
		 * socket, e.g. ssh-agent): try again soon, never spin. */
		if (p.events == 0 && left > 10)
			left = 10;
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0 || (n == 0 && p.events == 0))
			return 0;
		if (n == 0)
			continue; /* the loop head sees the deadline */
		if (errno != EINTR)
			return -1;
	}
}

/* The session's last libssh2 error message ("" if none). */
static const char *
last_msg(LIBSSH2_SESSION *sess)
{
	char *msg = NULL;
	int len = 0;

	if (sess == NULL)
		return "";
	libssh2_session_last_error(sess, &msg, &len, 0);
	return msg ? msg : "";
}

/* Record a timeout of step (the session is then broken). */
static int
timeout_err(struct ops_ssh *s, struct ops_err *err, const char *step,
    const char *what)
{
	s->broken = true;
	return ops_err_set(err, FAIL, "timeout: %s: %s %s not done by the deadline",
	    step, what, s->where);
}

/*
 * After a libssh2 call said EAGAIN: wait, or record the timeout.  Returns
 * 0 to try again, -1 with err set.
 */
static int
again(struct ops_ssh *s, int64_t deadline, struct ops_err *err,
    const char *step, const char *what)
{
	if (wait_sock(s->fd, s->sess, deadline) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		return timeout_err(s, err, step, what);
	s->broken = true;
	return ops_err_set(err, FAIL, "%s: %s %s: poll:", step, what,
	    s->where);
}

/* --- small helpers ------------------------------------------------------ */

static void
where_set(char *dst, size_t size, const char *host, int port)
{
	if (port == 22)
		snprintf(dst, size, "%s", host);
	else
		snprintf(dst, size, "[%s]:%d", host, port);
}

/* The login name of geteuid() into buf; -1 when there is none. */
static int
login_name(char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) != 0 ||
	    res == NULL)
		return -1;
	if ((size_t)snprintf(buf, size, "%s", pw.pw_name) >= size)
		return -1;
	return 0;
}

/* $HOME, else the home directory of geteuid(), into buf; -1 if none. */
static int
home_dir(char *buf, size_t size)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (h == NULL || h[0] == '\0') {
		if (getpwuid_r(geteuid(), &pw, tmp, sizeof(tmp), &res) != 0 ||
		    res == NULL)
			return -1;
		h = pw.pw_dir;
	}
	if ((size_t)snprintf(buf, size, "%s", h) >= size)
		return -1;
	return 0;
}

/* Read an SSH string (uint32 length + bytes) at *p of a blob. */
static int
blob_string(const unsigned char **p, const unsigned char *end,
    const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (end - *p < 4)
		return -1;
	n = (uint32_t)(*p)[0] << 24 | (uint32_t)(*p)[1] << 16 |
	    (uint32_t)(*p)[2] << 8 | (uint32_t)(*p)[3];
	*p += 4;
	if ((size_t)(end - *p) < n)
		return -1;
	*s = *p;
	*len = n;
	*p += n;
	return 0;
}

/* The key type named at the start of a wire-format key into dst. */
static int
blob_type(const unsigned char *blob, size_t len, char *dst, size_t size)
{
	const unsigned char *p = blob, *s;
	size_t n, i;

	if (blob_string(&p, blob + len, &s, &n) == -1 || n == 0 || n >= size)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int
ops_sh_quote(struct ops_buf *b, const char *s)
{
	if (ops_buf_addc(b, '\'') == -1)
		return -1;
	for (; *s; s++) {
		if (*s == '\'') {
			if (ops_buf_adds(b, "'\\''") == -1)
				return -1;
		} else if (ops_buf_addc(b, *s) == -1) {
			return -1;
		}
	}
	return ops_buf_addc(b, '\'');
}

/* --- connect ------------------------------------------------------------ */

/* Non-blocking connect to one address; the socket, or -1 with errno. */
static int
connect_one(const struct addrinfo *ai, int64_t deadline)
{
	int fd, soerr, one = 1;
	socklen_t sl = sizeof(soerr);
	struct pollfd p;
	int64_t left;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	p.fd = fd;
	p.events = POLLOUT;
	for (;;) {
		left = deadline - ops_clock_mono_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		int n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n > 0)
			break;
		if (n == -1 && errno != EINTR)
			goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
fail:;
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
tcp_connect(struct ops_ssh *s, const char *host, int port, int64_t deadline,
    struct ops_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	char portstr[16];
	int rc, fd = -1, e = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	/* getaddrinfo() is not bounded by the deadline: give addresses or
	 * names in /etc/hosts for hosts that must be reached in time. */
	rc = getaddrinfo(host, portstr, &hints, &res);
	if (rc != 0)
		return ops_err_set(err, FAIL, "cannot connect to %s: %s",
		    s->where, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = connect_one(ai, deadline);
		if (fd != -1)
			break;
		e = errno;
		if (e == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1 && e == ETIMEDOUT)
		return ops_err_set(err, FAIL,
		    "timeout: connect: cannot connect to %s by the deadline",
		    s->where);
	if (fd == -1) {
		errno = e;
		return ops_err_set(err, FAIL, "cannot connect to %s:",
		    s->where);
	}
	s->fd = fd;
	return 0;
}

/* --- host key ----------------------------------------------------------- */

/* "TYPE,TYPE,..." of the recorded types libssh2 knows, ed25519 first. */
static void
hostkey_pref(const struct ops_kh_result *kr, char *dst, size_t size,
    bool *rsa_only)
{
	size_t i, j, off = 0;
	bool any = false, rsa = true;

	dst[0] = '\0';
	for (i = 0; i < OPS_ARRAY_SIZE(hostkey_known); i++) {
		for (j = 0; j < kr->ntypes; j++)
			if (strcmp(kr->types[j], hostkey_known[i]) == 0)
				break;
		if (j == kr->ntypes)
			continue;
		int n = snprintf(dst + off, size - off, "%s%s",
		    any ? "," : "", hostkey_known[i]);
		if (n < 0 || (size_t)n >= size - off)
			break;
		off += (size_t)n;
		any = true;
		if (strcmp(hostkey_known[i], "ssh-rsa") != 0)
			rsa = false;
	}
	if (!any) {
		snprintf(dst, size, "%s", HOSTKEY_DEFAULT);
		rsa = false;
	}
	*rsa_only = rsa;
}

static int
check_hostkey(struct ops_ssh *s, const struct ops_ssh_opts *o, int port,
    const char *khpath, const char *khshow, struct ops_err *err)
{
	struct ops_kh_key key;
	struct ops_kh_result kr;
	const char *blob;
	size_t len;
	int type;
	char tname[64], fp[80];

	blob = libssh2_session_hostkey(s->sess, &len, &type);
	if (blob == NULL || blob_type((const unsigned char *)blob, len, tname,
	    sizeof(tname)) == -1)
		return ops_err_set(err, FAIL,
		    "cannot connect to %s: no usable host key from the server",
		    s->where);
	key.type = tname;
	key.blob = (const unsigned char *)blob;
	key.len = len;
	ops_kh_fingerprint(&key, fp, sizeof(fp));
	if (ops_kh_check(khpath, o->host, port, &key, &kr, err) == -1)
		return -1;
	switch (kr.verdict) {
	case OPS_KH_OK:
		return 0;
	case OPS_KH_REVOKED:
		return ops_err_set(err, FAIL,
		    "host key revoked: %s offers %s %s, marked @revoked on "
		    "line %ld of %s; refusing to connect",
		    s->where, tname, fp, kr.line, khshow);
	case OPS_KH_CHANGED:
		return ops_err_set(err, FAIL,
		    "HOST KEY CHANGED for %s: %s line %ld holds another %s "
		    "key, the server offers %s; this may be an attack "
		    "(someone in the middle). If the server's key really "
		    "changed, remove line %ld (ssh-keygen -R '%s' -f %s) and "
		    "run again",
		    s->where, khshow, kr.line, tname, fp, kr.line, s->where,
		    khshow);
	case OPS_KH_UNKNOWN:
		break;
	}
	if (!o->accept_new) {
		char scan[64];

		if (port == 22)
			scan[0] = '\0';
		else
			snprintf(scan, sizeof(scan), "-p %d ", port);
		return ops_err_set(err, FAIL,
		    "host key unknown: %s offers %s %s, not in %s; check the "
		    "fingerprint with the server's admin, then run again with "
		    "--accept-new-hostkey (or: ssh-keyscan -t %s %s%s >> %s)",
		    s->where, tname, fp, khshow, tname, scan, o->host, khshow);
	}
	if (ops_kh_add(khpath, o->host, port, &key, err) == -1) {
		ops_err_prefix(err, "cannot record the host key of %s",
		    s->where);
		return -1;
	}
	return 0;
}

/* --- authentication ----------------------------------------------------- */

/* Decode standard base64 from s (stops at the first non-base64 byte other
 * than whitespace or at "-----"), at most size bytes; bytes decoded. */
static size_t
b64_decode(const char *s, unsigned char *out, size_t size)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *s && n < size; s++) {
		int v;
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
			continue;
		else
			break;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/*
 * Whether the private key file at path holds an RSA key: PEM "BEGIN RSA
 * PRIVATE KEY", or the OpenSSH format, whose public part is in clear text
 * even when the key is encrypted.  false when unknown.
 */
static bool
keyfile_is_rsa(const char *path)
{
	char text[4096];
	unsigned char bin[1024];
	const unsigned char *p, *end, *str;
	const char *b;
	size_t n, len;
	ssize_t got;
	int fd, i;
	static const char magic[] = "openssh-key-v1";

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return false;
	got = ops_read_all(fd, text, sizeof(text) - 1);
	close(fd);
	if (got <= 0)
		return false;
	text[got] = '\0';
	if (strstr(text, "BEGIN RSA PRIVATE KEY"))
		return true;
	b = strstr(text, "BEGIN OPENSSH PRIVATE KEY-----");
	if (b == NULL)
		return false;
	n = b64_decode(b + strlen("BEGIN OPENSSH PRIVATE KEY-----"), bin,
	    sizeof(bin));
	if (n < sizeof(magic) || memcmp(bin, magic, sizeof(magic)) != 0)
		return false;
	p = bin + sizeof(magic);
	end = bin + n;
	for (i = 0; i < 3; i++) /* cipher, kdf, kdf options */
		if (blob_string(&p, end, &str, &len) == -1)
			return false;
	if (end - p < 4)
		return false;
	p += 4; /* number of keys */
	if (blob_string(&p, end, &str, &len) == -1)
		return false;
	char type[64];
	return blob_type(str, len, type, sizeof(type)) == 0 &&
	    strcmp(type, "ssh-rsa") == 0;
}

struct tried {
	struct ops_buf list; /* "KEY (why), ..." */
	int n, rsa;
};

/* Note "what (why)" in the list of what was tried. */
static void
tried_note(struct tried *t, const char *what, const char *why)
{
	if (t->list.len && ops_buf_adds(&t->list, ", ") == -1)
		return;
	if (ops_buf_printf(&t->list, "%s (%s)", what, why) == -1)
		return; /* the list stops at its limit */
}

/* A key was offered (or could not be): count it and note it. */
static void
tried_add(struct tried *t, bool rsa, const char *what, const char *why)
{
	t->n++;
	if (rsa)
		t->rsa++;
	tried_note(t, what, why);
}

/*
 * Try every identity of ssh-agent.  1 when authenticated, 0 when none was
 * accepted, -1 with err (timeout or broken session).
 */
static int
auth_agent(struct ops_ssh *s, const char *user, int64_t deadline,
    struct tried *t, struct ops_err *err)
{
	LIBSSH2_AGENT *ag;
	struct libssh2_agent_publickey *id = NULL, *prev = NULL;
	int rc, ret = 0, nkeys = 0;
	char type[64];

	ag = libssh2_agent_init(s->sess);
	if (ag == NULL)
		return 0;
	if (libssh2_agent_connect(ag) != 0) {
		tried_note(t, "ssh-agent", "cannot connect to it");
		goto out;
	}
	if (libssh2_agent_list_identities(ag) != 0) {
		tried_note(t, "ssh-agent", "cannot list its keys");
		goto out_disc;
	}
	while ((rc = libssh2_agent_get_identity(ag, &id, prev)) == 0) {
		bool rsa;

		nkeys++;
		prev = id;
		if (blob_type(id->blob, id->blob_len, type, sizeof(type)) == -1)
			snprintf(type, sizeof(type), "?");
		rsa = strcmp(type, "ssh-rsa") == 0;
		while ((rc = libssh2_agent_userauth(ag, user, id)) ==
		    LIBSSH2_ERROR_EAGAIN)
			if (again(s, deadline, err, "authentication",
			    "ssh-agent key for") == -1) {
				ret = -1;
				goto out_disc;
			}
		char label[300];
		snprintf(label, sizeof(label), "agent key %s %s", type,
		    id->comment && id->comment[0] ? id->comment : "");
		if (rc == 0) {
			ret = 1;
			break;
		}
		if (rc == LIBSSH2_ERROR_SOCKET_SEND ||
		    rc == LIBSSH2_ERROR_SOCKET_RECV ||
		    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
		    rc == LIBSSH2_ERROR_TIMEOUT) {
			s->broken = true;
			ret = ops_err_set(err, FAIL,
			    "authentication failed for %s@%s: %s", user,
			    s->where, last_msg(s->sess));
			goto out_disc;
		}
		tried_add(t, rsa, label, "rejected");
	}
	if (nkeys == 0)
		tried_note(t, "ssh-agent", "holds no keys");
out_disc:
	libssh2_agent_disconnect(ag);
out:
	libssh2_agent_free(ag);
	return ret;
}

/* One key file.  1 authenticated, 0 not, -1 with err. */
static int
auth_file(struct ops_ssh *s, const char *user, const char *path,
    const char *passphrase, int64_t deadline, struct tried *t,
    struct ops_err *err)
{
	bool rsa = keyfile_is_rsa(path);
	int rc;

	if (access(path, R_OK) == -1) {
		char why[128];

		snprintf(why, sizeof(why), "cannot read it: %s",
		    strerror(errno));
		tried_add(t, rsa, path, why);
		return 0;
	}
	while ((rc = libssh2_userauth_publickey_fromfile_ex(s->sess, user,
	    (unsigned)strlen(user), NULL, path, passphrase)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "authentication", "key file for") ==
		    -1)
			return -1;
	if (rc == 0)
		return 1;
	if (rc == LIBSSH2_ERROR_FILE) {
		tried_add(t, rsa, path,
		    passphrase ? "cannot load it: wrong passphrase or unknown "
				 "format"
			       : "cannot load it: encrypted (no passphrase "
				 "given) or unknown format");
		return 0;
	}
	if (rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	    rc == LIBSSH2_ERROR_SOCKET_DISCONNECT ||
	    rc == LIBSSH2_ERROR_TIMEOUT) {
		s->broken = true;
		return ops_err_set(err, FAIL,
		    "authentication failed for %s@%s: %s", user, s->where,
		    last_msg(s->sess));
	}
	tried_add(t, rsa, path, "rejected");
	return 0;
}

static int
authenticate(struct ops_ssh *s, const struct ops_ssh_opts *o,
    const char *user, int64_t deadline, struct ops_err *err)
{
	static const char *const names[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
	struct tried t;
	const char *list;
	const char *sock = getenv("SSH_AUTH_SOCK");
	char home[PATH_MAX], path[PATH_MAX + 32];
	int rc = 0;
	size_t i;

	while ((list = libssh2_userauth_list(s->sess, user,
	    (unsigned)strlen(user))) == NULL) {
		if (libssh2_userauth_authenticated(s->sess))
			return 0; /* "none" was accepted */
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN) {
			s->broken = true;
			return ops_err_set(err, FAIL,
			    "authentication failed for %s@%s: %s", user,
			    s->where, last_msg(s->sess));
		}
		if (again(s, deadline, err, "authentication", "user list for") ==
		    -1)
			return -1;
	}
	if (strstr(list, "publickey") == NULL)
		return ops_err_set(err, FAIL,
		    "authentication failed for %s@%s: the server does not take "
		    "public keys (it offers: %s)",
		    user, s->where, list);

	ops_buf_init(&t.list, 700);
	t.n = t.rsa = 0;
	if (!o->no_agent && sock && sock[0])
		rc = auth_agent(s, user, deadline, &t, err);
	if (rc == 0 && o->identity) {
		rc = auth_file(s, user, o->identity, o->passphrase, deadline,
		    &t, err);
	} else if (rc == 0 && home_dir(home, sizeof(home)) == 0) {
		for (i = 0; rc == 0 && i < OPS_ARRAY_SIZE(names); i++) {
			struct stat st;

			snprintf(path, sizeof(path), "%s/.ssh/%s", home,
			    names[i]);
			if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
				continue;
			rc = auth_file(s, user, path, o->passphrase, deadline,
			    &t, err);
		}
	}
	if (rc == 1 || rc == -1) {
		ops_buf_release(&t.list);
		return rc == 1 ? 0 : -1;
	}
	if (t.n == 0)
		ops_err_set(err, FAIL,
		    "authentication failed for %s@%s: no key to try (%s, %s); "
		    "make an ed25519 key (ssh-keygen -t ed25519) and add its "
		    ".pub to the server's authorized_keys",
		    user, s->where,
		    t.list.len ? ops_buf_cstr(&t.list) : "no ssh-agent",
		    o->identity ? "identity file missing"
				: "none of ~/.ssh/id_ed25519, id_ecdsa, id_rsa");
	else if (t.rsa == t.n)
		ops_err_set(err, FAIL,
		    "authentication failed for %s@%s: tried %s; only RSA keys "
		    "were found, and RSA keys do not work with libssh2 1.10 "
		    "against OpenSSH 8.8 and later: use an ed25519 or ECDSA key "
		    "(ssh-keygen -t ed25519)",
		    user, s->where, ops_buf_cstr(&t.list));
	else
		ops_err_set(err, FAIL,
		    "authentication failed for %s@%s: tried %s", user,
		    s->where, ops_buf_cstr(&t.list));
	ops_buf_release(&t.list);
	return -1;
}

/* --- open and close ----------------------------------------------------- */

static void
teardown(struct ops_ssh *s, int64_t deadline)
{
	int rc, i;
	bool cut = false;

	if (s == NULL)
		return;
	if (s->sess) {
		if (s->sftp && !s->broken) {
			while (libssh2_sftp_shutdown(s->sftp) ==
			    LIBSSH2_ERROR_EAGAIN)
				if (wait_sock(s->fd, s->sess, deadline) == -1)
					break;
			s->sftp = NULL;
		}
		if (!s->broken)
			while (libssh2_session_disconnect(s->sess,
			    "closed by ops") == LIBSSH2_ERROR_EAGAIN)
				if (wait_sock(s->fd, s->sess, deadline) == -1)
					break;
		/* A broken session, or one past the deadline: cut the
		 * connection, so that every pending libssh2 write fails at
		 * once instead of waiting. */
		if (s->broken) {
			(void)shutdown(s->fd, SHUT_RDWR);
			cut = true;
		}
		for (i = 0; i < 1000; i++) {
			rc = libssh2_session_free(s->sess);
			if (rc != LIBSSH2_ERROR_EAGAIN)
				break;
			if (!cut && wait_sock(s->fd, s->sess, deadline) == -1) {
				(void)shutdown(s->fd, SHUT_RDWR);
				cut = true;
			}
		}
	}
	if (s->fd != -1)
		close(s->fd);
	free(s);
}

void
ops_ssh_close(struct ops_ssh *s)
{
	teardown(s, ops_clock_mono_ms() + CLOSE_MS);
}

int
ops_ssh_open(struct ops_ssh **out, const struct ops_ssh_opts *o,
    struct ops_err *err)
{
	struct ops_ssh *s;
	struct ops_kh_result kr;
	char user[256], home[PATH_MAX], khpath[PATH_MAX + 32];
	char pref[256];
	const char *khshow;
	bool rsa_only;
	int port = o->port ? o->port : 22;
	int rc;

	*out = NULL;
	if (ops_ssh_init(err) == -1)
		return -1;
	if (o->host == NULL || o->host[0] == '\0' || port < 1 || port > 65535)
		return ops_err_set(err, FAIL, "cannot connect: bad host or port");
	if (o->user)
		snprintf(user, sizeof(user), "%s", o->user);
	else if (login_name(user, sizeof(user)) == -1)
		return ops_err_set(err, FAIL,
		    "cannot connect: no login name for uid %ld",
		    (long)geteuid());
	if (o->known_hosts) {
		snprintf(khpath, sizeof(khpath), "%s", o->known_hosts);
		khshow = o->known_hosts;
	} else {
		if (home_dir(home, sizeof(home)) == -1)
			return ops_err_set(err, FAIL,
			    "cannot connect: no home directory for "
			    "~/.ssh/known_hosts");
		snprintf(khpath, sizeof(khpath), "%s/.ssh/known_hosts", home);
		khshow = "~/.ssh/known_hosts";
	}

	s = ops_xcalloc(1, sizeof(*s));
	s->fd = -1;
	where_set(s->where, sizeof(s->where), o->host, port);

	/* The host-key preference follows known_hosts (PITFALLS.md). */
	if (ops_kh_types(khpath, o->host, port, &kr, err) == -1)
		goto fail;
	hostkey_pref(&kr, pref, sizeof(pref), &rsa_only);

	if (tcp_connect(s, o->host, port, o->deadline, err) == -1)
		goto fail;
	s->sess = libssh2_session_init();
	if (s->sess == NULL) {
		ops_err_set(err, FAIL, "cannot connect to %s: no SSH session",
		    s->where);
		goto fail;
	}
	libssh2_session_set_blocking(s->sess, 0);
	if (libssh2_session_method_pref(s->sess, LIBSSH2_METHOD_HOSTKEY,
	    pref) != 0 &&
	    libssh2_session_method_pref(s->sess, LIBSSH2_METHOD_HOSTKEY,
	    HOSTKEY_DEFAULT) != 0) {
		ops_err_set(err, FAIL, "cannot connect to %s: %s", s->where,
		    last_msg(s->sess));
		goto fail;
	}
	while ((rc = libssh2_session_handshake(s->sess, s->fd)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (again(s, o->deadline, err, "handshake", "SSH handshake with") ==
		    -1)
			goto fail;
	if (rc != 0) {
		s->broken = true;
		if (rc == LIBSSH2_ERROR_KEX_FAILURE && kr.ntypes > 0)
			ops_err_set(err, FAIL,
			    "cannot connect to %s: SSH handshake failed: %s "
			    "(%s lists only %s for this host%s)",
			    s->where, last_msg(s->sess), khshow, pref,
			    rsa_only ? "; RSA host keys do not work with "
				       "libssh2 1.10 against OpenSSH 8.8 and "
				       "later: record the server's ed25519 "
				       "or ECDSA key"
				     : "");
		else
			ops_err_set(err, FAIL,
			    "cannot connect to %s: SSH handshake failed: %s",
			    s->where, last_msg(s->sess));
		goto fail;
	}
	if (check_hostkey(s, o, port, khpath, khshow, err) == -1)
		goto fail;
	if (authenticate(s, o, user, o->deadline, err) == -1)
		goto fail;
	*out = s;
	return 0;
fail:
	s->broken = true; /* no polite goodbye on a failed open */
	teardown(s, ops_clock_mono_ms() + CLOSE_MS);
	return -1;
}

/* --- exec --------------------------------------------------------------- */

static void
free_channel(struct ops_ssh *s, LIBSSH2_CHANNEL *ch, int64_t deadline)
{
	while (libssh2_channel_free(ch) == LIBSSH2_ERROR_EAGAIN)
		if (s->broken || wait_sock(s->fd, s->sess, deadline) == -1)
			return; /* libssh2_session_free() frees it later */
}

/* Append what fits of p[0..n) to b (limit lim), note truncation. */
static void
keep(struct ops_buf *b, size_t lim, const char *p, size_t n, bool *trunc)
{
	size_t room = lim > b->len ? lim - b->len : 0;

	if (n > room) {
		*trunc = true;
		n = room;
	}
	if (n && ops_buf_add(b, p, n) == -1)
		*trunc = true;
}

static int
broken_err(struct ops_ssh *s, struct ops_err *err)
{
	return ops_err_set(err, FAIL,
	    "session with %s is unusable after an earlier error", s->where);
}

/* Read everything available on both streams.  1 when something was
 * read, 0 when nothing, -1 on error (rc in *rcp). */
static int
drain(LIBSSH2_CHANNEL *ch, struct ops_ssh_exec *r, size_t lim_out,
    size_t lim_err, char *buf, size_t size, int *rcp)
{
	int got = 0, stream;
	ssize_t n;

	for (stream = 0; stream < 2; stream++) {
		int id = stream ? SSH_EXTENDED_DATA_STDERR : 0;

		while ((n = libssh2_channel_read_ex(ch, id, buf, size)) > 0) {
			got = 1;
			if (stream == 0)
				keep(&r->out, lim_out, buf, (size_t)n,
				    &r->truncated);
			else
				keep(&r->err, lim_err, buf, (size_t)n,
				    &r->truncated);
		}
		if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			*rcp = (int)n;
			return -1;
		}
	}
	return got;
}

int
ops_ssh_run(struct ops_ssh *s, const char *cmd, const char *stdin_data,
    size_t stdin_len, int64_t deadline, struct ops_ssh_exec *r,
    struct ops_err *err)
{
	LIBSSH2_CHANNEL *ch = NULL;
	struct ops_buf line;
	char *buf = NULL;
	size_t off = 0, lim_out, lim_err;
	bool eof_sent = false;
	int64_t secs;
	int rc, ret = -1;

	r->truncated = false;
	r->status = -1;
	r->signal[0] = '\0';
	ops_buf_reset(&r->out);
	ops_buf_reset(&r->err);
	lim_out = r->out.limit == OPS_BUF_NOLIMIT ? RUN_LIMIT_DEFAULT
						   : r->out.limit;
	lim_err = r->err.limit == OPS_BUF_NOLIMIT ? RUN_LIMIT_DEFAULT
						   : r->err.limit;
	if (s->broken)
		return broken_err(s, err);
	if (stdin_data == NULL)
		stdin_len = 0;

	/* The remote timeout fires before our deadline (whole seconds, with
	 * RUN_MARGIN_MS left for the exit status to come back) so that its
	 * 124 is seen; our deadline stays the backstop when the command
	 * ignores SIGTERM (it gets SIGKILL 5 s later). */
	secs = (deadline - ops_clock_mono_ms() - RUN_MARGIN_MS) / 1000;
	if (secs < 1)
		secs = 1;
	ops_buf_init(&line, 0);
	if (ops_buf_printf(&line, "timeout -k 5 %lld sh -c ", (long long)secs) ==
	    -1 || ops_sh_quote(&line, cmd) == -1) {
		ops_buf_release(&line);
		return ops_err_set(err, FAIL, "command for %s is too long",
		    s->where);
	}

	while ((ch = libssh2_channel_open_session(s->sess)) == NULL) {
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN) {
			ops_err_set(err, FAIL,
			    "cannot run a command on %s: %s", s->where,
			    last_msg(s->sess));
			goto out;
		}
		if (again(s, deadline, err, "command", "channel to") == -1)
			goto out;
	}
	while ((rc = libssh2_channel_process_startup(ch, "exec", 4, line.data,
	    (unsigned)line.len)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "command", "start of a command on") ==
		    -1)
			goto out;
	if (rc != 0) {
		ops_err_set(err, FAIL, "cannot run a command on %s: %s",
		    s->where, last_msg(s->sess));
		goto out;
	}

	buf = ops_xmalloc(32768);
	for (;;) {
		int progress = 0;

		if (off < stdin_len) {
			size_t want = stdin_len - off;
			ssize_t w = libssh2_channel_write(ch, stdin_data + off,
			    want > 32768 ? 32768 : want);

			if (w > 0) {
				off += (size_t)w;
				progress = 1;
			} else if (w < 0 && w != LIBSSH2_ERROR_EAGAIN) {
				/* The command may exit without reading all of
				 * its input: stop feeding it, keep reading. */
				off = stdin_len;
			}
		}
		if (off == stdin_len && !eof_sent) {
			rc = libssh2_channel_send_eof(ch);
			if (rc != LIBSSH2_ERROR_EAGAIN) {
				eof_sent = true;
				progress = 1;
			}
		}
		rc = 0;
		int got = drain(ch, r, lim_out, lim_err, buf, 32768, &rc);
		if (got == -1) {
			s->broken = true;
			ops_err_set(err, FAIL,
			    "command on %s: connection lost: %s", s->where,
			    last_msg(s->sess));
			goto out;
		}
		if (got)
			progress = 1;
		if (libssh2_channel_eof(ch) == 1)
			break;
		if (!progress &&
		    again(s, deadline, err, "command", "command on") == -1)
			goto out;
	}
	while ((rc = libssh2_channel_close(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "command", "end of a command on") ==
		    -1)
			goto out;
	while ((rc = libssh2_channel_wait_closed(ch)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "command", "end of a command on") ==
		    -1)
			goto out;

	char *sig = NULL;
	size_t siglen = 0;
	if (libssh2_channel_get_exit_signal(ch, &sig, &siglen, NULL, NULL,
	    NULL, NULL) == 0 &&
	    sig != NULL && siglen > 0) {
		r->status = -1;
		snprintf(r->signal, sizeof(r->signal), "%.*s",
		    (int)(siglen < sizeof(r->signal) ? siglen
						      : sizeof(r->signal) - 1),
		    sig);
	} else {
		r->status = libssh2_channel_get_exit_status(ch);
	}
	if (sig)
		libssh2_free(s->sess, sig);
	ret = 0;
out:
	if (ch)
		free_channel(s, ch, ret == 0 ? deadline
					     : ops_clock_mono_ms() + CLEANUP_MS);
	free(buf);
	ops_buf_release(&line);
	return ret;
}

/* --- SFTP --------------------------------------------------------------- */

static const char *
fx_text(unsigned long fx)
{
	switch (fx) {
	case LIBSSH2_FX_NO_SUCH_FILE:
	case LIBSSH2_FX_NO_SUCH_PATH:
		return "no such file or directory";
	case LIBSSH2_FX_PERMISSION_DENIED:
		return "permission denied";
	case LIBSSH2_FX_FILE_ALREADY_EXISTS:
		return "file exists";
	case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
	case LIBSSH2_FX_QUOTA_EXCEEDED:
		return "no space left";
	case LIBSSH2_FX_OP_UNSUPPORTED:
		return "operation not supported by the server";
	case LIBSSH2_FX_FAILURE:
		return "failed";
	default:
		return "SFTP error";
	}
}

/* Message for the last failed SFTP call: the server's status when the
 * failure came from the server, libssh2's message otherwise. */
static const char *
sftp_why(struct ops_ssh *s, unsigned long *fx)
{
	*fx = 0;
	if (libssh2_session_last_errno(s->sess) == LIBSSH2_ERROR_SFTP_PROTOCOL) {
		*fx = libssh2_sftp_last_error(s->sftp);
		return fx_text(*fx);
	}
	s->broken = true; /* not a server status: the transport failed */
	return last_msg(s->sess);
}

static int
sftp_get(struct ops_ssh *s, int64_t deadline, struct ops_err *err)
{
	if (s->broken)
		return broken_err(s, err);
	while (s->sftp == NULL) {
		s->sftp = libssh2_sftp_init(s->sess);
		if (s->sftp)
			break;
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN)
			return ops_err_set(err, FAIL,
			    "sftp: cannot start SFTP on %s: %s", s->where,
			    last_msg(s->sess));
		if (again(s, deadline, err, "sftp", "start of SFTP on") == -1)
			return -1;
	}
	return 0;
}

/* Open path; NULL with err.  fx gets the server's status on failure. */
static LIBSSH2_SFTP_HANDLE *
sftp_open(struct ops_ssh *s, const char *path, unsigned long flags,
    long mode, int64_t deadline, unsigned long *fx, struct ops_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;

	*fx = 0;
	for (;;) {
		h = libssh2_sftp_open_ex(s->sftp, path, (unsigned)strlen(path),
		    flags, mode, LIBSSH2_SFTP_OPENFILE);
		if (h)
			return h;
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN)
			break;
		if (again(s, deadline, err, "sftp", "open of a file on") == -1)
			return NULL;
	}
	const char *why = sftp_why(s, fx);
	ops_err_set(err, FAIL, "sftp: cannot open %s on %s: %s", path,
	    s->where, why);
	return NULL;
}

static int
sftp_close(struct ops_ssh *s, LIBSSH2_SFTP_HANDLE *h, int64_t deadline,
    struct ops_err *err)
{
	int rc;

	while ((rc = libssh2_sftp_close_handle(h)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "close of a file on") == -1)
			return -1;
	if (rc != 0) {
		unsigned long fx;
		const char *why = sftp_why(s, &fx);

		return ops_err_set(err, FAIL, "sftp: closing a file on %s: %s",
		    s->where, why);
	}
	return 0;
}

/* 0 when path exists, -1 when not (or unknown); bounded by deadline. */
static int
sftp_exists(struct ops_ssh *s, const char *path, int64_t deadline)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	int rc;

	while ((rc = libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path),
	    LIBSSH2_SFTP_LSTAT, &a)) == LIBSSH2_ERROR_EAGAIN)
		if (wait_sock(s->fd, s->sess, deadline) == -1) {
			s->broken = true;
			return -1;
		}
	return rc == 0 ? 0 : -1;
}

/* Best-effort removal of a temporary. */
static void
sftp_remove(struct ops_ssh *s, const char *path, int64_t deadline)
{
	if (s->broken)
		return;
	while (libssh2_sftp_unlink_ex(s->sftp, path, (unsigned)strlen(path)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (wait_sock(s->fd, s->sess, deadline) == -1) {
			s->broken = true;
			return;
		}
}

static void
rand_name(char *dst, size_t n)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[16];
	size_t i;

	if (n > sizeof(rnd))
		n = sizeof(rnd);
	if (getrandom(rnd, n, 0) != (ssize_t)n) {
		/* Cannot happen for 16 bytes after boot; keep unique-ish. */
		uint64_t v = (uint64_t)ops_clock_mono_ms() ^ (uint64_t)getpid();

		for (i = 0; i < n; i++, v >>= 5)
			rnd[i] = (unsigned char)v;
	}
	for (i = 0; i < n; i++)
		dst[i] = set[rnd[i] % (sizeof(set) - 1)];
	dst[n] = '\0';
}

/* Send all of p[0..n) through h. */
static int
sftp_write_all(struct ops_ssh *s, LIBSSH2_SFTP_HANDLE *h, const char *p,
    size_t n, int64_t deadline, struct ops_err *err)
{
	size_t off = 0;
	ssize_t w;

	while (off < n) {
		/* libssh2 pipelines: after EAGAIN or a short count, the same
		 * data must come again from where the count stopped. */
		w = libssh2_sftp_write(h, p + off, n - off);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w == 0 || w == LIBSSH2_ERROR_EAGAIN) {
			if (again(s, deadline, err, "sftp", "upload to") == -1)
				return -1;
			continue;
		}
		unsigned long fx;
		const char *why = sftp_why(s, &fx);
		return ops_err_set(err, FAIL, "sftp: writing to %s: %s",
		    s->where, why);
	}
	return 0;
}

int
ops_ssh_upload(struct ops_ssh *s, int fd, const char *remote_path,
    mode_t mode, int64_t deadline, uint64_t *bytes, struct ops_err *err)
{
	LIBSSH2_SFTP_HANDLE *h = NULL;
	struct ops_buf tmp;
	const char *slash, *name;
	char rnd[8], *buf = NULL;
	uint64_t total = 0;
	unsigned long fx;
	bool made = false;
	ssize_t n;
	int rc, ret = -1;

	if (bytes)
		*bytes = 0;
	slash = strrchr(remote_path, '/');
	name = slash ? slash + 1 : remote_path;
	if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return ops_err_set(err, FAIL,
		    "sftp: upload to %s: \"%s\" does not name a file", s->where,
		    remote_path);
	if (sftp_get(s, deadline, err) == -1)
		return -1;
	if (sftp_exists(s, remote_path, deadline) == 0)
		return ops_err_set(err, FAIL,
		    "sftp: upload to %s: %s exists already (it is never "
		    "replaced)",
		    s->where, remote_path);
	if (s->broken)
		return timeout_err(s, err, "sftp", "upload to");

	ops_buf_init(&tmp, 0);
	rand_name(rnd, 6);
	if ((slash && ops_buf_add(&tmp, remote_path,
	    (size_t)(slash - remote_path) + 1) == -1) ||
	    ops_buf_printf(&tmp, ".%s.%s.tmp", name, rnd) == -1) {
		ops_err_set(err, FAIL, "sftp: upload to %s: path too long",
		    s->where);
		goto out;
	}
	h = sftp_open(s, tmp.data,
	    LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL,
	    (long)(mode & 07777), deadline, &fx, err);
	if (h == NULL)
		goto out;
	made = true;

	buf = ops_xmalloc(IO_CHUNK);
	while ((n = ops_read_all(fd, buf, IO_CHUNK)) > 0) {
		if (sftp_write_all(s, h, buf, (size_t)n, deadline, err) == -1)
			goto out;
		total += (uint64_t)n;
		if ((size_t)n < IO_CHUNK)
			break;
	}
	if (n == -1) {
		ops_err_set(err, FAIL, "sftp: upload to %s: reading the local "
				       "file:",
		    s->where);
		goto out;
	}
	while ((rc = libssh2_sftp_fsync(h)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "fsync on") == -1)
			goto out;
	if (rc != 0) {
		const char *why = sftp_why(s, &fx);

		if (fx != LIBSSH2_FX_OP_UNSUPPORTED) {
			ops_err_set(err, FAIL, "sftp: fsync of %s on %s: %s",
			    tmp.data, s->where, why);
			goto out;
		}
	}
	rc = sftp_close(s, h, deadline, err);
	h = NULL;
	if (rc == -1)
		goto out;
	/* OpenSSH never replaces the target (PITFALLS.md); no OVERWRITE. */
	while ((rc = libssh2_sftp_rename_ex(s->sftp, tmp.data,
	    (unsigned)tmp.len, remote_path, (unsigned)strlen(remote_path),
	    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE)) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "rename on") == -1)
			goto out;
	if (rc != 0) {
		const char *why = sftp_why(s, &fx);

		if (!s->broken && sftp_exists(s, remote_path, deadline) == 0)
			ops_err_set(err, FAIL,
			    "sftp: upload to %s: %s exists already (it is "
			    "never replaced)",
			    s->where, remote_path);
		else
			ops_err_set(err, FAIL,
			    "sftp: cannot rename %s to %s on %s: %s", tmp.data,
			    remote_path, s->where, why);
		goto out;
	}
	made = false;
	if (bytes)
		*bytes = total;
	ret = 0;
out:
	if (h || made) {
		int64_t grace = ops_clock_mono_ms() + CLEANUP_MS;
		struct ops_err ignored;

		if (grace < deadline)
			grace = deadline;
		if (h && !s->broken)
			(void)sftp_close(s, h, grace, &ignored);
		if (made)
			sftp_remove(s, tmp.data, grace);
	}
	free(buf);
	ops_buf_release(&tmp);
	return ret;
}

int
ops_ssh_download(struct ops_ssh *s, const char *remote_path, int fd,
    int64_t deadline, uint64_t *bytes, struct ops_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;
	char *buf;
	uint64_t total = 0;
	unsigned long fx;
	ssize_t n;
	int ret = -1;

	if (bytes)
		*bytes = 0;
	if (sftp_get(s, deadline, err) == -1)
		return -1;
	h = sftp_open(s, remote_path, LIBSSH2_FXF_READ, 0, deadline, &fx, err);
	if (h == NULL)
		return -1;
	buf = ops_xmalloc(IO_CHUNK);
	for (;;) {
		n = libssh2_sftp_read(h, buf, IO_CHUNK);
		if (n > 0) {
			if (ops_write_all(fd, buf, (size_t)n) == -1) {
				ops_err_set(err, FAIL,
				    "sftp: download of %s from %s: writing "
				    "the local file:",
				    remote_path, s->where);
				goto out;
			}
			total += (uint64_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (n == LIBSSH2_ERROR_EAGAIN) {
			if (again(s, deadline, err, "sftp", "download from") ==
			    -1)
				goto out;
			continue;
		}
		const char *why = sftp_why(s, &fx);
		ops_err_set(err, FAIL, "sftp: reading %s on %s: %s",
		    remote_path, s->where, why);
		goto out;
	}
	if (bytes)
		*bytes = total;
	ret = 0;
out:
	if (!s->broken) {
		struct ops_err e2;

		if (sftp_close(s, h, ret == 0 ? deadline
					      : ops_clock_mono_ms() + CLEANUP_MS,
		    ret == 0 ? err : &e2) == -1)
			ret = -1;
	}
	free(buf);
	return ret;
}

/* --- SFTP: directories, removal, stat ----------------------------------- */

/* Whether the server's status says that the path does not exist. */
static bool
fx_missing(unsigned long fx)
{
	return fx == LIBSSH2_FX_NO_SUCH_FILE || fx == LIBSSH2_FX_NO_SUCH_PATH;
}

/* The entry's fields from what the server sent; name left alone. */
static void
dirent_fill(struct ops_ssh_dirent *d, const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	d->is_reg = false;
	d->is_dir = false;
	d->size = 0;
	d->mtime = 0;
	if (a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) {
		d->is_reg = LIBSSH2_SFTP_S_ISREG(a->permissions);
		d->is_dir = LIBSSH2_SFTP_S_ISDIR(a->permissions);
	}
	if (a->flags & LIBSSH2_SFTP_ATTR_SIZE)
		d->size = (uint64_t)a->filesize;
	if (a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME)
		d->mtime = (int64_t)a->mtime;
}

/*
 * Stat path, following symbolic links, into *a.  0, or -1 with err set
 * and fx the server's status (0 when the transport failed or the deadline
 * passed: the session is then broken).
 */
static int
sftp_stat(struct ops_ssh *s, const char *path, LIBSSH2_SFTP_ATTRIBUTES *a,
    int64_t deadline, unsigned long *fx, struct ops_err *err)
{
	int rc;

	*fx = 0;
	memset(a, 0, sizeof(*a));
	while ((rc = libssh2_sftp_stat_ex(s->sftp, path, (unsigned)strlen(path),
	    LIBSSH2_SFTP_STAT, a)) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "stat on") == -1)
			return -1;
	if (rc == 0)
		return 0;
	const char *why = sftp_why(s, fx);
	return ops_err_set(err, FAIL, "sftp: cannot stat %s on %s: %s", path,
	    s->where, why);
}

/*
 * After a failed call on path: what is there now.  1 a directory, 0
 * something else, -1 nothing or unknown (the session may then be broken).
 */
static int
probe_dir(struct ops_ssh *s, const char *path, int64_t deadline)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct ops_err ignored;
	unsigned long fx;

	if (s->broken || sftp_stat(s, path, &a, deadline, &fx, &ignored) == -1)
		return -1;
	if (!(a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS))
		return -1;
	return LIBSSH2_SFTP_S_ISDIR(a.permissions) ? 1 : 0;
}

static int
dirent_cmp(const void *a, const void *b)
{
	const struct ops_ssh_dirent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void
ops_ssh_dirents_free(struct ops_ssh_dirent *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
ops_ssh_list(struct ops_ssh *s, const char *dir, struct ops_ssh_dirent **out,
    size_t *n, int64_t deadline, struct ops_err *err)
{
	LIBSSH2_SFTP_HANDLE *h;
	LIBSSH2_SFTP_ATTRIBUTES a;
	struct ops_ssh_dirent *v = NULL;
	size_t nv = 0, cap = 0;
	unsigned long fx;
	char *name;
	int rc, ret = -1;

	*out = NULL;
	*n = 0;
	if (sftp_get(s, deadline, err) == -1)
		return -1;
	while ((h = libssh2_sftp_open_ex(s->sftp, dir, (unsigned)strlen(dir), 0,
	    0, LIBSSH2_SFTP_OPENDIR)) == NULL) {
		if (libssh2_session_last_errno(s->sess) != LIBSSH2_ERROR_EAGAIN)
			break;
		if (again(s, deadline, err, "sftp", "listing of") == -1)
			return -1;
	}
	if (h == NULL) {
		const char *why = sftp_why(s, &fx);

		/* OpenSSH answers NO_SUCH_FILE for a file too (ENOTDIR). */
		if (fx_missing(fx) && probe_dir(s, dir, deadline) == 0)
			return ops_err_set(err, FAIL,
			    "sftp: cannot list %s on %s: not a directory", dir,
			    s->where);
		if (fx_missing(fx))
			return ops_err_set(err, FAIL,
			    "no such directory: %s on %s", dir, s->where);
		return ops_err_set(err, FAIL, "sftp: cannot list %s on %s: %s",
		    dir, s->where, why);
	}

	name = ops_xmalloc(LIST_NAME_MAX + 1);
	for (;;) {
		memset(&a, 0, sizeof(a));
		/* 0 is the end of the directory (and would also be an empty
		 * name, which no sane server sends). */
		rc = libssh2_sftp_readdir_ex(h, name, LIST_NAME_MAX + 1, NULL,
		    0, &a);
		if (rc == LIBSSH2_ERROR_EAGAIN) {
			if (again(s, deadline, err, "sftp", "listing of") == -1)
				goto out;
			continue;
		}
		if (rc == 0)
			break;
		if (rc == LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
			/* libssh2 1.10 then keeps pointing at the same entry:
			 * the handle cannot go on. */
			ops_err_set(err, FAIL,
			    "sftp: cannot list %s on %s: a name is longer than "
			    "%d bytes",
			    dir, s->where, LIST_NAME_MAX);
			goto out;
		}
		if (rc < 0) {
			const char *why = sftp_why(s, &fx);

			ops_err_set(err, FAIL, "sftp: cannot list %s on %s: %s",
			    dir, s->where, why);
			goto out;
		}
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		/* Names go into paths: nothing but one component. */
		if (memchr(name, '\0', (size_t)rc) || strchr(name, '/')) {
			char shown[80];

			ops_err_set(err, FAIL,
			    "sftp: cannot list %s on %s: the server sent a bad "
			    "name \"%s\"",
			    dir, s->where,
			    ops_diag_shown(shown, sizeof(shown), name,
				(size_t)rc));
			goto out;
		}
		if (nv == LIST_MAX) {
			ops_err_set(err, FAIL,
			    "sftp: cannot list %s on %s: more than %d entries",
			    dir, s->where, LIST_MAX);
			goto out;
		}
		ops_xgrow((void **)&v, &cap, nv + 1, sizeof(*v));
		v[nv].name = ops_xstrndup(name, (size_t)rc);
		dirent_fill(&v[nv], &a);
		nv++;
	}
	ret = 0;
out:
	free(name);
	if (!s->broken) {
		int64_t until = ret == 0 ? deadline
					 : ops_clock_mono_ms() + CLEANUP_MS;
		struct ops_err e2;

		if (sftp_close(s, h, until, ret == 0 ? err : &e2) == -1)
			ret = -1;
	}
	if (ret == -1) {
		ops_ssh_dirents_free(v, nv);
		return -1;
	}
	if (nv > 1)
		qsort(v, nv, sizeof(*v), dirent_cmp);
	*out = v;
	*n = nv;
	return 0;
}

int
ops_ssh_stat(struct ops_ssh *s, const char *path, struct ops_ssh_dirent *st,
    int64_t deadline, struct ops_err *err)
{
	LIBSSH2_SFTP_ATTRIBUTES a;
	unsigned long fx;
	const char *end, *base;

	st->name = NULL;
	if (sftp_get(s, deadline, err) == -1)
		return -1;
	if (sftp_stat(s, path, &a, deadline, &fx, err) == -1) {
		if (fx_missing(fx))
			return ops_err_set(err, FAIL, "no such file: %s on %s",
			    path, s->where);
		return -1;
	}
	/* The last component, trailing slashes left out ("/" for "/"). */
	end = path + strlen(path);
	while (end > path + 1 && end[-1] == '/')
		end--;
	base = end;
	while (base > path && base[-1] != '/')
		base--;
	if (base == end && end > path)
		base = end - 1;
	st->name = ops_xstrndup(base, (size_t)(end - base));
	dirent_fill(st, &a);
	return 0;
}

int
ops_ssh_remove(struct ops_ssh *s, const char *path, int64_t deadline,
    struct ops_err *err)
{
	unsigned long fx;
	int rc;

	if (sftp_get(s, deadline, err) == -1)
		return -1;
	while ((rc = libssh2_sftp_unlink_ex(s->sftp, path,
	    (unsigned)strlen(path))) == LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "removal on") == -1)
			return -1;
	if (rc == 0)
		return 0;
	const char *why = sftp_why(s, &fx);
	if (fx_missing(fx))
		return ops_err_set(err, FAIL, "no such file: %s on %s", path,
		    s->where);
	/* OpenSSH says only "failure" for a directory (EISDIR). */
	if (fx != 0 && probe_dir(s, path, deadline) == 1)
		return ops_err_set(err, FAIL,
		    "sftp: cannot remove %s on %s: it is a directory (only "
		    "files are removed)",
		    path, s->where);
	return ops_err_set(err, FAIL, "sftp: cannot remove %s on %s: %s", path,
	    s->where, why);
}

int
ops_ssh_mkdir(struct ops_ssh *s, const char *path, int mode,
    int64_t deadline, struct ops_err *err)
{
	unsigned long fx;
	int rc, there;

	if (sftp_get(s, deadline, err) == -1)
		return -1;
	while ((rc = libssh2_sftp_mkdir_ex(s->sftp, path,
	    (unsigned)strlen(path), (long)(mode & 07777))) ==
	    LIBSSH2_ERROR_EAGAIN)
		if (again(s, deadline, err, "sftp", "mkdir on") == -1)
			return -1;
	if (rc == 0)
		return 0;
	const char *why = sftp_why(s, &fx);
	if (fx == 0)
		return ops_err_set(err, FAIL,
		    "sftp: cannot create directory %s on %s: %s", path,
		    s->where, why);
	/* OpenSSH says only "failure" for EEXIST: look. */
	there = probe_dir(s, path, deadline);
	if (there == 1)
		return 0;
	if (there == 0)
		return ops_err_set(err, FAIL,
		    "sftp: cannot create directory %s on %s: something else "
		    "of that name exists",
		    path, s->where);
	if (fx_missing(fx))
		return ops_err_set(err, FAIL,
		    "sftp: cannot create directory %s on %s: the parent "
		    "directory does not exist",
		    path, s->where);
	return ops_err_set(err, FAIL,
	    "sftp: cannot create directory %s on %s: %s", path, s->where, why);
}
