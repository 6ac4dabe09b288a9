/*
 * t-pkg.c - installed packages from dpkg's status file (a real sample),
 * dpkg-query and rpm output, with their errors
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <string.h>

#include "buf.h"
#include "fsx.h"
#include "tap.h"

#include "../../cmd/opspatch-check/pkg.h"

static const struct pk_pkg *
find(const struct pk_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void
want(const struct pk_list *l, const char *name, const char *version,
    const char *arch, const char *src, const char *srcver)
{
	const struct pk_pkg *p = find(l, name);

	ok(p && !strcmp(p->version, version) && !strcmp(p->arch, arch) &&
	       !strcmp(p->source, src) && !strcmp(p->source_version, srcver),
	    "%s %s %s from %s %s", name, version, arch, src, srcver);
	if (p && (strcmp(p->version, version) || strcmp(p->source, src) ||
		     strcmp(p->source_version, srcver)))
		diag("got %s %s %s %s", p->version, p->arch, p->source,
		    p->source_version);
}

static int
parse(const char *text, struct pk_list *l, struct ops_err *err)
{
	pk_list_init(l);
	ops_err_clear(err);
	return pk_dpkg_status("status", text, strlen(text), l, err);
}

int
main(void)
{
	struct ops_buf b;
	struct ops_err err;
	struct pk_list l;

	ops_buf_init(&b, 0);
	if (ops_read_file("tests/data/patch/dpkg-status.sample", 1 << 20, &b,
		&err) < 0)
		bail_out("tests/data/patch/dpkg-status.sample: %s (run from "
			 "the top of the tree)",
		    err.msg);
	pk_list_init(&l);
	ok(pk_dpkg_status("sample", b.data, b.len, &l, &err) == 0,
	    "the real status sample parses");
	is_int((long long)l.n, 9, "nine installed packages");
	want(&l, "bash", "5.2.15-2+b8", "amd64", "bash", "5.2.15-2");
	want(&l, "clang", "1:14.0-55.7~deb12u1", "amd64", "llvm-defaults",
	    "0.55.7~deb12u1");
	want(&l, "debsecan", "0.4.20.1", "all", "debsecan", "0.4.20.1");
	want(&l, "libldb2", "2:2.6.2+samba4.17.12+dfsg-0+deb12u4", "amd64",
	    "samba", "2:4.17.12+dfsg-0+deb12u4");
	want(&l, "libssl3", "3.0.22-1~deb12u2", "amd64", "openssl",
	    "3.0.22-1~deb12u2");
	want(&l, "linux-libc-dev", "6.1.187-1", "amd64", "linux", "6.1.187-1");
	pk_list_release(&l);
	ops_buf_release(&b);

	/* states: only what is on the disk */
	ok(parse("Package: a\nStatus: install ok installed\nVersion: 1\n\n"
		 "Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\n"
		 "Package: c\nStatus: install ok unpacked\nVersion: 3\n\n"
		 "Package: d\nStatus: purge ok not-installed\n\n"
		 "Package: e\nStatus: install ok half-configured\nVersion: 5\n",
	       &l, &err) == 0 &&
	       l.n == 3 && find(&l, "a") && find(&l, "c") && find(&l, "e") &&
	       !find(&l, "b") && !find(&l, "d"),
	    "installed, unpacked and half-configured count; config-files and "
	    "not-installed do not");
	pk_list_release(&l);
	ok(parse("Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\n"
		 "Description: x\r\n more\r\n .\r\n",
	       &l, &err) == 0 &&
	       l.n == 1 && !strcmp(l.v[0].version, "1"),
	    "CRLF line ends and continuation lines");
	pk_list_release(&l);
	ok(parse("", &l, &err) == 0 && l.n == 0, "an empty file");
	pk_list_release(&l);

	/* errors name the line */
	ok(parse("Package: a\nStatus: install ok installed\nno colon here\n",
	       &l, &err) < 0 &&
	       err.line == 3 && strstr(err.msg, "Field: value"),
	    "a line without a colon: line 3 (%s)", err.msg);
	pk_list_release(&l);
	ok(parse("\n\nPackage: a\nStatus: install ok installed\n", &l,
	       &err) < 0 &&
	       err.line == 3 && strstr(err.msg, "no Version"),
	    "an installed package without Version: its stanza's line (%s)",
	    err.msg);
	pk_list_release(&l);
	ok(parse(" continued\n", &l, &err) < 0 && err.line == 1,
	    "a continuation line first");
	pk_list_release(&l);
	ok(parse("Status: install ok installed\nVersion: 1\n", &l, &err) < 0 &&
	       strstr(err.msg, "without Package"),
	    "a stanza without Package");
	pk_list_release(&l);
	ok(parse("Package: a\nStatus: install ok installed\nVersion: 1\n"
		 "Source: x (1.0\n",
	       &l, &err) < 0,
	    "an unclosed Source version");
	pk_list_release(&l);

	/* dpkg-query and rpm lines */
	pk_list_init(&l);
	ok(pk_dpkg_query("q",
	       "bash\t5.2.15-2+b8\tamd64\tbash\t5.2.15-2\tinstalled\n"
	       "old\t1.0\tamd64\told\t1.0\tconfig-files\n"
	       "gone\t\tamd64\tgone\t\tnot-installed\n",
	       strlen("bash\t5.2.15-2+b8\tamd64\tbash\t5.2.15-2\tinstalled\n"
		      "old\t1.0\tamd64\told\t1.0\tconfig-files\n"
		      "gone\t\tamd64\tgone\t\tnot-installed\n"),
	       &l, &err) == 0 &&
	       l.n == 1 && !strcmp(l.v[0].source_version, "5.2.15-2"),
	    "dpkg-query lines: installed only");
	pk_list_release(&l);
	ok(pk_dpkg_query("q", "a\t1\n", 4, &l, &err) < 0 && err.line == 1 &&
	       strstr(err.msg, "too few"),
	    "a short dpkg-query line");
	pk_list_release(&l);
	{
		const char *t =
		    "openssl-libs\t1:3.0.7-24.el9\tx86_64\t"
		    "openssl-3.0.7-24.el9.src.rpm\n"
		    "gpg-pubkey\t0:fd431d51-4ae0493b\t(none)\t(none)\n"
		    "kernel-core\t0:5.14.0-362.8.1.el9_3\tx86_64\t"
		    "kernel-5.14.0-362.8.1.el9_3.src.rpm\n";

		pk_list_init(&l);
		ok(pk_rpm_query("rpm", t, strlen(t), &l, &err) == 0 &&
		       l.n == 2 && !strcmp(l.v[0].source, "openssl") &&
		       !strcmp(l.v[1].source, "kernel") &&
		       !strcmp(l.v[1].source_version,
			   "0:5.14.0-362.8.1.el9_3"),
		    "rpm lines: source rpm names, gpg-pubkey left out");
		pk_list_release(&l);
	}
	return done_testing();
}
