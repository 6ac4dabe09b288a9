/*
 * t-target.c - unit tests for cmd/opsping/target.c: target text, the
 * options column, the targets file, parent links
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "mem.h"
#include "scratch.h"
#include "tap.h"

#include "../../cmd/opsping/opsping.h"

#define FORMS                                                                  \
	"HOST, icmp://HOST, tcp://HOST:PORT, http://HOST[:PORT][/PATH], "      \
	"https://HOST[:PORT][/PATH] or ssh://[USER@]HOST[:PORT]/PROBE"
#define USE_SSH                                                                \
	"; use ssh://[USER@]HOST[:PORT]/PROBE with PROBE disk, disk=/MOUNT, "  \
	"load, mem, service=UNIT or exec=NAME"
#define USE_TCP "; use tcp://HOST:PORT"
#define USE_HTTP "; use http://HOST[:PORT][/PATH]"
#define USE_HTTPS "; use https://HOST[:PORT][/PATH]"
#define KEYS                                                                   \
	"warn, crit, expect, match, cert-days, attempts, count, timeout, "     \
	"parent, follow, ca, insecure"
#define LAT                                                                    \
	"; use a time like 200ms or 1s, or a range like 100:500 "              \
	"(milliseconds)"
#define PLAIN "; use a range like 90, 80:, ~:5 or @10:20"
#define HDR_HELP                                                               \
	" in the header (the first line names the columns: name, target "      \
	"and options, separated by tabs)"
#define NO_HEADER                                                              \
	"no header (the first line that is not a comment names the "           \
	"columns: name, target and options, separated by tabs)"

#define A10 "aaaaaaaaaa"
#define A50 A10 A10 A10 A10 A10
#define A60 A50 A10
#define A63 A60 "aaa"
#define A200 A50 A50 A50 A50

static const char *const kind_name[] = {"icmp", "tcp", "http", "ssh"};

/* t's fields, options only where they differ from the defaults. */
static const char *
dump(const struct pg_target *t)
{
	static char out[4096];
	struct ops_buf b;
	char r[128];
	size_t i;
	int rc = 0;

	ops_buf_init(&b, 0);
	rc |= ops_buf_printf(&b, "%s", kind_name[t->kind]);
	if (t->user)
		rc |= ops_buf_printf(&b, " user=%s", t->user);
	rc |= ops_buf_printf(&b, " host=%s", t->host ? t->host : "(null)");
	if (t->port)
		rc |= ops_buf_printf(&b, " port=%d", t->port);
	if (t->url)
		rc |= ops_buf_printf(&b, " url=%s", t->url);
	if (t->probe)
		rc |= ops_buf_printf(&b, " probe=%s", t->probe);
	if (t->warn.set)
		rc |= ops_buf_printf(&b, " warn=%s",
		    ops_range_format(&t->warn, 1, r, sizeof(r)));
	if (t->crit.set)
		rc |= ops_buf_printf(&b, " crit=%s",
		    ops_range_format(&t->crit, 1, r, sizeof(r)));
	for (i = 0; i < t->nexpect; i++)
		rc |= ops_buf_printf(&b, "%s%d-%d",
		    i ? "," : " expect=", t->expect[i].lo, t->expect[i].hi);
	if (t->match)
		rc |= ops_buf_printf(&b, " match=[%s]", t->match);
	if (t->cert_days)
		rc |= ops_buf_printf(&b, " cert-days=%d", t->cert_days);
	if (t->attempts != PG_DEF_ATTEMPTS)
		rc |= ops_buf_printf(&b, " attempts=%d", t->attempts);
	if (t->count != PG_DEF_COUNT)
		rc |= ops_buf_printf(&b, " count=%d", t->count);
	if (t->timeout_ms)
		rc |= ops_buf_printf(&b, " timeout=%ld", t->timeout_ms);
	if (t->parent)
		rc |= ops_buf_printf(&b, " parent=[%s]", t->parent);
	if (t->follow)
		rc |= ops_buf_printf(&b, " follow=yes");
	if (t->ca)
		rc |= ops_buf_printf(&b, " ca=%s", t->ca);
	if (t->insecure)
		rc |= ops_buf_printf(&b, " insecure=yes");
	if (rc)
		bail_out("dump: buffer");
	snprintf(out, sizeof(out), "%s", ops_buf_cstr(&b));
	ops_buf_release(&b);
	return out;
}

/* ---- target text ---- */

