/*
 * target.c - opsping targets: target text, the options column, the
 * targets file
 * SPDX-License-Identifier: MIT
 *
 * The targets file (--targets FILE, ping.targets in the config, else
 * DIR/targets.tsv) is written by hand, so it is read more leniently than a
 * store, but every error stops the load with "FILE:LINE: why" (code 2):
 *
 *   - A line whose first byte is '#' is a comment, and a line that is empty
 *     or holds only blanks (spaces, tabs) is skipped; both may come before
 *     the header too.  A target name therefore cannot start with '#'.
 *   - The first other line is the header: column names separated by TABs.
 *     "name" and "target" are required, "options" is optional; columns are
 *     found by name, other columns are ignored.
 *   - Every further line is one target.  Fields use the TSV escapes (\\ \t
 *     \n \r; ops-tsv(5)).  A line may end before the optional columns, which
 *     then read empty; fields past the header's columns must be empty.
 *   - A CR before the LF is dropped (a file saved on Windows), and the last
 *     line needs no LF.
 *   - At most 16 MiB, 64 KiB a line, 100000 targets (TARGETS_MAX).
 *
 * The options column holds key=value words separated by spaces; a value
 * may be double-quoted to hold spaces (match="Welcome home"), with \" and
 * \\ as the only escapes inside the quotes.
 */
#include "compat.h"

#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "fsx.h"
#include "mem.h"
#include "num.h"
#include "out.h"
#include "range.h"
#include "tsv.h"

#include "opsping.h"

#define TARGET_MAX 4096 /* bytes of target text */
#define FILE_MAX ((size_t)16 << 20)
#define LINE_MAX_BYTES (64 * 1024)
#define TARGETS_MAX 100000 /* targets in one file */
#define HOST_MAX 253
#define USER_MAX 32
#define UNIT_MAX 256
#define EXEC_MAX 64
#define MOUNT_MAX 1024
#define SHOWN 256 /* ops_diag_shown() output */
#define WHY 512
#define SUGGEST_MAX 32
#define STR_(x) #x
#define STR(x) STR_(x)

#define FORMS                                                                  \
	"HOST, icmp://HOST, tcp://HOST:PORT, http://HOST[:PORT][/PATH], "      \
	"https://HOST[:PORT][/PATH] or ssh://[USER@]HOST[:PORT]/PROBE"
#define PROBES "disk, disk=/MOUNT, load, mem, service=UNIT or exec=NAME"

/* ---- target text ---- */

struct pg_target *
pg_target_new(void)
{
	struct pg_target *t = ops_xcalloc(1, sizeof(*t));

	t->kind = PG_ICMP;
	t->attempts = PG_DEF_ATTEMPTS;
	t->count = PG_DEF_COUNT;
	return t;
}

void
pg_target_free(struct pg_target *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->spec);
	free(t->host);
	free(t->url);
	free(t->user);
	free(t->probe);
	free(t->match);
	free(t->parent);
	free(t->ca);
	free(t);
}

/* s[0..len) quoted back for a message: control bytes escaped, cut. */
static const char *
shown(char *dst, const char *s, size_t len)
{
	return ops_diag_shown(dst, SHOWN, s, len);
}

/*
 * true when s[0..len) holds a C0 control byte, DEL, or (in UTF-8) a C1
 * control U+0080..U+009F.
 */
static bool
has_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return true;
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

