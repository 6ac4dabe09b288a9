/*
 * t-knownhosts.c - unit tests for lib/knownhosts.c: verdicts, patterns,
 * hashed entries, markers, malformed lines, ops_kh_add, fingerprints
 * SPDX-License-Identifier: MIT
 *
 * Keys are made by ssh-keygen(1) in a scratch directory; hashed files by
 * "ssh-keygen -H"; ops_kh_add's lines are looked up with "ssh-keygen -F"
 * and fingerprints compared with "ssh-keygen -lf".
 */
#include "compat.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "knownhosts.h"
#include "mem.h"
#include "scratch.h"
#include "tap.h"

extern char **environ;

/* A key made by ssh-keygen: its .pub fields and decoded blob. */
struct tkey {
	const char *name; /* file name in the scratch directory */
	const char *kind; /* ssh-keygen -t */
	const char *bits; /* ssh-keygen -b */
	char type[64]; /* first field of the .pub file */
	char b64[2048]; /* second field */
	unsigned char blob[2048];
	struct ops_kh_key k; /* type and blob above */
};

/* A, B: ed25519; C, D: ECDSA P-256; E: ECDSA P-384; F: ECDSA P-521 */
static struct tkey keys[] = {
    {.name = "ka", .kind = "ed25519", .bits = "256"},
    {.name = "kb", .kind = "ed25519", .bits = "256"},
    {.name = "kc", .kind = "ecdsa", .bits = "256"},
    {.name = "kd", .kind = "ecdsa", .bits = "256"},
    {.name = "ke", .kind = "ecdsa", .bits = "384"},
    {.name = "kf", .kind = "ecdsa", .bits = "521"},
};
#define KA (&keys[0])
#define KB (&keys[1])
#define KC (&keys[2])
#define KD (&keys[3])
#define KE (&keys[4])
#define KF (&keys[5])

/* Base64 to bytes, padding dropped; the length, bail_out when bad. */
static size_t
unb64(const char *s, unsigned char *out, size_t cap)
{
	size_t n = strlen(s), pad = 0;
	int r;

	if (n % 4 != 0 || n / 4 * 3 > cap)
		bail_out("bad base64 in a .pub file");
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (r < 0)
		bail_out("bad base64 in a .pub file");
	return (size_t)r - pad;
}

static void
make_key(struct tkey *t)
{
	const char *path = spath(t->name);
	const char *argv[] = {"ssh-keygen", "-q", "-t", t->kind, "-b", t->bits,
	    "-N", "", "-C", "", "-f", path, NULL};
	char pub[1100];
	const char *text;

	if (run_prog(argv, NULL, NULL) != 0)
		bail_out("ssh-keygen -t %s failed", t->kind);
	snprintf(pub, sizeof(pub), "%s.pub", path);
	text = slurp(pub, "");
	if (sscanf(text, "%63s %2047s", t->type, t->b64) != 2)
		bail_out("cannot read %s", pub);
	t->k.type = t->type;
	t->k.blob = t->blob;
	t->k.len = unb64(t->b64, t->blob, sizeof(t->blob));
}

/*
 * Expand a file template: $A..$F become "TYPE BASE64" of that key,
 * $a..$f its base64 alone.  Caller frees.
 */
static char *
expand(const char *tpl)
{
	struct ops_buf b;
	const char *p;

	ops_buf_init(&b, 0);
	for (p = tpl; *p; p++) {
		if (p[0] == '$' && p[1] >= 'A' && p[1] <= 'F') {
			ops_buf_puts(&b, keys[p[1] - 'A'].type);
			ops_buf_puts(&b, " ");
			ops_buf_puts(&b, keys[p[1] - 'A'].b64);
			p++;
		} else if (p[0] == '$' && p[1] >= 'a' && p[1] <= 'f') {
			ops_buf_puts(&b, keys[p[1] - 'a'].b64);
			p++;
		} else {
			char c[2] = {*p, '\0'};

			ops_buf_puts(&b, c);
		}
	}
	if (b.data == NULL)
		ops_buf_puts(&b, "");
	return ops_buf_detach(&b, NULL);
}

static const char *
verdict_name(enum ops_kh_verdict v)
{
	switch (v) {
	case OPS_KH_OK:
		return "OK";
	case OPS_KH_UNKNOWN:
		return "UNKNOWN";
	case OPS_KH_CHANGED:
		return "CHANGED";
	case OPS_KH_REVOKED:
		return "REVOKED";
	}
	return "?";
}

/* "VERDICT LINE TYPE,TYPE" for comparing whole results at once. */
static const char *
show(const struct ops_kh_result *r)
{
	static char s[512];
	size_t i, n;

	n = (size_t)snprintf(
	    s, sizeof(s), "%s %ld ", verdict_name(r->verdict), r->line);
	for (i = 0; i < r->ntypes && n < sizeof(s); i++)
		n += (size_t)snprintf(
		    s + n, sizeof(s) - n, "%s%s", i ? "," : "", r->types[i]);
	return s;
}