static const struct {
	const char *spec;
	const char *want; /* dump(), or the error message when err */
	bool err;
} specs[] = {
    /* bare HOST */
    {"example.com", "icmp host=example.com", false},
    {"Example.COM", "icmp host=Example.COM", false},
    {"example.com.", "icmp host=example.com.", false},
    {"localhost", "icmp host=localhost", false},
    {"a", "icmp host=a", false},
    {"1a.example", "icmp host=1a.example", false},
    {"a-b.c-d", "icmp host=a-b.c-d", false},
    {"xn--bcher-kva.example", "icmp host=xn--bcher-kva.example", false},
    {A63 ".example", "icmp host=" A63 ".example", false},
    {"192.0.2.1", "icmp host=192.0.2.1", false},
    {"0.0.0.0", "icmp host=0.0.0.0", false},
    {"255.255.255.255", "icmp host=255.255.255.255", false},
    {"::1", "icmp host=::1", false},
    {"2001:db8::1", "icmp host=2001:db8::1", false},
    {"fe80::1", "icmp host=fe80::1", false},
    {"::ffff:192.0.2.1", "icmp host=::ffff:192.0.2.1", false},
    {"[::1]", "icmp host=::1", false},
    /* icmp:// */
    {"icmp://example.com", "icmp host=example.com", false},
    {"icmp://192.0.2.1", "icmp host=192.0.2.1", false},
    {"icmp://[2001:db8::1]", "icmp host=2001:db8::1", false},
    /* tcp:// */
    {"tcp://example.com:22", "tcp host=example.com port=22", false},
    {"tcp://[::1]:5432", "tcp host=::1 port=5432", false},
    {"tcp://192.0.2.1:1", "tcp host=192.0.2.1 port=1", false},
    {"tcp://h:65535", "tcp host=h port=65535", false},
    {"tcp://h:0080", "tcp host=h port=80", false},
    /* http:// https:// */
    {"http://example.com",
        "http host=example.com port=80 url=http://example.com", false},
    {"http://example.com/",
        "http host=example.com port=80 url=http://example.com/", false},
    {"http://h:8080/health?x=1&y=2",
        "http host=h port=8080 url=http://h:8080/health?x=1&y=2", false},
    {"http://h?q=1", "http host=h port=80 url=http://h?q=1", false},
    {"http://h#top", "http host=h port=80 url=http://h#top", false},
    {"http://h/a@b", "http host=h port=80 url=http://h/a@b", false},
    {"https://example.com",
        "http host=example.com port=443 url=https://example.com", false},
    {"https://[::1]:8443/x", "http host=::1 port=8443 url=https://[::1]:8443/x",
        false},
    {"https://192.0.2.1/",
        "http host=192.0.2.1 port=443 url=https://192.0.2.1/", false},
    {"https://h/\xe3\x83\x91\xe3\x82\xb9",
        "http host=h port=443 url=https://h/\xe3\x83\x91\xe3\x82\xb9", false},
    /* ssh:// */
    {"ssh://h/disk", "ssh host=h port=22 probe=disk", false},
    {"ssh://root@h/load", "ssh user=root host=h port=22 probe=load", false},
    {"ssh://deploy_1.x-y@h:2222/mem",
        "ssh user=deploy_1.x-y host=h port=2222 probe=mem", false},
    {"ssh://_svc@[::1]:22/disk=/",
        "ssh user=_svc host=::1 port=22 probe=disk=/", false},
    {"ssh://h/disk=/var/lib/mysql",
        "ssh host=h port=22 probe=disk=/var/lib/mysql", false},
    {"ssh://h/disk=/srv/data-1/a.b_c",
        "ssh host=h port=22 "
        "probe=disk=/srv/data-1/a.b_c",
        false},
    {"ssh://h/service=nginx.service",
        "ssh host=h port=22 probe=service=nginx.service", false},
    {"ssh://h/service=getty@tty1.service",
        "ssh host=h port=22 probe=service=getty@tty1.service", false},
    {"ssh://h/service=a:b_c-d", "ssh host=h port=22 probe=service=a:b_c-d",
        false},
    {"ssh://h/exec=check-raid", "ssh host=h port=22 probe=exec=check-raid",
        false},
    {"ssh://h/exec=0day", "ssh host=h port=22 probe=exec=0day", false},
    {"ssh://" A10 A10 A10 "ab@h/mem",
        "ssh user=" A10 A10 A10 "ab host=h port=22 "
        "probe=mem",
        false},

    /* rejected: anywhere */
    {"", "target \"\": empty target; use " FORMS, true},
    {"foo bar",
        "target \"foo bar\": a blank or a control character is not "
        "allowed in a target",
        true},
    {"a\tb",
        "target \"a\\tb\": a blank or a control character is not allowed "
        "in a target",
        true},
    {"http://h/\x1b[31m",
        "target \"http://h/\\x1b[31m\": a blank or a control "
        "character is not allowed in a target",
        true},
    {"h\x7f",
        "target \"h\\x7f\": a blank or a control character is not allowed "
        "in a target",
        true},
    {"http://h/\xc2\x85",
        "target \"http://h/\xc2\x85\": a blank or a control "
        "character is not allowed in a target",
        true},
    {"http://h/\xff", "target \"http://h/\xff\": not valid UTF-8", true},
    /* bare HOST */
    {"h:80", "target \"h:80\": not a host name or address; use " FORMS, true},
    {"h/x", "target \"h/x\": not a host name or address; use " FORMS, true},
    {"http:/h", "target \"http:/h\": not a host name or address; use " FORMS,
        true},
    {"-h",
        "target \"-h\": host \"-h\" has a label starting with '-'; use " FORMS,
        true},
    {"a.-b",
        "target \"a.-b\": host \"a.-b\" has a label starting with '-'; "
        "use " FORMS,
        true},
    {"a..b", "target \"a..b\": host \"a..b\" has an empty label; use " FORMS,
        true},
    {".a", "target \".a\": host \".a\" has an empty label; use " FORMS, true},
    {".", "target \".\": host \".\" has an empty label; use " FORMS, true},
    {"a_b",
        "target \"a_b\": host \"a_b\" has a character other than letters, "
        "digits, '.' and '-'; use " FORMS,
        true},
    {"h@x",
        "target \"h@x\": host \"h@x\" has a character other than letters, "
        "digits, '.' and '-'; use " FORMS,
        true},
    {"h\xc3\xa9",
        "target \"h\xc3\xa9\": host \"h\xc3\xa9\" has a character other "
        "than letters, digits, '.' and '-'; use " FORMS,
        true},
    {A63 "a.x",
        "target \"" A60 "...\": host \"" A60 "...\" has a label longer "
        "than 63 bytes; use " FORMS,
        true},
    {"127.1",
        "target \"127.1\": host \"127.1\" is not a valid IPv4 address "
        "(write four numbers from 0 to 255, like 192.0.2.1); use " FORMS,
        true},
    {"0x7f.1",
        "target \"0x7f.1\": host \"0x7f.1\" is not a valid IPv4 address "
        "(write four numbers from 0 to 255, like 192.0.2.1); use " FORMS,
        true},
    {"0x7f000001",
        "target \"0x7f000001\": host \"0x7f000001\" is not a valid "
        "IPv4 address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"010.0.0.1",
        "target \"010.0.0.1\": host \"010.0.0.1\" is not a valid IPv4 "
        "address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"256.1.1.1",
        "target \"256.1.1.1\": host \"256.1.1.1\" is not a valid IPv4 "
        "address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"1.2.3.4.5",
        "target \"1.2.3.4.5\": host \"1.2.3.4.5\" is not a valid IPv4 "
        "address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"1.2.3.4.",
        "target \"1.2.3.4.\": host \"1.2.3.4.\" is not a valid IPv4 "
        "address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"example.123",
        "target \"example.123\": host \"example.123\" is not a valid "
        "IPv4 address (write four numbers from 0 to 255, like 192.0.2.1); "
        "use " FORMS,
        true},
    {"12345",
        "target \"12345\": host \"12345\" is not a valid IPv4 address "
        "(write four numbers from 0 to 255, like 192.0.2.1); use " FORMS,
        true},
    {"[::1", "target \"[::1\": \"[::1\" is not an IPv6 address; use " FORMS,
        true},
    {"[example.com]",
        "target \"[example.com]\": \"[example.com]\" is not an "
        "IPv6 address; use " FORMS,
        true},
    {"[]", "target \"[]\": no host; use " FORMS, true},
    {"::g", "target \"::g\": \"::g\" is not an IPv6 address; use " FORMS, true},
    {"fe80::1%eth0",
        "target \"fe80::1%eth0\": \"fe80::1%eth0\" is not an IPv6 "
        "address; use " FORMS,
        true},
    /* schemes */
    {"ftp://h", "target \"ftp://h\": unknown scheme \"ftp\"; use " FORMS, true},
    {"://h", "target \"://h\": unknown scheme \"\"; use " FORMS, true},
    {"HTTP://h",
        "target \"HTTP://h\": scheme \"HTTP\" must be lowercase "
        "(http://)",
        true},
    {"Ssh://h/disk",
        "target \"Ssh://h/disk\": scheme \"Ssh\" must be lowercase "
        "(ssh://)",
        true},
    /* icmp:// */
    {"icmp://", "target \"icmp://\": no host; use icmp://HOST", true},
    {"icmp://h:1",
        "target \"icmp://h:1\": a port is not allowed here; use "
        "icmp://HOST",
        true},
    {"icmp://::1",
        "target \"icmp://::1\": an IPv6 address goes in brackets: "
        "[::1]; use icmp://HOST",
        true},
    {"icmp://h/",
        "target \"icmp://h/\": host \"h/\" has a character other than "
        "letters, digits, '.' and '-'; use icmp://HOST",
        true},
    /* tcp:// */
    {"tcp://h", "target \"tcp://h\": no port" USE_TCP, true},
    {"tcp://h:", "target \"tcp://h:\": no port after ':'" USE_TCP, true},
    {"tcp://:22", "target \"tcp://:22\": no host" USE_TCP, true},
    {"tcp://h:0",
        "target \"tcp://h:0\": port 0 is out of range (1 to 65535)" USE_TCP,
        true},
    {"tcp://h:65536",
        "target \"tcp://h:65536\": port 65536 is out of range (1 "
        "to 65535)" USE_TCP,
        true},
    {"tcp://h:99999999999",
        "target \"tcp://h:99999999999\": port 99999999999 "
        "is out of range (1 to 65535)" USE_TCP,
        true},
    {"tcp://h:http",
        "target \"tcp://h:http\": port \"http\" is not a number" USE_TCP, true},
    {"tcp://h:-1", "target \"tcp://h:-1\": port \"-1\" is not a number" USE_TCP,
        true},
    {"tcp://h:22/x", "target \"tcp://h:22/x\": tcp:// takes no path" USE_TCP,
        true},
    {"tcp://[::1]", "target \"tcp://[::1]\": no port" USE_TCP, true},
    {"tcp://[::1]x:1",
        "target \"tcp://[::1]x:1\": unexpected \"x:1\" after the "
        "host" USE_TCP,
        true},
    {"tcp://[::1:22",
        "target \"tcp://[::1:22\": no ']' after the IPv6 address" USE_TCP,
        true},
    {"tcp://2001:db8::1:22",
        "target \"tcp://2001:db8::1:22\": an IPv6 address "
        "goes in brackets: [2001:db8::1:22]" USE_TCP,
        true},
    {"tcp://u@h:22",
        "target \"tcp://u@h:22\": host \"u@h\" has a character "
        "other than letters, digits, '.' and '-'" USE_TCP,
        true},
    /* http:// https:// */
    {"http://user:pass@h/",
        "target \"http://user:pass@h/\": credentials in "
        "URLs are not supported (no USER:PASSWORD@ in http:// and https://)",
        true},
    {"https://u@h",
        "target \"https://u@h\": credentials in URLs are not "
        "supported (no USER:PASSWORD@ in http:// and https://)",
        true},
    {"http://", "target \"http://\": no host" USE_HTTP, true},
    {"http:///x", "target \"http:///x\": no host" USE_HTTP, true},
    {"http://h:0/",
        "target \"http://h:0/\": port 0 is out of range (1 to "
        "65535)" USE_HTTP,
        true},
    {"http://h:/", "target \"http://h:/\": no port after ':'" USE_HTTP, true},
    {"http://h_x/",
        "target \"http://h_x/\": host \"h_x\" has a character other "
        "than letters, digits, '.' and '-'" USE_HTTP,
        true},
    {"https://[::1/",
        "target \"https://[::1/\": no ']' after the IPv6 address" USE_HTTPS,
        true},
    {"https://::1/",
        "target \"https://::1/\": an IPv6 address goes in brackets: "
        "[::1]" USE_HTTPS,
        true},
    /* ssh:// */
    {"ssh://h", "target \"ssh://h\": no probe" USE_SSH, true},
    {"ssh://h/", "target \"ssh://h/\": unknown probe \"\"" USE_SSH, true},
    {"ssh://h/cpu", "target \"ssh://h/cpu\": unknown probe \"cpu\"" USE_SSH,
        true},
    {"ssh://h/load=1",
        "target \"ssh://h/load=1\": unknown probe \"load=1\"" USE_SSH, true},
    {"ssh://h/disk/var",
        "target \"ssh://h/disk/var\": unknown probe \"disk/var\"" USE_SSH,
        true},
    {"ssh://h/disk=",
        "target \"ssh://h/disk=\": disk= needs an absolute mount "
        "point, like disk=/var" USE_SSH,
        true},
    {"ssh://h/disk=var",
        "target \"ssh://h/disk=var\": disk= needs an absolute "
        "mount point, like disk=/var" USE_SSH,
        true},
    {"ssh://h/disk=/var/../etc",
        "target \"ssh://h/disk=/var/../etc\": mount "
        "point \"/var/../etc\" has a . or .. component" USE_SSH,
        true},
    {"ssh://h/disk=/a/.",
        "target \"ssh://h/disk=/a/.\": mount point \"/a/.\" "
        "has a . or .. component" USE_SSH,
        true},
    {"ssh://h/disk=/a$b",
        "target \"ssh://h/disk=/a$b\": mount point \"/a$b\" has "
        "a character other than letters, digits and / . _ - + @ : , =" USE_SSH,
        true},
    {"ssh://h/service=",
        "target \"ssh://h/service=\": service unit \"\" is not "
        "a unit name (letters, digits and @ . _ : -, not starting with '-', at "
        "most 256 bytes)" USE_SSH,
        true},
    {"ssh://h/service=-x",
        "target \"ssh://h/service=-x\": service unit \"-x\" "
        "is not a unit name (letters, digits and @ . _ : -, not starting with "
        "'-', at most 256 bytes)" USE_SSH,
        true},
    {"ssh://h/service=a;b",
        "target \"ssh://h/service=a;b\": service unit "
        "\"a;b\" is not a unit name (letters, digits and @ . _ : -, not "
        "starting with '-', at most 256 bytes)" USE_SSH,
        true},
    {"ssh://h/exec=Foo",
        "target \"ssh://h/exec=Foo\": exec name \"Foo\" is not "
        "a command name (a-z, 0-9 and -, starting with a letter or digit, at "
        "most 64 bytes)" USE_SSH,
        true},
    {"ssh://h/exec=-x",
        "target \"ssh://h/exec=-x\": exec name \"-x\" is not a "
        "command name (a-z, 0-9 and -, starting with a letter or digit, at "
        "most "
        "64 bytes)" USE_SSH,
        true},
    {"ssh://h/exec=a_b",
        "target \"ssh://h/exec=a_b\": exec name \"a_b\" is not "
        "a command name (a-z, 0-9 and -, starting with a letter or digit, at "
        "most 64 bytes)" USE_SSH,
        true},
    {"ssh://h/exec=",
        "target \"ssh://h/exec=\": exec name \"\" is not a command "
        "name (a-z, 0-9 and -, starting with a letter or digit, at most 64 "
        "bytes)" USE_SSH,
        true},
    {"ssh://Root@h/disk",
        "target \"ssh://Root@h/disk\": user \"Root\" is not a "
        "user name (a-z, 0-9, _ . -, starting with a-z or _, at most 32 "
        "bytes)" USE_SSH,
        true},
    {"ssh://@h/disk",
        "target \"ssh://@h/disk\": user \"\" is not a user name "
        "(a-z, 0-9, _ . -, starting with a-z or _, at most 32 bytes)" USE_SSH,
        true},
    {"ssh://1u@h/disk",
        "target \"ssh://1u@h/disk\": user \"1u\" is not a user "
        "name (a-z, 0-9, _ . -, starting with a-z or _, at most 32 "
        "bytes)" USE_SSH,
        true},
    {"ssh://u:pw@h/disk",
        "target \"ssh://u:pw@h/disk\": user \"u:pw\" is not a "
        "user name (a-z, 0-9, _ . -, starting with a-z or _, at most 32 "
        "bytes)" USE_SSH,
        true},
    {"ssh://" A10 A10 A10 "abc@h/mem",
        "target \"ssh://" A10 A10 A10 "abc@h/mem\": user \"" A10 A10 A10
        "abc\" is not a user name (a-z, 0-9, "
        "_ . -, starting with a-z or _, at most 32 bytes)" USE_SSH,
        true},
    {"ssh://u@/disk", "target \"ssh://u@/disk\": no host" USE_SSH, true},
    {"ssh://h:0/disk",
        "target \"ssh://h:0/disk\": port 0 is out of range (1 to "
        "65535)" USE_SSH,
        true},
    {"ssh://-oProxyCommand=x/disk",
        "target \"ssh://-oProxyCommand=x/disk\": "
        "host \"-oProxyCommand=x\" has a character other than letters, digits, "
        "'.' and '-'" USE_SSH,
        true},
    {"ssh://-h/disk",
        "target \"ssh://-h/disk\": host \"-h\" has a label "
        "starting with '-'" USE_SSH,
        true},
};