static bool
in_set(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

static bool
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static bool
is_lower_digit(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/*
 * Check a host h[0..len): a DNS name, an IPv4 address, or an IPv6 address
 * (in brackets when bracketed; bare only when bare_v6).  true, or false
 * with why.
 */
static bool
check_host(const char *h, size_t len, bool bracketed, bool bare_v6, char *why,
    size_t wsz)
{
	char buf[HOST_MAX + 1], sh[SHOWN];
	struct in6_addr a6;
	struct in_addr a4;
	size_t i, start;
	bool digits = true, last_digits = false, ok;

	shown(sh, h, len);
	if (len == 0) {
		snprintf(why, wsz, "no host");
		return false;
	}
	if (bracketed || memchr(h, ':', len) != NULL) {
		ok = len < INET6_ADDRSTRLEN;
		if (ok) {
			memcpy(buf, h, len);
			buf[len] = '\0';
			ok = inet_pton(AF_INET6, buf, &a6) == 1;
		}
		if (!ok) {
			snprintf(why, wsz, "\"%s%s%s\" is not an IPv6 address",
			    bracketed ? "[" : "", sh, bracketed ? "]" : "");
			return false;
		}
		if (!bracketed && !bare_v6) {
			snprintf(why, wsz,
			    "an IPv6 address goes in brackets: [%s]", sh);
			return false;
		}
		return true;
	}
	if (len > HOST_MAX) {
		snprintf(
		    why, wsz, "host name is longer than %d bytes", HOST_MAX);
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!is_alnum(h[i]) && h[i] != '.' && h[i] != '-') {
			snprintf(why, wsz,
			    "host \"%s\" has a character other than letters, "
			    "digits, '.' and '-'",
			    sh);
			return false;
		}
	}
	/* labels: not empty (one trailing dot is the root), at most 63 */
	for (start = 0; start < len; start = i + 1) {
		for (i = start, digits = true; i < len && h[i] != '.'; i++)
			if (h[i] < '0' || h[i] > '9')
				digits = false;
		if (i == start) {
			snprintf(
			    why, wsz, "host \"%s\" has an empty label", sh);
			return false;
		}
		if (h[start] == '-') {
			snprintf(why, wsz,
			    "host \"%s\" has a label starting with '-'", sh);
			return false;
		}
		if (i - start > 63) {
			snprintf(why, wsz,
			    "host \"%s\" has a label longer than 63 bytes", sh);
			return false;
		}
		last_digits = digits;
	}
	/*
	 * A numeric last label, or anything inet_aton() reads ("127.1",
	 * "0x7f.1", "010.0.0.1"), must be a plain dotted-quad address: the
	 * resolver would otherwise take it as an address of its own reading.
	 */
	memcpy(buf, h, len);
	buf[len] = '\0';
	if ((last_digits || inet_aton(buf, &a4) != 0) &&
	    inet_pton(AF_INET, buf, &a4) != 1) {
		snprintf(why, wsz,
		    "host \"%s\" is not a valid IPv4 address (write four "
		    "numbers from 0 to 255, like 192.0.2.1)",
		    sh);
		return false;
	}
	return true;
}

enum { PORT_NONE, PORT_OPT, PORT_REQ };

/*
 * Split a[0..len) as HOST[:PORT] ("[v6]" for IPv6) into a new *host and
 * *port (0 when not given).  true, or false with why.
 */
static bool
host_port(const char *a, size_t len, int pmode, char **host, int *port,
    char *why, size_t wsz)
{
	const char *end = a + len, *h = a, *hend, *rest, *c;
	char sh[SHOWN];
	long long v;
	const char *e;
	bool br = false;

	if (len > 0 && a[0] == '[') {
		c = memchr(a, ']', len);
		if (c == NULL) {
			snprintf(why, wsz, "no ']' after the IPv6 address");
			return false;
		}
		h = a + 1;
		hend = c;
		rest = c + 1;
		br = true;
	} else {
		c = memchr(a, ':', len);
		hend = c ? c : end;
		/* two colons: an IPv6 address without brackets */
		if (c && memchr(c + 1, ':', (size_t)(end - c - 1)) != NULL)
			hend = end;
		rest = hend;
	}
	if (!check_host(h, (size_t)(hend - h), br, false, why, wsz))
		return false;
	*port = 0;
	if (rest == end) {
		if (pmode == PORT_REQ) {
			snprintf(why, wsz, "no port");
			return false;
		}
	} else if (*rest != ':') {
		snprintf(why, wsz, "unexpected \"%s\" after the host",
		    shown(sh, rest, (size_t)(end - rest)));
		return false;
	} else if (pmode == PORT_NONE) {
		snprintf(why, wsz, "a port is not allowed here");
		return false;
	} else if (rest + 1 == end) {
		snprintf(why, wsz, "no port after ':'");
		return false;
	} else {
		shown(sh, rest + 1, (size_t)(end - rest - 1));
		for (c = rest + 1; c < end; c++) {
			if (*c < '0' || *c > '9') {
				snprintf(why, wsz,
				    "port \"%s\" is not a number", sh);
				return false;
			}
		}
		if (end - rest - 1 <= 10) {
			memcpy(why, rest + 1, (size_t)(end - rest - 1));
			why[end - rest - 1] = '\0';
		}
		if (end - rest - 1 > 10 ||
		    ops_parse_int(why, 1, 65535, &v, &e) < 0) {
			snprintf(why, wsz,
			    "port %s is out of range (1 to 65535)", sh);
			return false;
		}
		*port = (int)v;
	}
	*host = ops_xstrndup(h, (size_t)(hend - h));
	return true;
}

/* Check an absolute mount point: "/", "/var", "/srv/data-1". */
static bool
check_mount(const char *m, char *why, size_t wsz)
{
	char sh[SHOWN];
	const char *p, *comp;
	size_t len = strlen(m);

	shown(sh, m, len);
	if (m[0] != '/') {
		snprintf(why, wsz,
		    "disk= needs an absolute mount point, like disk=/var");
		return false;
	}
	if (len > MOUNT_MAX) {
		snprintf(
		    why, wsz, "mount point is longer than %d bytes", MOUNT_MAX);
		return false;
	}
	for (p = m; *p; p++) {
		if (!is_alnum(*p) && !in_set(*p, "/._-+@:,=")) {
			snprintf(why, wsz,
			    "mount point \"%s\" has a character other than "
			    "letters, digits and / . _ - + @ : , =",
			    sh);
			return false;
		}
	}
	for (comp = m; comp; comp = strchr(comp + 1, '/')) {
		p = comp + 1;
		if ((p[0] == '.' && (p[1] == '/' || p[1] == '\0')) ||
		    (p[0] == '.' && p[1] == '.' &&
		        (p[2] == '/' || p[2] == '\0'))) {
			snprintf(why, wsz,
			    "mount point \"%s\" has a . or .. component", sh);
			return false;
		}
	}
	return true;
}

/* Check an SSH probe: disk, disk=/MOUNT, load, mem, service=U, exec=N. */
static bool
check_probe(const char *p, char *why, size_t wsz)
{
	char sh[SHOWN];
	const char *v;
	size_t i, len;

	if (strcmp(p, "disk") == 0 || strcmp(p, "load") == 0 ||
	    strcmp(p, "mem") == 0)
		return true;
	if (strncmp(p, "disk=", 5) == 0)
		return check_mount(p + 5, why, wsz);
	if (strncmp(p, "service=", 8) == 0) {
		v = p + 8;
		len = strlen(v);
		for (i = 0; i < len; i++)
			if (!is_alnum(v[i]) && !in_set(v[i], "@._:-"))
				break;
		if (len == 0 || len > UNIT_MAX || i < len || v[0] == '-') {
			snprintf(why, wsz,
			    "service unit \"%s\" is not a unit name (letters, "
			    "digits and @ . _ : -, not starting with '-', at "
			    "most %d bytes)",
			    shown(sh, v, len), UNIT_MAX);
			return false;
		}
		return true;
	}
	if (strncmp(p, "exec=", 5) == 0) {
		v = p + 5;
		len = strlen(v);
		for (i = 0; i < len; i++)
			if (!is_lower_digit(v[i]) && !(i > 0 && v[i] == '-'))
				break;
		if (len == 0 || len > EXEC_MAX || i < len) {
			snprintf(why, wsz,
			    "exec name \"%s\" is not a command name (a-z, 0-9 "
			    "and -, starting with a letter or digit, at most "
			    "%d bytes)",
			    shown(sh, v, len), EXEC_MAX);
			return false;
		}
		return true;
	}
	snprintf(why, wsz, "unknown probe \"%s\"", shown(sh, p, strlen(p)));
	return false;
}

/* Check an SSH user u[0..len): [a-z_][a-z0-9_.-]*, at most 32 bytes. */
static bool
check_user(const char *u, size_t len, char *why, size_t wsz)
{
	char sh[SHOWN];
	size_t i;

	for (i = 0; i < len; i++)
		if (!(u[i] >= 'a' && u[i] <= 'z') && u[i] != '_' &&
		    !(i > 0 &&
		        ((u[i] >= '0' && u[i] <= '9') || u[i] == '.' ||
		            u[i] == '-')))
			break;
	if (len == 0 || len > USER_MAX || i < len) {
		snprintf(why, wsz,
		    "user \"%s\" is not a user name (a-z, 0-9, _ . -, starting "
		    "with a-z or _, at most %d bytes)",
		    shown(sh, u, len), USER_MAX);
		return false;
	}
	return true;
}

/* What pg_target_parse() fills in, before it is moved into the target. */
struct parsed {
	enum pg_kind kind;
	char *host, *url, *user, *probe;
	int port;
};

static void
parsed_release(struct parsed *P)
{
	free(P->host);
	free(P->url);
	free(P->user);
	free(P->probe);
}

static int terr(struct ops_err *err, const char *spec, const char *use,
    const char *fmt, ...) OPS_PRINTF(4, 5);

/* "target "SPEC": why; use USE" (code 2). */
static int
terr(struct ops_err *err, const char *spec, const char *use, const char *fmt,
    ...)
{
	char sh[SHOWN], msg[WHY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ops_err_set(err, OPS_EXIT_USAGE, "target \"%s\": %s%s%s",
	    shown(sh, spec, strlen(spec)), msg, use ? "; use " : "",
	    use ? use : "");
}

static int
parse_http(struct parsed *P, const char *spec, const char *rest, bool tls,
    struct ops_err *err)
{
	const char *use =
	    tls ? "https://HOST[:PORT][/PATH]" : "http://HOST[:PORT][/PATH]";
	char why[WHY];
	size_t alen = strcspn(rest, "/?#");

	if (memchr(rest, '@', alen) != NULL)
		return terr(err, spec, NULL,
		    "credentials in URLs are not supported (no USER:PASSWORD@ "
		    "in http:// and https://)");
	if (!host_port(
	        rest, alen, PORT_OPT, &P->host, &P->port, why, sizeof(why)))
		return terr(err, spec, use, "%s", why);
	if (P->port == 0)
		P->port = tls ? 443 : 80;
	P->kind = PG_HTTP;
	P->url = ops_xstrdup(spec);
	return 0;
}

static int
parse_ssh(
    struct parsed *P, const char *spec, const char *rest, struct ops_err *err)
{
	const char *use = "ssh://[USER@]HOST[:PORT]/PROBE with PROBE " PROBES;
	const char *slash = strchr(rest, '/'), *at, *a;
	char why[WHY];
	size_t alen;

	if (slash == NULL)
		return terr(err, spec, use, "no probe");
	alen = (size_t)(slash - rest);
	a = rest;
	at = memchr(rest, '@', alen);
	if (at != NULL) {
		if (!check_user(rest, (size_t)(at - rest), why, sizeof(why)))
			return terr(err, spec, use, "%s", why);
		P->user = ops_xstrndup(rest, (size_t)(at - rest));
		a = at + 1;
		alen -= (size_t)(a - rest);
	}
	if (!host_port(a, alen, PORT_OPT, &P->host, &P->port, why, sizeof(why)))
		return terr(err, spec, use, "%s", why);
	if (P->port == 0)
		P->port = 22;
	if (!check_probe(slash + 1, why, sizeof(why)))
		return terr(err, spec, use, "%s", why);
	P->kind = PG_SSH;
	P->probe = ops_xstrdup(slash + 1);
	return 0;
}

static const char *const schemes[] = {"icmp", "tcp", "http", "https", "ssh"};

static int
parse_spec(struct parsed *P, const char *spec, struct ops_err *err)
{
	const char *sep, *rest;
	char why[WHY], sh[SHOWN];
	size_t len = strlen(spec), slen, i;

	if (len == 0)
		return terr(err, spec, FORMS, "empty target");
	if (len > TARGET_MAX)
		return terr(
		    err, spec, NULL, "longer than %d bytes", TARGET_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)spec[i] <= ' ')
			break;
	if (i < len || has_control(spec, len))
		return terr(err, spec, NULL,
		    "a blank or a control character is not allowed in a "
		    "target");
	if (!ops_utf8_valid(spec, len))
		return terr(err, spec, NULL, "not valid UTF-8");
	sep = strstr(spec, "://");
	if (sep == NULL) {
		/* HOST, [v6] or a bare v6 literal: ICMP */
		if (spec[0] == '[' && spec[len - 1] == ']') {
			if (!check_host(spec + 1, len - 2, true, false, why,
			        sizeof(why)))
				return terr(err, spec, FORMS, "%s", why);
			P->host = ops_xstrndup(spec + 1, len - 2);
		} else {
			if (strchr(spec, '/') != NULL ||
			    (strchr(spec, ':') != NULL &&
			        strchr(spec, ':') == strrchr(spec, ':')))
				return terr(err, spec, FORMS,
				    "not a host name or address");
			if (!check_host(
			        spec, len, false, true, why, sizeof(why)))
				return terr(err, spec, FORMS, "%s", why);
			P->host = ops_xstrdup(spec);
		}
		P->kind = PG_ICMP;
		return 0;
	}
	slen = (size_t)(sep - spec);
	rest = sep + 3;
	for (i = 0; i < OPS_ARRAY_SIZE(schemes); i++)
		if (strlen(schemes[i]) == slen &&
		    strncmp(spec, schemes[i], slen) == 0)
			break;
	if (i == OPS_ARRAY_SIZE(schemes)) {
		shown(sh, spec, slen);
		for (i = 0; i < OPS_ARRAY_SIZE(schemes); i++)
			if (strlen(schemes[i]) == slen &&
			    strncasecmp(spec, schemes[i], slen) == 0)
				return terr(err, spec, NULL,
				    "scheme \"%s\" must be lowercase (%s://)",
				    sh, schemes[i]);
		return terr(err, spec, FORMS, "unknown scheme \"%s\"", sh);
	}
	if (strcmp(schemes[i], "icmp") == 0) {
		if (!host_port(rest, strlen(rest), PORT_NONE, &P->host,
		        &P->port, why, sizeof(why)))
			return terr(err, spec, "icmp://HOST", "%s", why);
		P->kind = PG_ICMP;
		return 0;
	}
	if (strcmp(schemes[i], "tcp") == 0) {
		if (strchr(rest, '/') != NULL)
			return terr(err, spec, "tcp://HOST:PORT",
			    "tcp:// takes no path");
		if (!host_port(rest, strlen(rest), PORT_REQ, &P->host, &P->port,
		        why, sizeof(why)))
			return terr(err, spec, "tcp://HOST:PORT", "%s", why);
		P->kind = PG_TCP;
		return 0;
	}
	if (strcmp(schemes[i], "ssh") == 0)
		return parse_ssh(P, spec, rest, err);
	return parse_http(P, spec, rest, strcmp(schemes[i], "https") == 0, err);
}

int
pg_target_parse(struct pg_target *t, const char *spec, struct ops_err *err)
{
	struct parsed P = {0};

	if (spec == NULL)
		spec = "";
	if (parse_spec(&P, spec, err) < 0) {
		parsed_release(&P);
		return -1;
	}
	free(t->spec);
	free(t->host);
	free(t->url);
	free(t->user);
	free(t->probe);
	t->spec = ops_xstrdup(spec);
	t->kind = P.kind;
	t->host = P.host;
	t->port = P.port;
	t->url = P.url;
	t->user = P.user;
	t->probe = P.probe;
	if (t->name == NULL)
		t->name = ops_xstrdup(spec);
	return 0;
}

/* ---- options ---- */

/* Target names: also what parent= holds.  NULL, or why not. */
static const char *
name_error(const char *s, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > PG_MAX_NAME)
		return "is longer than " STR(PG_MAX_NAME) " bytes";
	if (!ops_utf8_valid(s, len))
		return "is not valid UTF-8";
	if (has_control(s, len) || memchr(s, '\0', len) != NULL)
		return "has a control character";
	if (s[0] == ' ' || s[len - 1] == ' ')
		return "starts or ends with a blank";
	return NULL;
}

