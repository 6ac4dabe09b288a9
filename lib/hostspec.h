/*
 * hostspec.h - "[user@]host[:port]" as in ssh:// and sftp:// URLs
 * SPDX-License-Identifier: MIT
 */
#ifndef OPS_HOSTSPEC_H
#define OPS_HOSTSPEC_H

#include "compat.h"

#include <stddef.h>

/*
 * Read s[0..len): an optional "user@", a host name or address (an IPv6
 * address in brackets), an optional ":port" (1-65535; *port 0 when
 * none).  *user (NULL when none) and *host are fresh strings.  -1 with
 * *why (static text) and nothing allocated on a bad spec: an empty part,
 * a control character or blank, an unclosed bracket, a bad port.
 */
int ops_hostspec(const char *s, size_t len, char **user, char **host,
    int *port, const char **why) OPS_WUR;

#endif