static void
test_specs(void)
{
	char sh[256];
	struct pg_target *t;
	struct ops_err err;
	size_t i;
	int rc;

	for (i = 0; i < OPS_ARRAY_SIZE(specs); i++) {
		t = pg_target_new();
		ops_err_clear(&err);
		rc = pg_target_parse(t, specs[i].spec, &err);
		ops_diag_shown(
		    sh, sizeof(sh), specs[i].spec, strlen(specs[i].spec));
		if (specs[i].err) {
			is_str(rc == 0 ? "(accepted)" : err.msg, specs[i].want,
			    "rejects \"%s\"", sh);
			if (rc != 0 && err.code != 2)
				diag("code %d", err.code);
		} else {
			is_str(rc == 0 ? dump(t) : err.msg, specs[i].want,
			    "accepts \"%s\"", sh);
			if (rc == 0 &&
			    (strcmp(t->spec, specs[i].spec) != 0 ||
			        strcmp(t->name, specs[i].spec) != 0))
				diag("spec/name not kept");
		}
		pg_target_free(t);
	}
}

static void
test_spec_limits(void)
{
	struct pg_target *t = pg_target_new();
	struct ops_err err;
	char *s = ops_xmalloc(5000), want[300];
	size_t n;
	int i;

	/* a host name of 253 bytes: 3 labels of 63, one of 61, with dots */
	n = 0;
	for (i = 0; i < 3; i++) {
		memset(s + n, 'a', 63);
		n += 63;
		s[n++] = '.';
	}
	memset(s + n, 'b', 61);
	n += 61;
	s[n] = '\0';
	ok(n == 253 && pg_target_parse(t, s, &err) == 0 &&
	        strcmp(t->host, s) == 0,
	    "a host name of 253 bytes");
	s[n++] = 'b';
	s[n] = '\0';
	ok(pg_target_parse(t, s, &err) == -1 &&
	        strstr(err.msg, ": host name is longer than 253 bytes; use ") !=
	            NULL,
	    "a host name of 254 bytes is too long");

	/* a URL of 4096 bytes is fine, one more is not */
	memcpy(s, "http://h/", 9);
	memset(s + 9, 'p', 4096 - 9);
	s[4096] = '\0';
	ok(pg_target_parse(t, s, &err) == 0 && strlen(t->url) == 4096,
	    "a target of 4096 bytes");
	s[4096] = 'p';
	s[4097] = '\0';
	snprintf(want, sizeof(want),
	    "target \"http://h/%.51s...\": longer than 4096 bytes", s + 9);
	ok(pg_target_parse(t, s, &err) == -1 && strcmp(err.msg, want) == 0,
	    "a target of 4097 bytes is too long");
	if (strcmp(err.msg, want) != 0)
		diag("got: %s", err.msg);

	/* service unit of 256 bytes, and 257 */
	memcpy(s, "ssh://h/service=", 16);
	memset(s + 16, 'u', 256);
	s[16 + 256] = '\0';
	ok(pg_target_parse(t, s, &err) == 0, "a unit name of 256 bytes");
	s[16 + 256] = 'u';
	s[16 + 257] = '\0';
	ok(pg_target_parse(t, s, &err) == -1 &&
	        strstr(err.msg, "is not a unit name") != NULL,
	    "a unit name of 257 bytes is refused");
	/* exec name of 64 bytes, and 65 */
	memcpy(s, "ssh://h/exec=", 13);
	memset(s + 13, 'e', 64);
	s[13 + 64] = '\0';
	ok(pg_target_parse(t, s, &err) == 0, "an exec name of 64 bytes");
	s[13 + 64] = 'e';
	s[13 + 65] = '\0';
	ok(pg_target_parse(t, s, &err) == -1 &&
	        strstr(err.msg, "is not a command name") != NULL,
	    "an exec name of 65 bytes is refused");
	/* mount point of 1024 bytes, and 1025 */
	memcpy(s, "ssh://h/disk=/", 14);
	memset(s + 14, 'm', 1023);
	s[14 + 1023] = '\0';
	ok(pg_target_parse(t, s, &err) == 0, "a mount point of 1024 bytes");
	s[14 + 1023] = 'm';
	s[14 + 1024] = '\0';
	ok(pg_target_parse(t, s, &err) == -1 &&
	        strstr(err.msg, "mount point is longer than 1024 bytes") !=
	            NULL,
	    "a mount point of 1025 bytes is refused");
	free(s);
	pg_target_free(t);
}