enum {
	K_ICMP = 1 << PG_ICMP,
	K_TCP = 1 << PG_TCP,
	K_HTTP = 1 << PG_HTTP,
	K_SSH = 1 << PG_SSH,
	K_HTTPS = 1 << PG_KIND_COUNT, /* https:// only */
	K_ALL = K_ICMP | K_TCP | K_HTTP | K_SSH,
};

enum okey {
	O_WARN,
	O_CRIT,
	O_EXPECT,
	O_MATCH,
	O_CERT_DAYS,
	O_ATTEMPTS,
	O_COUNT,
	O_TIMEOUT,
	O_PARENT,
	O_FOLLOW,
	O_CA,
	O_INSECURE,
};

static const struct {
	const char *key;
	unsigned kinds;
} okeys[] = {
    [O_WARN] = {"warn", K_ALL},
    [O_CRIT] = {"crit", K_ALL},
    [O_EXPECT] = {"expect", K_HTTP},
    [O_MATCH] = {"match", K_HTTP},
    [O_CERT_DAYS] = {"cert-days", K_HTTPS},
    [O_ATTEMPTS] = {"attempts", K_ALL},
    [O_COUNT] = {"count", K_ICMP},
    [O_TIMEOUT] = {"timeout", K_ALL},
    [O_PARENT] = {"parent", K_ALL},
    [O_FOLLOW] = {"follow", K_HTTP},
    [O_CA] = {"ca", K_HTTPS},
    [O_INSECURE] = {"insecure", K_HTTPS},
};