#define ED "ssh-ed25519"
#define P256 "ecdsa-sha2-nistp256"
#define P384 "ecdsa-sha2-nistp384"
#define P521 "ecdsa-sha2-nistp521"

/* One row: file text (template), host, port, key -> "VERDICT LINE TYPES" */
static const struct {
	const char *desc, *text, *host;
	int port;
	int key; /* index into keys[] */
	const char *want;
} cases[] = {
    /* plain host, port 22 */
    {"plain: same key is OK", "web.example.com $A\n", "web.example.com", 22, 0,
        "OK 1 " ED},
    {"plain: port 0 means 22", "web.example.com $A\n", "web.example.com", 0, 0,
        "OK 1 " ED},
    {"plain: other key of the type is CHANGED", "web.example.com $A\n",
        "web.example.com", 22, 1, "CHANGED 1 " ED},
    {"plain: other host is UNKNOWN", "other.example.com $A\n",
        "web.example.com", 22, 0, "UNKNOWN 0 "},
    {"plain: a prefix of the name is not the name", "web.example $A\n",
        "web.example.com", 22, 0, "UNKNOWN 0 "},
    {"plain entry, port 2222: UNKNOWN", "web.example.com $A\n",
        "web.example.com", 2222, 0, "UNKNOWN 0 "},
    {"plain entry, port 2222, other key: UNKNOWN, not CHANGED",
        "web.example.com $A\n", "web.example.com", 2222, 1, "UNKNOWN 0 "},
    {"host list: second name", "a.example.com,web.example.com,10.0.0.1 $A\n",
        "web.example.com", 22, 0, "OK 1 " ED},
    {"host list: address", "a.example.com,web.example.com,10.0.0.1 $A\n",
        "10.0.0.1", 22, 0, "OK 1 " ED},
    {"comments and blank lines count as lines",
        "# known hosts\n\n   \n\t# indented comment\nweb $A\n", "web", 22, 0,
        "OK 5 " ED},
    {"commented-out entry is not an entry", "#web $A\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"trailing comment", "web $A root@web\n", "web", 22, 0, "OK 1 " ED},
    {"tabs and several blanks", "  web\t\t" ED "  \t$a   c\n", "web", 22, 0,
        "OK 1 " ED},
    {"CRLF line end", "web $A\r\nweb2 $A\r\n", "web", 22, 0, "OK 1 " ED},
    {"no newline at the end", "x $B\nweb $A", "web", 22, 0, "OK 2 " ED},
    {"empty file", "", "web", 22, 0, "UNKNOWN 0 "},
    /* [host]:port */
    {"[host]:port: OK on that port", "[web.example.com]:2222 $A\n",
        "web.example.com", 2222, 0, "OK 1 " ED},
    {"[host]:port: CHANGED on that port", "[web.example.com]:2222 $A\n",
        "web.example.com", 2222, 1, "CHANGED 1 " ED},
    {"[host]:port: UNKNOWN on port 22", "[web.example.com]:2222 $A\n",
        "web.example.com", 22, 0, "UNKNOWN 0 "},
    {"[host]:port: UNKNOWN on another port", "[web.example.com]:2222 $A\n",
        "web.example.com", 2223, 0, "UNKNOWN 0 "},
    {"[host]:port: port is not a prefix match", "[web.example.com]:22 $A\n",
        "web.example.com", 2222, 0, "UNKNOWN 0 "},
    {"[host]:22 applies to port 22", "[web.example.com]:22 $A\n",
        "web.example.com", 22, 0, "OK 1 " ED},
    {"[v6]:port", "[2001:db8::1]:2222 $A\n", "2001:db8::1", 2222, 0,
        "OK 1 " ED},
    {"plain v6 address", "2001:db8::1 $A\n", "2001:db8::1", 22, 0, "OK 1 " ED},
    {"plain and [host]:port lines kept apart",
        "web $B\n[web]:2222 $A\n[web]:2200 $C\n", "web", 2222, 0, "OK 2 " ED},
    {"port lines give their types only", "web $C\n[web]:2222 $A\n", "web", 2222,
        2, "UNKNOWN 0 " ED},
    /* wildcards */
    {"* wildcard", "*.example.com $A\n", "web.example.com", 22, 0, "OK 1 " ED},
    {"* wildcard, CHANGED", "*.example.com $A\n", "web.example.com", 22, 1,
        "CHANGED 1 " ED},
    {"* needs the dot", "*.example.com $A\n", "example.com", 22, 0,
        "UNKNOWN 0 "},
    {"* wildcard, other domain", "*.example.com $A\n", "web.example.org", 22, 0,
        "UNKNOWN 0 "},
    {"? wildcard", "web?.example.com $A\n", "web1.example.com", 22, 0,
        "OK 1 " ED},
    {"? is exactly one character", "web?.example.com $A\n", "web12.example.com",
        22, 0, "UNKNOWN 0 "},
    {"* in the middle, backtracking", "w*b*x*.com $A\n", "wxbbbxbx.com", 22, 0,
        "OK 1 " ED},
    {"lone * matches port 22", "* $A\n", "anything", 22, 0, "OK 1 " ED},
    {"plain * does not match port 2222", "* $A\n", "anything", 2222, 0,
        "UNKNOWN 0 "},
    {"wildcards inside brackets", "[*.example.com]:2222 $A\n",
        "web.example.com", 2222, 0, "OK 1 " ED},
    {"wildcards inside brackets, port 22", "[*.example.com]:2222 $A\n",
        "web.example.com", 22, 0, "UNKNOWN 0 "},
    {"wildcard address", "10.0.0.? $A\n", "10.0.0.7", 22, 0, "OK 1 " ED},
    /* negation */
    {"negation excludes a host", "*.example.com,!bad.example.com $A\n",
        "bad.example.com", 22, 0, "UNKNOWN 0 "},
    {"negation first excludes too", "!bad.example.com,*.example.com $A\n",
        "bad.example.com", 22, 0, "UNKNOWN 0 "},
    {"negation leaves other hosts", "*.example.com,!bad.example.com $A\n",
        "good.example.com", 22, 0, "OK 1 " ED},
    {"negated line gives no CHANGED",
        "*.example.com,!web.example.com $B\nweb.example.com $A\n",
        "web.example.com", 22, 0, "OK 2 " ED},
    {"negated line gives no CHANGED alone",
        "*.example.com,!web.example.com $B\n", "web.example.com", 22, 0,
        "UNKNOWN 0 "},
    {"negated wildcard", "*,!*.internal $A\n", "db.internal", 22, 0,
        "UNKNOWN 0 "},
    {"negation alone applies to nothing", "!bad $A\n", "good", 22, 0,
        "UNKNOWN 0 "},
    {"negation is case-blind", "*.example.com,!BAD.example.com $A\n",
        "bad.EXAMPLE.com", 22, 0, "UNKNOWN 0 "},
    {"negated [host]:port", "[*]:2222,![bad]:2222 $A\n", "bad", 2222, 0,
        "UNKNOWN 0 "},
    {"negated [host]:port, other host", "[*]:2222,![bad]:2222 $A\n", "good",
        2222, 0, "OK 1 " ED},
    {"negated plain * also stops [host]:port", "[*]:2222,!* $A\n", "web", 2222,
        0, "UNKNOWN 0 "},
    /* case */
    {"names are case-blind (file)", "Web.Example.COM $A\n", "web.example.com",
        22, 0, "OK 1 " ED},
    {"names are case-blind (host)", "web.example.com $A\n", "WEB.Example.com",
        22, 0, "OK 1 " ED},
    {"case-blind in brackets", "[WEB]:2222 $A\n", "web", 2222, 0, "OK 1 " ED},
    /* several keys and types */
    {"two types, ECDSA key OK", "web $A\nweb $C\n", "web", 22, 2,
        "OK 2 " ED "," P256},
    {"two types, other ECDSA key CHANGED", "web $A\nweb $C\n", "web", 22, 3,
        "CHANGED 2 " ED "," P256},
    {"two types, other ed25519 key CHANGED", "web $A\nweb $C\n", "web", 22, 1,
        "CHANGED 1 " ED "," P256},
    {"two keys of one type: the matching one wins", "web $B\nweb $A\n", "web",
        22, 0, "OK 2 " ED},
    {"ed25519 line, ECDSA server key: UNKNOWN", "web $A\n", "web", 22, 2,
        "UNKNOWN 0 " ED},
    {"ed25519 line, ECDSA key: types lists both", "web $A\nweb $E\n", "web", 22,
        2, "UNKNOWN 0 " ED "," P384},
    {"types in file order, each once",
        "web $C\nother $E\nweb $A\nweb $D\nweb $B\n", "web", 22, 0,
        "OK 3 " P256 "," ED},
    {"types of other hosts are not listed", "other $C\nweb $A\n", "web", 22, 0,
        "OK 2 " ED},
    {"P-384 key against a P-256 line: UNKNOWN", "web $C\n", "web", 22, 4,
        "UNKNOWN 0 " P256},
    {"first OK line is reported", "*.x $A\nweb.x $A\n", "web.x", 22, 0,
        "OK 1 " ED},
    /* @revoked */
    {"@revoked same key: REVOKED", "@revoked web $A\n", "web", 22, 0,
        "REVOKED 1 "},
    {"@revoked wins over a later OK line", "@revoked * $A\nweb $A\n", "web", 22,
        0, "REVOKED 1 " ED},
    {"@revoked wins over an earlier OK line", "web $A\n@revoked * $A\n", "web",
        22, 0, "REVOKED 2 " ED},
    {"@revoked for another host still revokes", "web $A\n@revoked other $A\n",
        "web", 22, 0, "REVOKED 2 " ED},
    {"@revoked for another port still revokes",
        "[web]:2222 $A\n@revoked [web]:9999 $A\n", "web", 2222, 0,
        "REVOKED 2 " ED},
    {"@revoked with odd patterns still revokes", "@revoked |1|junk $A\n", "web",
        22, 0, "REVOKED 1 "},
    {"@revoked other key: no effect", "@revoked web $B\nweb $A\n", "web", 22, 0,
        "OK 2 " ED},
    {"@revoked other key: no CHANGED", "@revoked web $B\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"@revoked lines give no types", "@revoked web $C\nweb $A\n", "web", 22, 0,
        "OK 2 " ED},
    {"@revoked first of two lines reported", "@revoked a $A\n@revoked b $A\n",
        "web", 22, 0, "REVOKED 1 "},
    {"@revoked with blanks before", "  @revoked\tweb  $A\n", "web", 22, 0,
        "REVOKED 1 "},
    /* @cert-authority */
    {"@cert-authority never OK", "@cert-authority *.example.com $A\n",
        "web.example.com", 22, 0, "UNKNOWN 0 "},
    {"@cert-authority never CHANGED", "@cert-authority web $A\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"@cert-authority does not hide a later line",
        "@cert-authority web $B\nweb $A\n", "web", 22, 0, "OK 2 " ED},
    {"@cert-authority gives no types", "@cert-authority web $C\n", "web", 22, 0,
        "UNKNOWN 0 "},
    /* malformed lines never match */
    {"unknown marker", "@trusted web $A\n", "web", 22, 0, "UNKNOWN 0 "},
    {"marker with a suffix", "@revokedx web $A\n", "web", 22, 0, "UNKNOWN 0 "},
    {"marker in capitals", "@REVOKED web $A\n", "web", 22, 0, "UNKNOWN 0 "},
    {"unknown marker before a good line", "@trusted web $B\nweb $A\n", "web",
        22, 0, "OK 2 " ED},
    {"marker alone", "@revoked\nweb $A\n", "web", 22, 0, "OK 2 " ED},
    {"host alone", "web\n", "web", 22, 0, "UNKNOWN 0 "},
    {"no key field", "web " ED "\n", "web", 22, 0, "UNKNOWN 0 "},
    {"no key field, other key", "web " ED "\n", "web", 22, 1, "UNKNOWN 0 "},
    {"bad base64 character", "web " ED " AAAA!AAA\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"base64 cut short", "web " ED " AAAAC3NzaC1lZDI1NTE5AAAAI\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"base64 with a pad in the middle", "web " ED " AA==AAAA\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"base64 with three pads", "web " ED " A===\n", "web", 22, 1, "UNKNOWN 0 "},
    {"base64 of something else", "web " ED " aGVsbG8gd29ybGQh\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"type word not the blob's type", "web " P256 " $a\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"type word not the blob's type, ECDSA key", "web " P256 " $a\n", "web", 22,
        2, "UNKNOWN 0 "},
    {"type word ed25519 over an ECDSA blob", "web " ED " $c\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"type word ed25519 over an ECDSA blob, ECDSA key", "web " ED " $c\n",
        "web", 22, 2, "UNKNOWN 0 "},
    {"base64 with trailing dashes", "web " ED " $a----\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"base64 with an inner blank", "web " ED " AAAA\vAAA\n", "web", 22, 1,
        "UNKNOWN 0 "},
    {"type word longer than the blob's", "web ssh-ed25519x $a\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"type word in capitals", "web SSH-ED25519 $a\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"malformed @revoked does not revoke", "@revoked * " ED " $aX\nweb $A\n",
        "web", 22, 0, "OK 2 " ED},
    {"bad hashed entry", "|1|c2FsdA==|aGFzaA== $A\n", "web", 22, 0,
        "UNKNOWN 0 "},
    {"hashed entry with a third part",
        "|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|x $A\n",
        "web", 22, 0, "UNKNOWN 0 "},
    {"unknown hash kind",
        "|2|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA= $A\n",
        "web", 22, 0, "UNKNOWN 0 "},
    {"hashed entry for another host",
        "|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|AAAAAAAAAAAAAAAAAAAAAAAAAAA= $A\n",
        "web", 22, 0, "UNKNOWN 0 "},
    {"a malformed line gives no types", "web " ED " $c\nweb $C\n", "web", 22, 2,
        "OK 2 " P256},
};

static void
test_cases(void)
{
	struct ops_kh_result res;
	struct ops_err err;
	const char *path = spath("kh-case");
	char *text;
	size_t i;
	int r;

	for (i = 0; i < OPS_ARRAY_SIZE(cases); i++) {
		text = expand(cases[i].text);
		put(path, text);
		free(text);
		ops_err_clear(&err);
		r = ops_kh_check(path, cases[i].host, cases[i].port,
		    &keys[cases[i].key].k, &res, &err);
		if (r != 0)
			diag("error: %s", err.msg);
		is_str(r == 0 ? show(&res) : "(error)", cases[i].want, "%s",
		    cases[i].desc);
	}
}

/* The line for a result of ops_kh_types: "UNKNOWN 0 TYPES". */
static void
test_types(void)
{
	struct ops_kh_result res;
	struct ops_err err;
	struct ops_buf b;
	const char *path = spath("kh-types");
	unsigned char blob[64];
	char *text, type[64], want[512];
	size_t i, n, b64n;
	char b64[128];
	int r;

	text = expand("web $C\n@revoked web $E\nweb $A\nweb $B\n"
	              "@cert-authority web $D\n[web]:2222 $E\nweb $C\n");
	put(path, text);
	free(text);
	r = ops_kh_types(path, "web", 22, &res, &err);
	is_str(r == 0 ? show(&res) : "(error)", "UNKNOWN 0 " P256 "," ED,
	    "types: file order, once each, no markers, no other ports");
	r = ops_kh_types(path, "web", 2222, &res, &err);
	is_str(r == 0 ? show(&res) : "(error)", "UNKNOWN 0 " P384,
	    "types for [web]:2222");
	r = ops_kh_types(path, "nohost", 22, &res, &err);
	ok(r == 0 && res.ntypes == 0 && res.verdict == OPS_KH_UNKNOWN,
	    "types for a host not in the file: none");
	r = ops_kh_types(spath("missing"), "web", 22, &res, &err);
	ok(r == 0 && res.ntypes == 0, "types of a missing file: none");

	/* Made-up types (the blob need only start with its type): at most
	 * OPS_KH_MAX_TYPES, a type too long for types[] is left out. */
	ops_buf_init(&b, 0);
	for (i = 0; i < 12; i++) {
		if (i == 1)
			snprintf(type, sizeof(type), "%s",
			    "a-type-name-that-is-too-long-for-32@example.com");
		else
			snprintf(type, sizeof(type), "x-type-%zu", i);
		n = strlen(type);
		memset(blob, 0, sizeof(blob));
		blob[3] = (unsigned char)n;
		memcpy(blob + 4, type, n);
		b64n = (size_t)EVP_EncodeBlock(
		    (unsigned char *)b64, blob, (int)(4 + n + 5));
		b64[b64n] = '\0';
		if (ops_buf_printf(&b, "web %s %s\n", type, b64) < 0)
			bail_out("ops_buf_printf");
	}
	put(path, ops_buf_cstr(&b));
	ops_buf_release(&b);
	r = ops_kh_types(path, "web", 22, &res, &err);
	want[0] = '\0';
	for (i = 0, n = 0; i < 9; i++)
		if (i != 1)
			n += (size_t)snprintf(want + n, sizeof(want) - n,
			    "%sx-type-%zu", n ? "," : "", i);
	ok(r == 0 && res.ntypes == OPS_KH_MAX_TYPES,
	    "types: at most OPS_KH_MAX_TYPES");
	is_str(r == 0 ? show(&res) + 10 : "(error)", want,
	    "types: the first eight that fit, in file order");
}

static void
test_hashed(void)
{
	const char *path = spath("kh-hashed");
	const char *argv[] = {"ssh-keygen", "-H", "-f", path, NULL};
	static const struct {
		const char *desc, *host;
		int port, key;
		const char *want;
	} rows[] = {
	    {"hashed plain: OK", "web.example.com", 22, 0, "OK 1 " ED},
	    {"hashed plain: CHANGED", "web.example.com", 22, 1,
	        "CHANGED 1 " ED},
	    {"hashed plain: host in capitals", "WEB.Example.Com", 22, 0,
	        "OK 1 " ED},
	    {"hashed plain: other host", "www.example.com", 22, 0,
	        "UNKNOWN 0 "},
	    {"hashed plain: port 2223", "web.example.com", 2223, 0,
	        "UNKNOWN 0 "},
	    {"hashed [host]:port: OK", "web.example.com", 2222, 2,
	        "OK 2 " P256},
	    {"hashed [host]:port: CHANGED", "web.example.com", 2222, 3,
	        "CHANGED 2 " P256},
	    {"hashed [host]:port: ed25519 key UNKNOWN", "web.example.com", 2222,
	        0, "UNKNOWN 0 " P256},
	    {"hashed address", "192.0.2.7", 22, 0, "OK 3 " ED},
	    {"hashed [v6]:port", "2001:db8::7", 2200, 4, "OK 4 " P384},
	    {"hashed [v6]:port, other port", "2001:db8::7", 22, 4,
	        "UNKNOWN 0 "},
	    {"hashed from mixed case: same case", "Mixed.Example.COM", 22, 1,
	        "OK 7 " ED},
	    {"hashed from mixed case: lowercase too", "mixed.example.com", 22,
	        1, "OK 7 " ED},
	    {"hashed, revoked by a wildcard @revoked line",
	        "revoked.example.com", 22, 5, "REVOKED 5 " P521},
	};
	struct ops_kh_result res;
	struct ops_err err;
	const char *got;
	char *text;
	size_t i;
	int r, hashed = 1;

	text = expand("web.example.com $A\n[web.example.com]:2222 $C\n"
	              "192.0.2.7 $A\n[2001:db8::7]:2200 $E\n"
	              "@revoked * $F\nrevoked.example.com $F\n"
	              "Mixed.Example.COM $B\n");
	put(path, text);
	free(text);
	if (run_prog(argv, NULL, NULL) != 0)
		bail_out("ssh-keygen -H failed");
	got = slurp(path, "");
	/* every host line is hashed now; the @revoked line keeps its '*' */
	for (i = 0; got[i]; i++)
		if ((i == 0 || got[i - 1] == '\n') && got[i] != '|' &&
		    strncmp(got + i, "@revoked", 8) != 0)
			hashed = 0;
	ok(hashed && strstr(got, "xample") == NULL,
	    "ssh-keygen -H hashed every host name");
	for (i = 0; i < OPS_ARRAY_SIZE(rows); i++) {
		r = ops_kh_check(path, rows[i].host, rows[i].port,
		    &keys[rows[i].key].k, &res, &err);
		is_str(r == 0 ? show(&res) : "(error)", rows[i].want, "%s",
		    rows[i].desc);
	}
}

static void
test_files(void)
{
	struct ops_kh_result res;
	struct ops_err err;
	struct ops_buf big;
	const char *path = spath("kh-files");
	char *text;
	int r;

	ops_err_clear(&err);
	r = ops_kh_check(spath("no-such-file"), "web", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN && res.line == 0 &&
	        res.ntypes == 0,
	    "missing file: UNKNOWN");
	r = ops_kh_check(
	    spath("no-such-dir/known_hosts"), "web", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN,
	    "missing directory: UNKNOWN");

	ops_err_clear(&err);
	r = ops_kh_check(scratch, "web", 22, &KA->k, &res, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL &&
	        res.verdict == OPS_KH_UNKNOWN,
	    "a directory: error, code 3");

	text = expand("web $A\n");
	put(path, text);
	free(text);
	if (geteuid() == 0) {
		skip(1, "root reads a mode 000 file");
	} else {
		if (chmod(path, 0) != 0)
			bail_out("chmod");
		ops_err_clear(&err);
		r = ops_kh_check(path, "web", 22, &KA->k, &res, &err);
		ok(r == -1 && err.code == OPS_EXIT_FAIL &&
		        err.errnum == EACCES && strcmp(err.file, path) == 0,
		    "unreadable file: error, code 3, names the file");
		if (chmod(path, 0644) != 0)
			bail_out("chmod");
	}

	/* 16 MiB + 1 of comment lines */
	ops_buf_init(&big, 0);
	while (big.len <= ((size_t)16 << 20))
		ops_buf_puts(&big,
		    "# ......................................"
		    ".......................................\n");
	put(path, big.data);
	ops_buf_release(&big);
	ops_err_clear(&err);
	r = ops_kh_check(path, "web", 22, &KA->k, &res, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL, "file over 16 MiB: code 3");

	/* long lines: 60 KiB comment OK, over 64 KiB malformed */
	ops_buf_init(&big, 0);
	text = expand("web $A ");
	ops_buf_puts(&big, text);
	while (big.len < 60 * 1024)
		ops_buf_puts(&big, "c");
	ops_buf_puts(&big, "\n");
	put(path, big.data);
	r = ops_kh_check(path, "web", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK, "a 60 KiB line is read");
	big.len--;
	while (big.len <= 64 * 1024)
		ops_buf_puts(&big, "c");
	ops_buf_puts(&big, "\nweb2 $A\n");
	put(path, big.data);
	r = ops_kh_check(path, "web", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN && res.ntypes == 0,
	    "a line over 64 KiB is skipped");
	r = ops_kh_check(path, "web2", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN,
	    "the line after an overlong one is a line of its own");
	free(text);
	ops_buf_release(&big);

	/* a NUL byte inside a line */
	{
		char *t = expand("web $A\nweb2 $A\n");
		int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

		t[5] = '\0';
		if (fd < 0 || write(fd, t, strlen(t + 6) + 6) < 0 ||
		    close(fd) < 0)
			bail_out("write");
		free(t);
		r = ops_kh_check(path, "web", 22, &KA->k, &res, &err);
		ok(r == 0 && res.verdict == OPS_KH_UNKNOWN,
		    "a line with a NUL byte is skipped");
		r = ops_kh_check(path, "web2", 22, &KA->k, &res, &err);
		ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 2,
		    "the next line is read");
	}

	ops_err_clear(&err);
	r = ops_kh_check(path, "web", 70000, &KA->k, &res, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL, "port 70000: error");
	r = ops_kh_check(path, "", 22, &KA->k, &res, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL, "empty host: error");
}

static int
keygen_finds(const char *path, const char *name)
{
	const char *argv[] = {"ssh-keygen", "-F", name, "-f", path, NULL};

	return run_prog(argv, NULL, NULL) == 0;
}

static void
test_add(void)
{
	struct ops_kh_result res;
	struct ops_err err;
	char *want, *link;
	const char *path = spath("ssh/known_hosts");
	const char *flat = spath("kh-flat");
	int r;

	ops_err_clear(&err);
	r = ops_kh_add(path, "Web.Example.com", 22, &KA->k, &err);
	if (r != 0)
		diag("error: %s", err.msg);
	ok(r == 0, "add creates the directory and the file");
	is_int(mode_of(spath("ssh")), 0700, "the directory is 0700");
	is_int(mode_of(path), 0600, "the file is 0600");
	want = expand("web.example.com $A\n");
	is_str(slurp(path, "(missing)"), want,
	    "the line is \"host TYPE BASE64\", host lowercased");
	free(want);
	r = ops_kh_check(path, "web.example.com", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 1,
	    "check after add: OK");
	ok(keygen_finds(path, "web.example.com"), "ssh-keygen -F finds it");

	r = ops_kh_add(path, "web.example.com", 2222, &KC->k, &err);
	want = expand("web.example.com $A\n[web.example.com]:2222 $C\n");
	is_str(r == 0 ? slurp(path, "(missing)") : "(error)", want,
	    "add for port 2222 writes [host]:port");
	free(want);
	r = ops_kh_check(path, "web.example.com", 2222, &KC->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 2,
	    "check after add for port 2222: OK");
	r = ops_kh_check(path, "web.example.com", 2222, &KD->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_CHANGED,
	    "another ECDSA key for port 2222: CHANGED");
	ok(keygen_finds(path, "[web.example.com]:2222"),
	    "ssh-keygen -F finds [host]:2222");
	ok(!keygen_finds(path, "[web.example.com]:2223"),
	    "ssh-keygen -F does not find [host]:2223");

	r = ops_kh_add(path, "2001:db8::5", 830, &KE->k, &err);
	r = r == 0 ?
	    ops_kh_check(path, "2001:db8::5", 830, &KE->k, &res, &err) :
	    -1;
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 3 &&
	        keygen_finds(path, "[2001:db8::5]:830"),
	    "add [v6]:port: check OK and ssh-keygen -F finds it");
	r = ops_kh_add(path, "192.0.2.1", 0, &KB->k, &err);
	ok(r == 0 && keygen_finds(path, "192.0.2.1"), "add with port 0 is 22");

	/* the last line without its newline */
	put(flat, "# no newline here");
	r = ops_kh_add(flat, "web", 22, &KB->k, &err);
	want = expand("# no newline here\nweb $B\n");
	is_str(r == 0 ? slurp(flat, "(missing)") : "(error)", want,
	    "a missing final newline is added first");
	free(want);
	is_int(mode_of(flat), 0644, "an existing file keeps its mode");
	put(flat, "");
	r = ops_kh_add(flat, "web", 22, &KB->k, &err);
	want = expand("web $B\n");
	is_str(r == 0 ? slurp(flat, "(missing)") : "(error)", want,
	    "an empty file gets no newline first");
	free(want);

	link = ops_xstrdup(spath("kh-link"));
	if (symlink(flat, link) != 0)
		bail_out("symlink");
	ops_err_clear(&err);
	r = ops_kh_add(link, "web", 22, &KA->k, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL && err.errnum == ELOOP,
	    "add through a symbolic link is refused");
	free(link);

	ops_err_clear(&err);
	r = ops_kh_add(spath("a/b/known_hosts"), "web", 22, &KA->k, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL && mode_of(spath("a")) == -1,
	    "add makes one directory level only");
	r = ops_kh_add(scratch, "web", 22, &KA->k, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL, "add to a directory fails");
	if (mkfifo(spath("kh-fifo"), 0600) != 0)
		bail_out("mkfifo");
	ops_err_clear(&err);
	r = ops_kh_add(spath("kh-fifo"), "web", 22, &KA->k, &err);
	ok(r == -1 && err.code == OPS_EXIT_FAIL &&
	        strstr(err.msg, "not a regular file") != NULL,
	    "add to a FIFO is refused");

	{
		static const char *const bad[] = {"", "a b", "a,b", "a\nb",
		    "[a]", "*", "!a", "|1|x", "a\tb", "#a", "@revoked"};
		size_t i;
		int good = 1;

		for (i = 0; i < OPS_ARRAY_SIZE(bad); i++) {
			ops_err_clear(&err);
			if (ops_kh_add(flat, bad[i], 22, &KA->k, &err) != -1 ||
			    err.code != OPS_EXIT_FAIL) {
				diag("host \"%s\" was added", bad[i]);
				good = 0;
			}
		}
		ok(good, "add refuses host names that would break the file");
	}
	{
		struct ops_kh_key k = KA->k;

		k.type = P256;
		ok(ops_kh_add(flat, "web", 22, &k, &err) == -1,
		    "add refuses a type word that is not the blob's");
		{
			char *t = expand("web $A\n@revoked * $A\n");

			put(spath("kh-odd"), t);
			free(t);
			ok(ops_kh_check(spath("kh-odd"), "web", 22, &k, &res,
			       &err) == 0 &&
			        res.verdict == OPS_KH_UNKNOWN,
			    "a key whose type is not its blob's never matches");
		}
		k.type = "ssh-ed25519 x";
		ok(ops_kh_add(flat, "web", 22, &k, &err) == -1,
		    "add refuses a type word with a blank");
		k = KA->k;
		ok(ops_kh_add(flat, "web", 65536, &k, &err) == -1,
		    "add refuses port 65536");
	}
	want = expand("web $B\n");
	is_str(slurp(flat, "(missing)"), want, "refused adds wrote nothing");
	free(want);
}