static void
test_target_object(void)
{
	struct pg_target *t = pg_target_new();
	struct ops_err err;

	ok(t->kind == PG_ICMP && t->attempts == PG_DEF_ATTEMPTS &&
	        t->count == PG_DEF_COUNT && t->name == NULL &&
	        t->host == NULL && t->port == 0 && !t->warn.set &&
	        !t->crit.set && t->nexpect == 0 && t->match == NULL &&
	        t->cert_days == 0 && t->timeout_ms == 0 && t->parent == NULL &&
	        !t->follow && t->ca == NULL && !t->insecure &&
	        t->file == NULL && t->line == 0,
	    "pg_target_new sets the defaults");
	ok(pg_target_parse(t, "ssh://u@h:2/disk", &err) == 0 &&
	        strcmp(t->name, "ssh://u@h:2/disk") == 0,
	    "the name defaults to the target text");
	ok(pg_target_parse(t, "tcp://x:1", &err) == 0 && t->kind == PG_TCP &&
	        t->user == NULL && t->probe == NULL &&
	        strcmp(t->spec, "tcp://x:1") == 0 &&
	        strcmp(t->name, "ssh://u@h:2/disk") == 0,
	    "parsing again replaces the target, keeps the name");
	ok(pg_target_parse(t, "tcp://x", &err) == -1 && err.code == 2 &&
	        t->kind == PG_TCP && t->port == 1 &&
	        strcmp(t->host, "x") == 0 && strcmp(t->spec, "tcp://x:1") == 0,
	    "a failed parse leaves the target as it was");
	ok(pg_target_parse(t, NULL, &err) == -1 &&
	        strcmp(err.msg, "target \"\": empty target; use " FORMS) == 0,
	    "NULL target text is empty");
	pg_target_free(t);
	pg_target_free(NULL);
	ok(1, "pg_target_free(NULL) is harmless");
}

/* ---- options ---- */