#define KEY_LIST                                                               \
	"warn, crit, expect, match, cert-days, attempts, count, timeout, "     \
	"parent, follow, ca, insecure"

static int oerr(struct ops_err *err, enum okey k, const char *fmt, ...)
    OPS_PRINTF(3, 4);

/* "option "KEY": why" (code 2). */
static int
oerr(struct ops_err *err, enum okey k, const char *fmt, ...)
{
	char msg[WHY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ops_err_set(
	    err, OPS_EXIT_USAGE, "option \"%s\": %s", okeys[k].key, msg);
}

static bool
is_https(const struct pg_target *t)
{
	return t->kind == PG_HTTP && t->url != NULL &&
	    strncmp(t->url, "https://", 8) == 0;
}

static int
set_range(struct pg_target *t, enum okey k, const char *v, struct ops_err *err)
{
	bool dur = t->kind != PG_SSH;
	struct ops_range r;
	const char *why;
	char sh[SHOWN];

	if (ops_range_parse(v, dur ? OPS_RANGE_DURATION : 0, &r, &why) < 0)
		return oerr(err, k, "\"%s\" %s; use %s",
		    shown(sh, v, strlen(v)), why,
		    dur ? "a time like 200ms or 1s, or a range like 100:500 "
		          "(milliseconds)" :
		          "a range like 90, 80:, ~:5 or @10:20");
	if (k == O_WARN)
		t->warn = r;
	else
		t->crit = r;
	return 0;
}

static int
set_int(enum okey k, const char *v, long long min, long long max, int *out,
    struct ops_err *err)
{
	const char *why;
	char sh[SHOWN];
	long long n;

	if (ops_parse_int(v, min, max, &n, &why) < 0)
		return oerr(err, k,
		    "\"%s\" %s; use an integer from %lld to %lld",
		    shown(sh, v, strlen(v)), why, min, max);
	*out = (int)n;
	return 0;
}

static int
set_bool(enum okey k, const char *v, bool *out, struct ops_err *err)
{
	char sh[SHOWN];

	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return oerr(
		    err, k, "\"%s\" is not yes or no", shown(sh, v, strlen(v)));
	return 0;
}

/* One status code of expect= from s[0..len): 100-599. */
static bool
status_code(const char *s, size_t len, int *code)
{
	size_t i;

	if (len != 3)
		return false;
	for (i = 0; i < 3; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return *code >= 100 && *code <= 599;
}

static int
set_expect(struct pg_target *t, const char *v, struct ops_err *err)
{
	const char *p = v, *end, *dash;
	char sh[SHOWN];
	size_t n = 0, len;
	bool ok;
	int lo, hi = 0, ranges[PG_MAX_EXPECT][2];

	for (;;) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		shown(sh, p, len);
		if (n == PG_MAX_EXPECT)
			return oerr(err, O_EXPECT,
			    "more than %d codes or ranges", PG_MAX_EXPECT);
		dash = memchr(p, '-', len);
		if (dash == NULL)
			ok = status_code(p, len, &lo);
		else
			ok = status_code(p, (size_t)(dash - p), &lo) &&
			    status_code(
			        dash + 1, len - (size_t)(dash - p) - 1, &hi);
		if (!ok)
			return oerr(err, O_EXPECT,
			    "\"%s\" is not a status code or range; use codes "
			    "from 100 to 599 and ranges, like 200-299,301",
			    sh);
		if (dash == NULL)
			hi = lo;
		if (lo > hi)
			return oerr(
			    err, O_EXPECT, "\"%s\" has start above end", sh);
		ranges[n][0] = lo;
		ranges[n][1] = hi;
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	for (len = 0; len < n; len++) {
		t->expect[len].lo = ranges[len][0];
		t->expect[len].hi = ranges[len][1];
	}
	t->nexpect = n;
	return 0;
}

static int
set_timeout(struct pg_target *t, const char *v, struct ops_err *err)
{
	const char *why = NULL;
	char sh[SHOWN];
	long long ms = 0;

	if (ops_parse_duration_ms(v, 1, &ms, &why) == 0 && ms < 1)
		why = "is too small";
	else if (why == NULL && ms > 3600000)
		why = "is too large";
	if (why != NULL)
		return oerr(err, O_TIMEOUT,
		    "\"%s\" %s; use a duration from 1ms to 1h, like 500ms or "
		    "2s (a bare number is milliseconds)",
		    shown(sh, v, strlen(v)), why);
	t->timeout_ms = (long)ms;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = ops_xstrdup(v);
}

/* Apply key k with value v (not empty) to t. */
static int
apply(struct pg_target *t, enum okey k, const char *v, struct ops_err *err)
{
	const char *why;
	char sh[SHOWN];

	switch (k) {
	case O_WARN:
	case O_CRIT:
		return set_range(t, k, v, err);
	case O_EXPECT:
		return set_expect(t, v, err);
	case O_MATCH:
		set_str(&t->match, v);
		return 0;
	case O_CERT_DAYS:
		return set_int(k, v, 1, 3650, &t->cert_days, err);
	case O_ATTEMPTS:
		return set_int(k, v, 1, 100, &t->attempts, err);
	case O_COUNT:
		return set_int(k, v, 1, PG_MAX_COUNT, &t->count, err);
	case O_TIMEOUT:
		return set_timeout(t, v, err);
	case O_PARENT:
		if ((why = name_error(v, strlen(v))) != NULL)
			return oerr(err, k, "\"%s\" %s (a target name)",
			    shown(sh, v, strlen(v)), why);
		set_str(&t->parent, v);
		return 0;
	case O_FOLLOW:
		return set_bool(k, v, &t->follow, err);
	case O_CA:
		set_str(&t->ca, v);
		return 0;
	case O_INSECURE:
		return set_bool(k, v, &t->insecure, err);
	}
	return 0; /* not reached */
}

/* Does option k apply to t?  NULL, or to which targets it does. */
static const char *
not_applicable(const struct pg_target *t, enum okey k)
{
	unsigned kinds = okeys[k].kinds;

	if (kinds & K_HTTPS)
		return is_https(t) ? NULL : "https:// targets";
	if (kinds & (1u << t->kind))
		return NULL;
	if (kinds == K_HTTP)
		return "http:// and https:// targets";
	return "ICMP targets (HOST, icmp://HOST)";
}

/*
 * The value after "key=" at *pp into val (unquoted), moving *pp past it.
 * 0, or -1 with err.
 */
static int
scan_value(const char **pp, enum okey k, char *val, struct ops_err *err)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p != '"') {
		for (; *p != '\0' && *p != ' '; p++) {
			if (*p == '"')
				return oerr(err, k,
				    "a '\"' inside a value (quote the whole "
				    "value: %s=\"...\")",
				    okeys[k].key);
			val[n++] = *p;
		}
		val[n] = '\0';
		*pp = p;
		return 0;
	}
	for (p++; *p != '"'; p++) {
		if (*p == '\0')
			return oerr(err, k, "unterminated quote");
		if (*p == '\\') {
			p++;
			if (*p == '\0')
				return oerr(err, k, "unterminated quote");
			if (*p != '"' && *p != '\\')
				return oerr(err, k,
				    "unknown escape in quotes (use \\\" or "
				    "\\\\)");
		}
		val[n++] = *p;
	}
	p++;
	if (*p != '\0' && *p != ' ')
		return oerr(err, k, "text after the closing quote");
	val[n] = '\0';
	*pp = p;
	return 0;
}