static void
test_fingerprint(void)
{
	char out[1100], want[128], buf[64], small[12];
	const char *argv[] = {"ssh-keygen", "-lf", NULL, NULL};
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(keys); i++) {
		snprintf(out, sizeof(out), "%s.pub", spath(keys[i].name));
		argv[2] = out;
		if (run_prog(argv, NULL, spath("fp")) != 0 ||
		    sscanf(slurp(spath("fp"), ""), "%*d %127s", want) != 1)
			bail_out("ssh-keygen -lf failed");
		is_str(ops_kh_fingerprint(&keys[i].k, buf, sizeof(buf)), want,
		    "fingerprint of %s key %s equals ssh-keygen -lf",
		    keys[i].kind, keys[i].name);
	}
	ok(strlen(buf) == 50 && strchr(buf, '=') == NULL,
	    "fingerprint is 50 characters, no padding");
	ok(ops_kh_fingerprint(&KA->k, small, sizeof(small)) == small &&
	        strlen(small) == sizeof(small) - 1 &&
	        strncmp(small, "SHA256:", 7) == 0,
	    "a short buffer is cut and terminated");
}

static void
test_big(void)
{
	struct ops_kh_result res;
	struct ops_err err;
	struct ops_buf b;
	const char *path = spath("kh-big");
	char *a, *bb, *c;
	size_t i;
	int r;

	a = expand("$A");
	bb = expand("$B");
	c = expand("$C");
	ops_buf_init(&b, 0);
	for (i = 0; i < 9999; i++) {
		unsigned char rb[20];
		char salt[32], hash[32];
		size_t k;
		int e;

		switch (i % 4) {
		case 0:
			e = ops_buf_printf(
			    &b, "host%zu.example.com %s\n", i, bb);
			break;
		case 1:
			e = ops_buf_printf(
			    &b, "[host%zu.example.com]:2222 %s\n", i, c);
			break;
		case 2:
			for (k = 0; k < sizeof(rb); k++)
				rb[k] = (unsigned char)rnd();
			EVP_EncodeBlock((unsigned char *)salt, rb, 20);
			for (k = 0; k < sizeof(rb); k++)
				rb[k] = (unsigned char)rnd();
			EVP_EncodeBlock((unsigned char *)hash, rb, 20);
			e = ops_buf_printf(&b, "|1|%s|%s %s\n", salt, hash, a);
			break;
		default:
			e = ops_buf_printf(&b,
			    "*.zone%zu.example.net,!x.zone%zu.example.net %s "
			    "comment %zu\n",
			    i, i, a, i);
			break;
		}
		if (e < 0)
			bail_out("ops_buf_printf");
	}
	if (ops_buf_printf(&b, "target.example.com %s\n", a) < 0)
		bail_out("ops_buf_printf");
	put(path, b.data);
	ops_buf_release(&b);

	r = ops_kh_check(path, "target.example.com", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 10000,
	    "10,000 lines: the last one is found");
	r = ops_kh_check(path, "host4.example.com", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_CHANGED && res.line == 5,
	    "10,000 lines: CHANGED on line 5");
	r = ops_kh_check(path, "host5.example.com", 2222, &KC->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 6,
	    "10,000 lines: [host]:2222 on line 6");
	r = ops_kh_check(
	    path, "a.zone9999.example.net", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN,
	    "10,000 lines: no zone9999");
	r = ops_kh_check(
	    path, "a.zone9995.example.net", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_OK && res.line == 9996,
	    "10,000 lines: wildcard line 9996");
	r = ops_kh_check(path, "nowhere", 22, &KA->k, &res, &err);
	ok(r == 0 && res.verdict == OPS_KH_UNKNOWN && res.ntypes == 0,
	    "10,000 lines: unknown host");
	free(a);
	free(bb);
	free(c);
}

int
main(void)
{
	size_t i;

	scratch_make("t-knownhosts");
	if (setenv("HOME", scratch, 1) != 0)
		bail_out("setenv");
	umask(022);
	for (i = 0; i < OPS_ARRAY_SIZE(keys); i++)
		make_key(&keys[i]);
	if (strcmp(KA->type, ED) != 0 || strcmp(KC->type, P256) != 0 ||
	    strcmp(KE->type, P384) != 0 || strcmp(KF->type, P521) != 0)
		bail_out("unexpected key types %s %s %s", KA->type, KC->type,
		    KE->type);
	test_cases();
	test_types();
	test_hashed();
	test_files();
	test_add();
	test_fingerprint();
	test_big();
	scratch_remove();
	return done_testing();
}