static const struct {
	const char *spec, *opts;
	const char *want; /* dump(), or the error message when err */
	bool err;
} options[] = {
    {"h", "", "icmp host=h", false},
    {"h", "    ", "icmp host=h", false},
    {"h", "warn=200ms crit=1s", "icmp host=h warn=200 crit=1000", false},
    {"h", "warn=200 crit=1.5s", "icmp host=h warn=200 crit=1500", false},
    {"h", "  warn=~:150ms   count=5  ", "icmp host=h warn=~:150 count=5",
        false},
    {"h", "count=1", "icmp host=h", false},
    {"h", "count=100", "icmp host=h count=100", false},
    {"h", "attempts=1", "icmp host=h attempts=1", false},
    {"h", "attempts=100", "icmp host=h attempts=100", false},
    {"h", "timeout=500ms", "icmp host=h timeout=500", false},
    {"h", "timeout=2s", "icmp host=h timeout=2000", false},
    {"h", "timeout=1500", "icmp host=h timeout=1500", false},
    {"h", "timeout=1", "icmp host=h timeout=1", false},
    {"h", "timeout=1h", "icmp host=h timeout=3600000", false},
    {"h", "timeout=1m30s", "icmp host=h timeout=90000", false},
    {"h", "parent=router", "icmp host=h parent=[router]", false},
    {"h", "parent=\"core switch\"", "icmp host=h parent=[core switch]", false},
    {"h", "parent=\xe3\x83\xab\xe3\x83\xbc\xe3\x82\xbf",
        "icmp host=h parent=[\xe3\x83\xab\xe3\x83\xbc\xe3\x82\xbf]", false},
    {"h", "parent=" A200, "icmp host=h parent=[" A200 "]", false},
    {"tcp://h:22", "warn=100ms crit=@1s:2s attempts=5",
        "tcp host=h port=22 warn=100 crit=@1000:2000 attempts=5", false},
    {"tcp://h:22", "timeout=3s parent=gw",
        "tcp host=h port=22 timeout=3000 parent=[gw]", false},
    {"http://h/", "expect=200-299,301 match=\"Welcome home\" follow=yes",
        "http host=h port=80 url=http://h/ expect=200-299,301-301 "
        "match=[Welcome home] follow=yes",
        false},
    {"http://h/", "expect=404",
        "http host=h port=80 url=http://h/ "
        "expect=404-404",
        false},
    {"http://h/", "expect=100-599",
        "http host=h port=80 url=http://h/ "
        "expect=100-599",
        false},
    {"http://h/",
        "expect=200,201,202,203,204,205,206,207,208,209,210,211,"
        "212,213,214,215",
        "http host=h port=80 url=http://h/ expect=200-200,"
        "201-201,202-202,203-203,204-204,205-205,206-206,207-207,208-208,"
        "209-209,210-210,211-211,212-212,213-213,214-214,215-215",
        false},
    {"http://h/", "match=ok", "http host=h port=80 url=http://h/ match=[ok]",
        false},
    {"http://h/", "match=\"say \\\"hi\\\" \\\\o/\"",
        "http host=h port=80 url=http://h/ match=[say \"hi\" \\o/]", false},
    {"http://h/", "match=a\\b",
        "http host=h port=80 url=http://h/ "
        "match=[a\\b]",
        false},
    {"http://h/", "match==", "http host=h port=80 url=http://h/ match=[=]",
        false},
    {"http://h/", "match=\"\xe3\x83\x91 x\"",
        "http host=h port=80 url=http://h/ "
        "match=[\xe3\x83\x91 x]",
        false},
    {"http://h/", "follow=no warn=1s",
        "http host=h port=80 url=http://h/ "
        "warn=1000",
        false},
    {"https://h/", "cert-days=30 ca=/etc/ssl/my.pem insecure=no",
        "http host=h port=443 url=https://h/ cert-days=30 ca=/etc/ssl/my.pem",
        false},
    {"https://h/", "cert-days=1",
        "http host=h port=443 url=https://h/ "
        "cert-days=1",
        false},
    {"https://h/", "cert-days=3650 insecure=yes follow=yes expect=200",
        "http host=h port=443 url=https://h/ expect=200-200 cert-days=3650 "
        "follow=yes insecure=yes",
        false},
    {"ssh://h/disk", "warn=80 crit=90",
        "ssh host=h port=22 probe=disk "
        "warn=80 crit=90",
        false},
    {"ssh://h/load", "crit=@0:0.5 warn=~:4",
        "ssh host=h port=22 probe=load "
        "warn=~:4 crit=@0.5",
        false},
    {"ssh://h/disk", "timeout=10s parent=db attempts=2",
        "ssh host=h port=22 probe=disk attempts=2 timeout=10000 parent=[db]",
        false},

    /* rejected */
    {"h", "wran=1", "unknown option \"wran\" (did you mean \"warn\"?)", true},
    {"h", "cirt=1", "unknown option \"cirt\" (did you mean \"crit\"?)", true},
    {"h", "timeot=5", "unknown option \"timeot\" (did you mean \"timeout\"?)",
        true},
    {"h", "certdays=5",
        "unknown option \"certdays\" (did you mean "
        "\"cert-days\"?)",
        true},
    {"h", "zzz=1", "unknown option \"zzz\"; the options are " KEYS, true},
    {"h", "WARN=1", "unknown option \"WARN\"; the options are " KEYS, true},
    {"h", A50 "=1", "unknown option \"" A50 "\"; the options are " KEYS, true},
    {"h", "warn",
        "options: \"warn\" is not key=value (options are key=value "
        "words separated by spaces)",
        true},
    {"h", "warn=1 crit",
        "options: \"crit\" is not key=value (options are "
        "key=value words separated by spaces)",
        true},
    {"h", "=5",
        "options: \"=5\" is not key=value (options are key=value words "
        "separated by spaces)",
        true},
    {"h", "warn = 1",
        "options: \"warn\" is not key=value (options are "
        "key=value words separated by spaces)",
        true},
    {"h", "warn=1 warn=2", "option \"warn\": given twice", true},
    {"h", "count=2 count=2", "option \"count\": given twice", true},
    {"tcp://h:1", "count=2",
        "option \"count\": applies to ICMP targets (HOST, "
        "icmp://HOST) only",
        true},
    {"h", "expect=200",
        "option \"expect\": applies to http:// and https:// "
        "targets only",
        true},
    {"tcp://h:1", "match=x",
        "option \"match\": applies to http:// and "
        "https:// targets only",
        true},
    {"ssh://h/disk", "follow=yes",
        "option \"follow\": applies to http:// and "
        "https:// targets only",
        true},
    {"http://h", "cert-days=30",
        "option \"cert-days\": applies to https:// "
        "targets only",
        true},
    {"http://h", "ca=/x", "option \"ca\": applies to https:// targets only",
        true},
    {"h", "insecure=yes",
        "option \"insecure\": applies to https:// targets "
        "only",
        true},
    {"h", "warn=", "option \"warn\": empty value", true},
    {"http://h", "match=\"\"", "option \"match\": empty value", true},
    {"h", "parent=", "option \"parent\": empty value", true},
    {"h", "warn=abc", "option \"warn\": \"abc\" is not a number" LAT, true},
    {"h", "warn=5m", "option \"warn\": \"5m\" has an unknown unit" LAT, true},
    {"h", "crit=2:1", "option \"crit\": \"2:1\" has start above end" LAT, true},
    {"tcp://h:1", "crit=-1ms", "option \"crit\": \"-1ms\" is negative" LAT,
        true},
    {"ssh://h/disk", "crit=90%",
        "option \"crit\": \"90%\" is not a number" PLAIN, true},
    {"ssh://h/disk", "warn=1s", "option \"warn\": \"1s\" is not a number" PLAIN,
        true},
    {"h", "count=0",
        "option \"count\": \"0\" is too small; use an integer "
        "from 1 to 100",
        true},
    {"h", "count=101",
        "option \"count\": \"101\" is too large; use an integer "
        "from 1 to 100",
        true},
    {"h", "count=x",
        "option \"count\": \"x\" is not a number; use an integer "
        "from 1 to 100",
        true},
    {"h", "attempts=0",
        "option \"attempts\": \"0\" is too small; use an "
        "integer from 1 to 100",
        true},
    {"h", "attempts=101",
        "option \"attempts\": \"101\" is too large; use an "
        "integer from 1 to 100",
        true},
    {"https://h", "cert-days=0",
        "option \"cert-days\": \"0\" is too small; "
        "use an integer from 1 to 3650",
        true},
    {"https://h", "cert-days=3651",
        "option \"cert-days\": \"3651\" is too "
        "large; use an integer from 1 to 3650",
        true},
    {"h", "timeout=0",
        "option \"timeout\": \"0\" is too small; use a duration "
        "from 1ms to 1h, like 500ms or 2s (a bare number is milliseconds)",
        true},
    {"h", "timeout=0ms",
        "option \"timeout\": \"0ms\" is too small; use a "
        "duration from 1ms to 1h, like 500ms or 2s (a bare number is "
        "milliseconds)",
        true},
    {"h", "timeout=2h",
        "option \"timeout\": \"2h\" is too large; use a "
        "duration from 1ms to 1h, like 500ms or 2s (a bare number is "
        "milliseconds)",
        true},
    {"h", "timeout=1h1ms",
        "option \"timeout\": \"1h1ms\" is too large; use a "
        "duration from 1ms to 1h, like 500ms or 2s (a bare number is "
        "milliseconds)",
        true},
    {"h", "timeout=5x",
        "option \"timeout\": \"5x\" has an unknown unit; use a "
        "duration from 1ms to 1h, like 500ms or 2s (a bare number is "
        "milliseconds)",
        true},
    {"h", "timeout=-1",
        "option \"timeout\": \"-1\" is negative; use a "
        "duration from 1ms to 1h, like 500ms or 2s (a bare number is "
        "milliseconds)",
        true},
    {"http://h", "expect=99",
        "option \"expect\": \"99\" is not a status code "
        "or range; use codes from 100 to 599 and ranges, like 200-299,301",
        true},
    {"http://h", "expect=600",
        "option \"expect\": \"600\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=2000",
        "option \"expect\": \"2000\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=20x",
        "option \"expect\": \"20x\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=200-",
        "option \"expect\": \"200-\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=-200",
        "option \"expect\": \"-200\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=200-300-400",
        "option \"expect\": \"200-300-400\" is "
        "not a status code or range; use codes from 100 to 599 and ranges, "
        "like 200-299,301",
        true},
    {"http://h", "expect=200,,301",
        "option \"expect\": \"\" is not a status "
        "code or range; use codes from 100 to 599 and ranges, like "
        "200-299,301",
        true},
    {"http://h", "expect=200,",
        "option \"expect\": \"\" is not a status code "
        "or range; use codes from 100 to 599 and ranges, like 200-299,301",
        true},
    {"http://h", "expect=300-200",
        "option \"expect\": \"300-200\" has start "
        "above end",
        true},
    {"http://h",
        "expect=200,201,202,203,204,205,206,207,208,209,210,211,212,"
        "213,214,215,216",
        "option \"expect\": more than 16 codes or ranges", true},
    {"http://h", "follow=true", "option \"follow\": \"true\" is not yes or no",
        true},
    {"https://h", "insecure=1", "option \"insecure\": \"1\" is not yes or no",
        true},
    {"h", "parent=" A200 "a",
        "option \"parent\": \"" A60 "...\" is longer "
        "than 200 bytes (a target name)",
        true},
    {"h", "parent=\xff", "options: not valid UTF-8", true},
    {"h", "parent=\" gw\"",
        "option \"parent\": \" gw\" starts or ends with a "
        "blank (a target name)",
        true},
    {"http://h", "match=\"abc", "option \"match\": unterminated quote", true},
    {"http://h", "match=\"abc\\", "option \"match\": unterminated quote", true},
    {"http://h", "match=\"a\\nb\"",
        "option \"match\": unknown escape in quotes "
        "(use \\\" or \\\\)",
        true},
    {"http://h", "match=\"a\"b",
        "option \"match\": text after the closing "
        "quote",
        true},
    {"http://h", "match=a\"b\"",
        "option \"match\": a '\"' inside a value "
        "(quote the whole value: match=\"...\")",
        true},
    {"h", "warn=1\tcrit=2", "options: a control character is not allowed",
        true},
    {"h", "warn=1\ncrit=2", "options: a control character is not allowed",
        true},
    {"http://h", "match=\"\xc2\x85\"",
        "options: a control character is not "
        "allowed",
        true},
};