/* Option k of the word w[0..len) (the key), or -1 with err. */
static int
find_key(const char *w, size_t len, struct ops_err *err)
{
	char key[SUGGEST_MAX + 1], sh[SHOWN];
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < OPS_ARRAY_SIZE(okeys); i++)
		if (strlen(okeys[i].key) == len &&
		    memcmp(okeys[i].key, w, len) == 0)
			return (int)i;
	shown(sh, w, len);
	if (len <= SUGGEST_MAX) {
		memcpy(key, w, len);
		key[len] = '\0';
		for (i = 0; i < OPS_ARRAY_SIZE(okeys); i++) {
			d = ops_edit_distance(key, okeys[i].key);
			if (d < bestd) {
				bestd = d;
				best = okeys[i].key;
			}
		}
	}
	if (best != NULL)
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "unknown option \"%s\" (did you mean \"%s\"?)", sh, best);
	return ops_err_set(err, OPS_EXIT_USAGE,
	    "unknown option \"%s\"; the options are " KEY_LIST, sh);
}

int
pg_target_options(struct pg_target *t, const char *opts, struct ops_err *err)
{
	const char *p = opts, *w, *eq, *why;
	unsigned seen = 0;
	char *val, sh[SHOWN];
	size_t len;
	int k, r = -1;

	if (opts == NULL)
		return 0;
	len = strlen(opts);
	if (has_control(opts, len))
		return ops_err_set(err, OPS_EXIT_USAGE,
		    "options: a control character is not allowed");
	if (!ops_utf8_valid(opts, len))
		return ops_err_set(
		    err, OPS_EXIT_USAGE, "options: not valid UTF-8");
	val = ops_xmalloc(len + 1);
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		w = p;
		len = strcspn(w, "= ");
		eq = w + len;
		if (*eq != '=' || len == 0) {
			len += strcspn(eq, " ");
			ops_err_set(err, OPS_EXIT_USAGE,
			    "options: \"%s\" is not key=value (options are "
			    "key=value words separated by spaces)",
			    shown(sh, w, len));
			goto out;
		}
		if ((k = find_key(w, len, err)) < 0)
			goto out;
		if (seen & (1u << k)) {
			oerr(err, (enum okey)k, "given twice");
			goto out;
		}
		seen |= 1u << k;
		if ((why = not_applicable(t, (enum okey)k)) != NULL) {
			oerr(err, (enum okey)k, "applies to %s only", why);
			goto out;
		}
		p = eq + 1;
		if (scan_value(&p, (enum okey)k, val, err) < 0)
			goto out;
		if (val[0] == '\0') {
			oerr(err, (enum okey)k, "empty value");
			goto out;
		}
		if (apply(t, (enum okey)k, val, err) < 0)
			goto out;
	}
	r = 0;
