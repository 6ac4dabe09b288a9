/*
 * pkg.h - installed packages: dpkg's status file, dpkg-query and rpm
 * output, and the inventory store (inventory.tsv)
 * SPDX-License-Identifier: MIT
 *
 * A package is its binary name, version and architecture, and the source
 * package it was built from with that source's version: Debian's security
 * data is keyed by source package (PITFALLS.md), and a binary rebuilt
 * with "+b1" keeps its source version.  When dpkg records no Source
 * field, the source is the package itself, at its own version; "Source:
 * name (version)" gives both.  rpm: the source rpm's name with its
 * version-release taken off, and the package's own EVR.
 */
#ifndef PKG_H
#define PKG_H

#include "compat.h"

#include "diag.h"

struct pk_pkg {
	char *name, *version, *arch;
	char *source, *source_version;
};

struct pk_list {
	struct pk_pkg *v;
	size_t n, cap;
};

void pk_list_init(struct pk_list *l);
void pk_list_release(struct pk_list *l);
/* Append a package (every string copied; source NULL: the package). */
void pk_list_add(struct pk_list *l, const char *name, const char *version,
    const char *arch, const char *source, const char *source_version);

/*
 * /var/lib/dpkg/status (name for messages): the packages whose files are
 * on disk (status installed, unpacked, half-configured, triggers-awaited
 * or triggers-pending; not config-files or not-installed).  -1 with err
 * (code 2, name:line) on a malformed line or an installed package
 * without Version.
 */
int pk_dpkg_status(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err) OPS_WUR;

/*
 * Lines of dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\t
 * ${source:Package}\t${source:Version}\t${db:Status-Status}\n' (remote
 * hosts), the same selection.  -1 with err (code 2, name:line).
 */
int pk_dpkg_query(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err) OPS_WUR;
#define PK_DPKG_QUERY_FORMAT                                               \
	"${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t"  \
	"${source:Version}\\t${db:Status-Status}\\n"

/*
 * Lines of rpm -qa --qf '%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t
 * %{ARCH}\t%{SOURCERPM}\n'.  gpg-pubkey pseudo-packages are left out.
 * -1 with err (code 2, name:line).
 */
int pk_rpm_query(const char *name, const char *text, size_t len,
    struct pk_list *out, struct ops_err *err) OPS_WUR;
#define PK_RPM_QUERY_FORMAT                                                \
	"%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"

#endif