static void
test_options(void)
{
	char sh[256];
	struct pg_target *t;
	struct ops_err err;
	size_t i;
	int rc;

	for (i = 0; i < OPS_ARRAY_SIZE(options); i++) {
		t = pg_target_new();
		ops_err_clear(&err);
		if (pg_target_parse(t, options[i].spec, &err) < 0)
			bail_out("%s: %s", options[i].spec, err.msg);
		rc = pg_target_options(t, options[i].opts, &err);
		ops_diag_shown(
		    sh, sizeof(sh), options[i].opts, strlen(options[i].opts));
		if (options[i].err)
			is_str(rc == 0 ? "(accepted)" : err.msg,
			    options[i].want, "%s: rejects '%s'",
			    options[i].spec, sh);
		else
			is_str(rc == 0 ? dump(t) : err.msg, options[i].want,
			    "%s: accepts '%s'", options[i].spec, sh);
		if (rc != 0 && err.code != 2)
			diag("code %d", err.code);
		pg_target_free(t);
	}
	t = pg_target_new();
	if (pg_target_parse(t, "http://h", &err) < 0)
		bail_out("http://h: %s", err.msg);
	ok(pg_target_options(t, NULL, &err) == 0, "NULL options are none");
	ok(pg_target_options(t, "match=a", &err) == 0 &&
	        pg_target_options(t, "match=b", &err) == 0 &&
	        strcmp(t->match, "b") == 0,
	    "a second call replaces a value (no leak)");
	pg_target_free(t);
}

/* ---- the targets file ---- */

#define H3 "name\ttarget\toptions\n"

static const struct {
	const char *desc, *text;
	size_t len; /* 0: strlen(text) */
	const char
	    *want; /* names, comma-separated; or "FILE:LINE: [code] msg" */
} files[] = {
    {"header only", H3, 0, ""},
    {"two targets", H3 "web\thttp://h/\texpect=200\ndb\ttcp://db:5432\t\n", 0,
        "web,db"},
    {"comments and blank lines",
        "# targets\n\n" H3 "# web servers\n   \n\t\n"
        "web\thttp://h/\t\n#db\ttcp://db:1\t\n\ndb\ttcp://db:5432\t\n",
        0, "web,db"},
    {"columns in another order, unknown columns",
        "target\tnote\tname\nh\tanything \\x goes\tweb\n", 0, "web"},
    {"no options column", "name\ttarget\nweb\th\n", 0, "web"},
    {"a row ending before options", H3 "web\th\n", 0, "web"},
    {"empty fields past the header", H3 "web\th\t\t\t\n", 0, "web"},
    {"CRLF line ends", "name\ttarget\r\nweb\th\r\n", 0, "web"},
    {"no newline at the end", "name\ttarget\nweb\th", 0, "web"},
    {"escaped name", H3 "back\\\\slash\th\n", 0, "back\\slash"},
    {"name with blanks and UTF-8",
        H3 "web \xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96"
           "\th\n",
        0, "web \xe3\x82\xa6\xe3\x82\xa7\xe3\x83\x96"},
    {"name of 200 bytes", H3 A200 "\th\n", 0, A200},
    {"name with '#' inside", H3 "a#1\th\n", 0, "a#1"},
    {"forward parent", H3 "web\th\tparent=db\ndb\tdb.example\t\n", 0, "web,db"},
    {"parent chain", H3 "a\th\tparent=b\nb\th\tparent=c\nc\th\n", 0, "a,b,c"},
    {"quoted options with blanks",
        H3 "web\thttp://h/\tmatch=\"a b\" "
           "parent=\"c d\"\nc d\th\n",
        0, "web,c d"},

    {"empty file", "", 0, "t.tsv:0: [2] " NO_HEADER},
    {"only comments", "# a\n\n# b\n", 0, "t.tsv:0: [2] " NO_HEADER},
    {"no name column", "host\ttarget\n", 0,
        "t.tsv:1: [2] no column \"name\"" HDR_HELP},
    {"no target column after a comment", "# c\nname\tnothing\n", 0,
        "t.tsv:2: [2] no column \"target\"" HDR_HELP},
    {"header missing: first line is a target", "web\thttp://h/\n", 0,
        "t.tsv:1: [2] no column \"name\"" HDR_HELP},
    {"column twice", "name\ttarget\tname\n", 0,
        "t.tsv:1: [2] column \"name\" appears twice in the header"},
    {"more fields than columns", H3 "web\th\t\tx\n", 0,
        "t.tsv:2: [2] more fields than the header's 3 columns"},
    {"bad escape", "name\ttarget\nweb\\x\th\n", 0,
        "t.tsv:2: [2] bad escape in column \"name\" (the escapes are \\\\ "
        "\\t \\n \\r)"},
    {"lone backslash", "name\ttarget\nweb\th\\\n", 0,
        "t.tsv:2: [2] bad escape in column \"target\" (the escapes are \\\\ "
        "\\t \\n \\r)"},
    {"empty name", H3 "\th\n", 0, "t.tsv:2: [2] empty name"},
    {"name with a trailing blank", H3 "web \th\n", 0,
        "t.tsv:2: [2] name \"web \" starts or ends with a blank"},
    {"name of blanks only", H3 "   \th\n", 0,
        "t.tsv:2: [2] name \"   \" starts or ends with a blank"},
    {"name missing on a short row", "target\tname\nh\n", 0,
        "t.tsv:2: [2] empty name"},
    {"name of 201 bytes", H3 A200 "a\th\n", 0,
        "t.tsv:2: [2] name \"" A60 "...\" is longer than 200 bytes"},
    {"name not UTF-8", H3 "w\xffz\th\n", 0,
        "t.tsv:2: [2] name \"w\xffz\" is not valid UTF-8"},
    {"name with an escaped tab", H3 "a\\tb\th\n", 0,
        "t.tsv:2: [2] name \"a\\tb\" has a control character"},
    {"name with a control character",
        H3 "a\x01"
           "b\th\n",
        0, "t.tsv:2: [2] name \"a\\x01b\" has a control character"},
    {"empty target", H3 "web\t\t\n", 0,
        "t.tsv:2: [2] empty target; use " FORMS},
    {"target missing", H3 "web\n", 0, "t.tsv:2: [2] empty target; use " FORMS},
    {"bad target", H3 "a\th\n\nweb\tftp://h\n", 0,
        "t.tsv:4: [2] target \"ftp://h\": unknown scheme \"ftp\"; use " FORMS},
    {"escaped newline in a target", H3 "web\th\\nx\n", 0,
        "t.tsv:2: [2] target \"h\\nx\": a blank or a control character is not "
        "allowed in a target"},
    {"bad option", H3 "a\th\n# c\nb\ttcp://h:1\tcount=3\n", 0,
        "t.tsv:4: [2] option \"count\": applies to ICMP targets (HOST, "
        "icmp://HOST) only"},
    {"duplicate names", H3 "web\th\n# c\n\nweb\th2\n", 0,
        "t.tsv:5: [2] duplicate name \"web\" (first at line 2)"},
    {"duplicate names after others", H3 "a\th\nb\th\nc\th\nb\th\n", 0,
        "t.tsv:5: [2] duplicate name \"b\" (first at line 3)"},
    {"NUL byte", H3 "we\0b\th\n", 26, "t.tsv:2: [2] contains a NUL byte"},
    {"NUL byte in a comment", "#\0\n" H3, 23,
        "t.tsv:1: [2] contains a NUL byte"},
    {"parent names no target", H3 "a\th\n# c\nweb\th\tparent=db\n", 0,
        "t.tsv:4: [2] parent \"db\" of \"web\" is not a target in the file"},
    {"own parent", H3 "x\th\na\th\tparent=a\n", 0,
        "t.tsv:3: [2] target \"a\" is its own parent"},
    {"two-target cycle", H3 "a\th\tparent=b\nb\th\tparent=a\n", 0,
        "t.tsv:2: [2] parent cycle: \"a\" -> \"b\" -> \"a\""},
    {"cycle reached through a chain",
        H3 "x\th\tparent=b\nc\th\tparent=a\na\th\tparent=b\nb\th\tparent=c\n",
        0, "t.tsv:3: [2] parent cycle: \"c\" -> \"a\" -> \"b\" -> \"c\""},
    {"cycle after a good chain",
        H3 "a\th\tparent=b\nb\th\nc\th\tparent=d\nd\th\tparent=c\n", 0,
        "t.tsv:4: [2] parent cycle: \"c\" -> \"d\" -> \"c\""},
};