out:
	free(val);
	return r;
}

/* ---- names: a small hash set of target names ---- */

struct names {
	size_t *slot; /* index + 1 into v, 0: empty */
	size_t cap; /* a power of two */
	size_t n;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t *
names_slot(const struct names *h, struct pg_target *const *v, const char *name)
{
	size_t i = (size_t)hash(name) & (h->cap - 1);

	while (h->slot[i] != 0 && strcmp(v[h->slot[i] - 1]->name, name) != 0)
		i = (i + 1) & (h->cap - 1);
	return &h->slot[i];
}

/* Index of name in v, or SIZE_MAX. */
static size_t
names_find(const struct names *h, struct pg_target *const *v, const char *name)
{
	size_t *s;

	if (h->cap == 0)
		return SIZE_MAX;
	s = names_slot(h, v, name);
	return *s ? *s - 1 : SIZE_MAX;
}

/* Add v[i] (whose name is not in h yet). */
static void
names_add(struct names *h, struct pg_target *const *v, size_t i)
{
	size_t *old = h->slot, oldcap = h->cap, j;

	if ((h->n + 1) * 2 > h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->slot = ops_xcalloc(h->cap, sizeof(*h->slot));
		for (j = 0; j < oldcap; j++)
			if (old[j] != 0)
				*names_slot(h, v, v[old[j] - 1]->name) = old[j];
		free(old);
	}
	*names_slot(h, v, v[i]->name) = i + 1;
	h->n++;
}

/* ---- the targets file ---- */

int
pg_targets_link(
    struct pg_target **v, size_t n, const char *file, struct ops_err *err)
{
	struct names h = {0};
	struct ops_buf b;
	unsigned char *state = NULL;
	size_t *par = NULL, i, j, m, s;
	char sh[SHOWN], sh2[SHOWN];
	int r = -1;