/* "a,b,c" of the names, or the error as "FILE:LINE: [code] msg". */
static const char *
load_result(int rc, struct pg_target **v, size_t n, const struct ops_err *err)
{
	static char out[4096];
	size_t i, o = 0;

	if (rc < 0) {
		snprintf(out, sizeof(out), "%s:%ld: [%d] %s", err->file,
		    err->line, err->code, err->msg);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(
		    out + o, sizeof(out) - o, "%s%s", i ? "," : "", v[i]->name);
	return out;
}

static void
free_targets(struct pg_target **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pg_target_free(v[i]);
	free(v);
}

static void
test_files(void)
{
	struct pg_target **v, **sentinel = (struct pg_target **)&v;
	struct ops_err err;
	size_t i, n, len;
	int rc;

	for (i = 0; i < OPS_ARRAY_SIZE(files); i++) {
		v = sentinel;
		n = 4242;
		ops_err_clear(&err);
		len = files[i].len ? files[i].len : strlen(files[i].text);
		rc =
		    pg_targets_parse("t.tsv", files[i].text, len, &v, &n, &err);
		is_str(load_result(rc, v, n, &err), files[i].want, "%s",
		    files[i].desc);
		if (rc == 0)
			free_targets(v, n);
		else if (v != sentinel || n != 4242)
			diag("out changed on error");
	}
}

static void
test_file_details(void)
{
	static const char text[] =
	    "# c\n" H3 "web\thttps://w.example/x?y\tcert-days=14 warn=250ms\n"
	    "\n"
	    "gw\t192.0.2.1\tcount=3\n";
	struct pg_target **v = NULL;
	struct ops_err err;
	size_t n = 0;

	if (pg_targets_parse("my.tsv", text, sizeof(text) - 1, &v, &n, &err) <
	    0)
		bail_out("details: %s", err.msg);
	ok(n == 2 && strcmp(v[0]->name, "web") == 0 && v[0]->line == 3 &&
	        strcmp(v[0]->file, "my.tsv") == 0 &&
	        strcmp(v[0]->spec, "https://w.example/x?y") == 0 &&
	        strcmp(dump(v[0]),
	            "http host=w.example port=443 "
	            "url=https://w.example/x?y warn=250 "
	            "cert-days=14") == 0,
	    "a row gives name, file, line, target and options");
	ok(strcmp(v[1]->name, "gw") == 0 && v[1]->line == 5 &&
	        v[1]->count == 3 && v[1]->kind == PG_ICMP,
	    "line numbers count comments and blank lines");
	free_targets(v, n);
}

static void
test_file_limits(void)
{
	struct pg_target **v = NULL;
	struct ops_err err;
	size_t n = 0, len, big = ((size_t)16 << 20) + 1, i, o;
	char *text;

	/* a line of exactly 64 KiB (CR included), and one byte more */
	text = ops_xmalloc(big + 1);
	len = (size_t)snprintf(text, big, H3 "web\thttp://h/\tmatch=");
	memset(text + len, 'x', sizeof(H3) - 1 + 65536 - len);
	len = sizeof(H3) - 1 + 65536;
	text[len++] = '\n';
	ok(pg_targets_parse("t.tsv", text, len, &v, &n, &err) == 0 && n == 1 &&
	        strlen(v[0]->match) == 65536 - 20,
	    "a line of 64 KiB is accepted");
	if (n == 1)
		free_targets(v, n);
	text[len - 1] = 'x';
	text[len++] = '\n';
	ops_err_clear(&err);
	ok(pg_targets_parse("t.tsv", text, len, &v, &n, &err) == -1 &&
	        err.code == 2 && err.line == 2 &&
	        strcmp(err.msg, "line is longer than 64 KiB") == 0,
	    "a line of 64 KiB + 1 is refused at t.tsv:2");

	/* 16 MiB of comments is fine, one byte more is not */
	memcpy(text, H3, sizeof(H3) - 1);
	for (i = sizeof(H3) - 1; i < big; i += 2) {
		text[i] = '#';
		text[i + 1] = '\n';
	}
	text[big - 2] = '\n';
	ok(pg_targets_parse("t.tsv", text, big - 1, &v, &n, &err) == 0 &&
	        n == 0,
	    "a file of 16 MiB is accepted");
	free(v);
	ops_err_clear(&err);
	ok(pg_targets_parse("t.tsv", text, big, &v, &n, &err) == -1 &&
	        err.code == 2 && err.line == 0 &&
	        strcmp(err.msg, "file is larger than 16 MiB") == 0,
	    "a file of 16 MiB + 1 is refused");

	/* 100000 targets are fine, one more is not */
	o = (size_t)snprintf(text, big, "name\ttarget\n");
	for (i = 0; i <= 100000; i++)
		o += (size_t)snprintf(text + o, big - o, "%zu\th\n", i);
	len = o - strlen("100000\th\n");
	ok(pg_targets_parse("t.tsv", text, len, &v, &n, &err) == 0 &&
	        n == 100000,
	    "100000 targets are accepted");
	if (n == 100000)
		free_targets(v, n);
	ops_err_clear(&err);
	ok(pg_targets_parse("t.tsv", text, o, &v, &n, &err) == -1 &&
	        err.line == 100002 &&
	        strcmp(err.msg, "more than 100000 targets") == 0,
	    "100001 targets are refused at t.tsv:100002");
	free(text);
}

/* 10,000 targets of every kind, each the parent of the next. */
static void
test_big_file(void)
{
	static const enum pg_kind kinds[5] = {
	    PG_ICMP, PG_TCP, PG_HTTP, PG_SSH, PG_ICMP};
	struct pg_target **v = NULL;
	struct ops_buf b;
	struct ops_err err;
	size_t n = 0, i, bad = 0;
	int rc = 0;

	ops_buf_init(&b, 0);
	rc |= ops_buf_adds(&b, "# generated\nname\ttarget\toptions\tnote\n");
	for (i = 0; i < 10000; i++) {
		switch (i % 5) {
		case 0:
			rc |= ops_buf_printf(&b, "t%zu\thost%zu.example", i, i);
			break;
		case 1:
			rc |= ops_buf_printf(&b,
			    "t%zu\ttcp://[2001:db8::%zx]:%zu", i, i,
			    1 + i % 65535);
			break;
		case 2:
			rc |= ops_buf_printf(
			    &b, "t%zu\thttps://w%zu.example/p?q=%zu", i, i, i);
			break;
		case 3:
			rc |= ops_buf_printf(&b,
			    "t%zu\tssh://u%zu@10.0.%zu.%zu/disk=/", i, i,
			    i / 256 % 256, i % 256);
			break;
		default:
			rc |= ops_buf_printf(
			    &b, "t%zu\ticmp://192.0.2.%zu", i, i % 256);
		}
		if (i > 0)
			rc |= ops_buf_printf(&b, "\tparent=t%zu attempts=%zu",
			    i - 1, 1 + i % 100);
		else
			rc |= ops_buf_adds(&b, "\t");
		rc |= ops_buf_adds(&b, "\tnote\n");
	}
	if (rc)
		bail_out("big file: buffer");
	ops_err_clear(&err);
	rc = pg_targets_parse("big.tsv", b.data, b.len, &v, &n, &err);
	if (rc < 0)
		diag("%s:%ld: %s", err.file, err.line, err.msg);
	ok(rc == 0 && n == 10000, "a file of 10000 targets loads");
	for (i = 0; rc == 0 && i < n; i++) {
		if (v[i]->line != (long)i + 3 || v[i]->kind != kinds[i % 5] ||
		    (i > 0 && v[i]->attempts != (int)(1 + i % 100)))
			bad++;
	}
	is_int(
	    (long long)bad, 0, "every target has its line, kind and options");
	ok(rc == 0 && strcmp(v[9999]->parent, "t9998") == 0 &&
	        strcmp(v[9998]->host, "10.0.39.14") == 0,
	    "the last targets read right");
	if (rc == 0)
		free_targets(v, n);
	ops_buf_release(&b);
}

static void
test_link(void)
{
	struct pg_target *v[4];
	struct ops_err err;
	size_t i;

	for (i = 0; i < 4; i++) {
		v[i] = pg_target_new();
		if (pg_target_parse(v[i], "h", &err) < 0)
			bail_out("h: %s", err.msg);
		free(v[i]->name);
		v[i]->name =
		    ops_xstrdup((const char *[]){"a", "b", "c", "d"}[i]);
	}
	ok(pg_targets_link(v, 4, NULL, &err) == 0, "no parents link");
	ok(pg_targets_link(v, 0, NULL, &err) == 0, "no targets link");
	v[0]->parent = ops_xstrdup("d");
	v[1]->parent = ops_xstrdup("d");
	v[2]->parent = ops_xstrdup("a");
	ok(pg_targets_link(v, 4, "cmdline", &err) == 0, "a tree links");
	v[3]->parent = ops_xstrdup("c");
	ops_err_clear(&err);
	ok(pg_targets_link(v, 4, "cmdline", &err) == -1 && err.code == 2 &&
	        strcmp(err.file, "cmdline") == 0 &&
	        strcmp(err.msg,
	            "parent cycle: \"a\" -> \"d\" -> \"c\" -> "
	            "\"a\"") == 0,
	    "a cycle of three is found, shown from its first member");
	free(v[3]->parent);
	v[3]->parent = ops_xstrdup("e");
	ops_err_clear(&err);
	ok(pg_targets_link(v, 4, NULL, &err) == -1 &&
	        strcmp(err.msg,
	            "parent \"e\" of \"d\" is not a target in the "
	            "file") == 0,
	    "an unknown parent is refused");
	for (i = 0; i < 4; i++)
		pg_target_free(v[i]);
}

/* A long cycle: the message is cut, not the buffer overrun. */
static void
test_long_cycle(void)
{
	struct pg_target *v[50];
	struct ops_err err;
	char name[PG_MAX_NAME + 1];
	size_t i;

	for (i = 0; i < 50; i++) {
		v[i] = pg_target_new();
		memset(name, 'n', PG_MAX_NAME);
		name[PG_MAX_NAME] = '\0';
		snprintf(name, sizeof(name), "%02zu", i);
		name[2] = 'n';
		v[i]->name = ops_xstrdup(name);
		snprintf(name, sizeof(name), "%02zu", (i + 1) % 50);
		name[2] = 'n';
		v[i]->parent = ops_xstrdup(name);
	}
	ops_err_clear(&err);
	ok(pg_targets_link(v, 50, "f", &err) == -1 &&
	        strncmp(err.msg, "parent cycle: \"00nn", 19) == 0 &&
	        strstr(err.msg, "... -> \"00") != NULL && strlen(err.msg) < 800,
	    "a long cycle is shown cut");
	diag("%s", err.msg);
	for (i = 0; i < 50; i++)
		pg_target_free(v[i]);
}

static void
test_load(void)
{
	struct pg_target **v = NULL;
	struct ops_err err;
	const char *p;
	size_t n = 0;
	char *big;

	scratch_make("t-target");
	p = spath("targets.tsv");
	put(p, "name\ttarget\toptions\nweb\thttp://h/\t\n");
	ok(pg_targets_load(p, &v, &n, &err) == 0 && n == 1 && v[0]->file == p &&
	        v[0]->line == 2,
	    "load a file; file points at the path given");
	if (n == 1)
		free_targets(v, n);
	put(p, "name\ttarget\toptions\nweb\thttp://h/\t\nweb\th\n");
	ops_err_clear(&err);
	ok(pg_targets_load(p, &v, &n, &err) == -1 && err.code == 2 &&
	        strcmp(err.file, p) == 0 && err.line == 3,
	    "a bad file is code 2 at FILE:LINE");
	ops_err_clear(&err);
	ok(pg_targets_load(spath("missing.tsv"), &v, &n, &err) == -1 &&
	        err.code == 3 && err.errnum == ENOENT &&
	        strcmp(err.file, spath("missing.tsv")) == 0,
	    "a missing file is code 3 with errnum ENOENT");
	ops_err_clear(&err);
	ok(pg_targets_load(scratch, &v, &n, &err) == -1 && err.code == 3 &&
	        err.errnum == EISDIR,
	    "a directory is code 3 (EISDIR)");
	if (geteuid() == 0) {
		skip(1, "root reads any file");
	} else {
		if (chmod(p, 0) != 0)
			bail_out("chmod");
		ops_err_clear(&err);
		ok(pg_targets_load(p, &v, &n, &err) == -1 && err.code == 3 &&
		        err.errnum == EACCES,
		    "an unreadable file is code 3 (EACCES)");
		if (chmod(p, 0644) != 0)
			bail_out("chmod");
	}
	big = ops_xmalloc(((size_t)16 << 20) + 2);
	memset(big, '#', ((size_t)16 << 20) + 1);
	big[((size_t)16 << 20) + 1] = '\0';
	put(p, big);
	free(big);
	ops_err_clear(&err);
	ok(pg_targets_load(p, &v, &n, &err) == -1 && err.code == 2,
	    "a file over 16 MiB is code 2");
	scratch_remove();
}

int
main(void)
{
	test_specs();
	test_spec_limits();
	test_target_object();
	test_options();
	test_files();
	test_file_details();
	test_file_limits();
	test_big_file();
	test_link();
	test_long_cycle();
	test_load();
	return done_testing();
}