	for (i = 0; i < n; i++)
		if (names_find(&h, v, v[i]->name) == SIZE_MAX)
			names_add(&h, v, i);
	par = ops_xreallocarray(NULL, n ? n : 1, sizeof(*par));
	state = ops_xcalloc(n ? n : 1, 1);
	for (i = 0; i < n; i++) {
		par[i] = SIZE_MAX;
		if (v[i]->parent == NULL)
			continue;
		par[i] = names_find(&h, v, v[i]->parent);
		if (par[i] == SIZE_MAX) {
			ops_err_at(err, OPS_EXIT_USAGE, file, v[i]->line,
			    "parent \"%s\" of \"%s\" is not a target in the "
			    "file",
			    shown(sh, v[i]->parent, strlen(v[i]->parent)),
			    shown(sh2, v[i]->name, strlen(v[i]->name)));
			goto out;
		}
	}
	/* cycles: 0 not seen, 1 on the current walk, 2 known to end */
	for (i = 0; i < n; i++) {
		for (j = i; j != SIZE_MAX && state[j] == 0; j = par[j])
			state[j] = 1;
		if (j != SIZE_MAX && state[j] == 1) {
			/* j is on a cycle: show it from its first member */
			m = s = j;
			for (j = par[s]; j != s; j = par[j])
				if (j < m)
					m = j;
			if (par[m] == m) {
				ops_err_at(err, OPS_EXIT_USAGE, file,
				    v[m]->line,
				    "target \"%s\" is its own parent",
				    shown(sh, v[m]->name, strlen(v[m]->name)));
				goto out;
			}
			/* at most ~700 bytes: each name shows in 250 */
			ops_buf_init(&b, 0);
			j = m;
			do {
				if (b.len > 400) {
					ops_buf_puts(&b, "... -> ");
					break;
				}
				ops_buf_puts(&b, "\"");
				ops_buf_puts(&b,
				    shown(sh, v[j]->name, strlen(v[j]->name)));
				ops_buf_puts(&b, "\" -> ");
				j = par[j];
			} while (j != m);
			ops_buf_puts(&b, "\"");
			ops_buf_puts(
			    &b, shown(sh, v[m]->name, strlen(v[m]->name)));
			ops_buf_puts(&b, "\"");
			ops_err_at(err, OPS_EXIT_USAGE, file, v[m]->line,
			    "parent cycle: %s", ops_buf_cstr(&b));
			ops_buf_release(&b);
			goto out;
		}
		for (j = i; j != SIZE_MAX && state[j] == 1; j = par[j])
			state[j] = 2;
	}
	r = 0;
out:
	free(h.slot);
	free(par);
	free(state);
	return r;
}

/* Re-home err's message at file:line (code 2). */
static int
at_line(struct ops_err *err, const char *file, long line)
{
	char msg[sizeof(err->msg)];

	if (err == NULL)
		return -1;
	memcpy(msg, err->msg, sizeof(msg));
	return ops_err_at(err, OPS_EXIT_USAGE, file, line, "%s", msg);
}

struct loader {
	const char *file;
	struct ops_err *err;
	bool header; /* seen */
	size_t ncols; /* header columns */
	int c_name, c_target, c_options; /* their indexes, -1: none */
	struct pg_target **v;
	size_t n, cap;
	struct names names;
	char *f[3]; /* name, target, options of the current row */
	size_t fl[3];
};

static const char *const colnames[3] = {"name", "target", "options"};

static int
header(struct loader *L, char *line, long lineno)
{
	int *idx[3] = {&L->c_name, &L->c_target, &L->c_options};
	char *p = line, *tab;
	size_t col = 0, len, k;

	L->c_name = L->c_target = L->c_options = -1;
	for (;; col++) {
		tab = strchr(p, '\t');
		len = tab ? (size_t)(tab - p) : strlen(p);
		for (k = 0; k < 3; k++) {
			if (strlen(colnames[k]) != len ||
			    memcmp(colnames[k], p, len) != 0)
				continue;
			if (*idx[k] >= 0)
				return ops_err_at(L->err, OPS_EXIT_USAGE,
				    L->file, lineno,
				    "column \"%s\" appears twice in the header",
				    colnames[k]);
			*idx[k] = (int)col;
		}
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	for (k = 0; k < 2; k++)
		if (*idx[k] < 0)
			return ops_err_at(L->err, OPS_EXIT_USAGE, L->file,
			    lineno,
			    "no column \"%s\" in the header (the first line "
			    "names the columns: name, target and options, "
			    "separated by tabs)",
			    colnames[k]);
	L->ncols = col + 1;
	L->header = true;
	return 0;
}

static int
row(struct loader *L, char *line, long lineno)
{
	int *idx[3] = {&L->c_name, &L->c_target, &L->c_options};
	char *p = line, *tab, sh[SHOWN];
	struct pg_target *t;
	const char *why;
	size_t col, k, first;
	ssize_t ul;

	for (k = 0; k < 3; k++) {
		L->f[k] = NULL;
		L->fl[k] = 0;
	}
	for (col = 0;; col++) {
		tab = strchr(p, '\t');
		if (tab != NULL)
			*tab = '\0';
		if (col >= L->ncols && *p != '\0')
			return ops_err_at(L->err, OPS_EXIT_USAGE, L->file,
			    lineno, "more fields than the header's %zu columns",
			    L->ncols);
		for (k = 0; k < 3; k++) {
			if (*idx[k] != (int)col)
				continue;
			ul = ops_tsv_unescape(p, strlen(p));
			if (ul < 0)
				return ops_err_at(L->err, OPS_EXIT_USAGE,
				    L->file, lineno,
				    "bad escape in column \"%s\" (the escapes "
				    "are \\\\ \\t \\n \\r)",
				    colnames[k]);
			L->f[k] = p;
			L->fl[k] = (size_t)ul;
		}
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (L->f[0] == NULL || L->fl[0] == 0)
		return ops_err_at(
		    L->err, OPS_EXIT_USAGE, L->file, lineno, "empty name");
	if ((why = name_error(L->f[0], L->fl[0])) != NULL)
		return ops_err_at(L->err, OPS_EXIT_USAGE, L->file, lineno,
		    "name \"%s\" %s", shown(sh, L->f[0], L->fl[0]), why);
	if (L->f[1] == NULL || L->fl[1] == 0)
		return ops_err_at(L->err, OPS_EXIT_USAGE, L->file, lineno,
		    "empty target; use " FORMS);
	if (L->n == TARGETS_MAX)
		return ops_err_at(L->err, OPS_EXIT_USAGE, L->file, lineno,
		    "more than %d targets", TARGETS_MAX);
	first = names_find(&L->names, L->v, L->f[0]);
	if (first != SIZE_MAX)
		return ops_err_at(L->err, OPS_EXIT_USAGE, L->file, lineno,
		    "duplicate name \"%s\" (first at line %ld)",
		    shown(sh, L->f[0], L->fl[0]), L->v[first]->line);
	t = pg_target_new();
	t->name = ops_xstrndup(L->f[0], L->fl[0]);
	t->file = L->file;
	t->line = lineno;
	if (pg_target_parse(t, L->f[1], L->err) < 0 ||
	    (L->f[2] && pg_target_options(t, L->f[2], L->err) < 0)) {
		pg_target_free(t);
		return at_line(L->err, L->file, lineno);
	}
	ops_xgrow((void **)&L->v, &L->cap, L->n + 1, sizeof(*L->v));
	L->v[L->n] = t;
	names_add(&L->names, L->v, L->n);
	L->n++;
	return 0;
}

static bool
is_blank_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int
pg_targets_parse(const char *name, const char *text, size_t len,
    struct pg_target ***out, size_t *n, struct ops_err *err)
{
	struct loader L = {.file = name, .err = err};
	const char *p = text, *end = text + len, *eol;
	char *line = NULL;
	size_t llen, i;
	long lineno = 0;
	int r = -1;

	if (len > FILE_MAX)
		return ops_err_at(
		    err, OPS_EXIT_USAGE, name, 0, "file is larger than 16 MiB");
	line = ops_xmalloc(LINE_MAX_BYTES + 1);
	for (; p < end; p = eol ? eol + 1 : end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		llen = (size_t)((eol ? eol : end) - p);
		lineno++;
		if (llen > LINE_MAX_BYTES) {
			ops_err_at(err, OPS_EXIT_USAGE, name, lineno,
			    "line is longer than 64 KiB");
			goto out;
		}
		if (memchr(p, '\0', llen) != NULL) {
			ops_err_at(err, OPS_EXIT_USAGE, name, lineno,
			    "contains a NUL byte");
			goto out;
		}
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if (is_blank_line(p, llen) || p[0] == '#')
			continue;
		memcpy(line, p, llen);
		line[llen] = '\0';
		if (!L.header ? header(&L, line, lineno) < 0 :
		                row(&L, line, lineno) < 0)
			goto out;
	}
	if (!L.header) {
		ops_err_at(err, OPS_EXIT_USAGE, name, 0,
		    "no header (the first line that is not a comment names "
		    "the columns: name, target and options, separated by "
		    "tabs)");
		goto out;
	}
	if (pg_targets_link(L.v, L.n, name, err) < 0)
		goto out;
	*out = L.v;
	*n = L.n;
	L.v = NULL;
	L.n = 0;
	r = 0;
out:
	for (i = 0; i < L.n; i++)
		pg_target_free(L.v[i]);
	free(L.v);
	free(L.names.slot);
	free(line);
	return r;
}

int
pg_targets_load(
    const char *path, struct pg_target ***out, size_t *n, struct ops_err *err)
{
	struct ops_buf b;
	int r;

	ops_buf_init(&b, 0);
	if (ops_read_file(path, FILE_MAX, &b, err) < 0) {
		ops_buf_release(&b);
		return -1;
	}
	r = pg_targets_parse(path, ops_buf_cstr(&b), b.len, out, n, err);
	ops_buf_release(&b);
	return r;
}
