/*
 * mail.h - alert mail: RFC 5322 messages sent through libcurl's SMTP
 * SPDX-License-Identifier: MIT
 *
 * libcurl adds no Date or Message-ID and passes CR/LF in addresses and
 * headers straight through (../shared/PITFALLS.md): everything that goes
 * into the envelope or a header is checked or encoded here.
 *   - Addresses must be plain "local@domain" (printable ASCII, no blanks,
 *     no <>()[],;:"\ , at most 254 bytes, one '@', non-empty parts);
 *     anything else is refused, never cleaned up.
 *   - The subject is taken as UTF-8 text: control characters (CR and LF
 *     included) become spaces; when it holds anything but printable ASCII
 *     it is RFC 2047 B-encoded ("=?UTF-8?B?...?="), split into encoded
 *     words of at most 75 characters on UTF-8 character boundaries, folded
 *     on continuation lines; invalid UTF-8 bytes become U+FFFD.
 *   - The body is UTF-8 text sent base64-encoded (lines of 76), so no
 *     line of it can look like an SMTP command or a header, whatever
 *     a target's name holds.
 * Headers written: Date (RFC 5322, local time with numeric zone), From,
 * To (comma-separated), Subject, Message-ID (<TIME.PID.COUNTER.RANDOM@DOMAIN>,
 * DOMAIN from the sender's address), MIME-Version, Content-Type
 * (text/plain; charset=UTF-8), Content-Transfer-Encoding (base64),
 * Auto-Submitted (auto-generated), and X-Mailer (ops toolkit VERSION).
 */
#ifndef OPS_MAIL_H
#define OPS_MAIL_H

#include "compat.h"

#include <stdint.h>

#include "buf.h"
#include "diag.h"

#define OPS_MAIL_MAX_RCPT 64

struct ops_mail {
	const char *from;               /* envelope and From: address */
	const char *const *to;          /* recipients (envelope and To:) */
	size_t nto;                     /* 1..OPS_MAIL_MAX_RCPT */
	const char *subject;            /* UTF-8 */
	const char *body;               /* UTF-8; LF line ends */
};

struct ops_smtp {
	/*
	 * smtp://HOST[:PORT] (cleartext, as local relays use it),
	 * smtp+starttls://HOST[:PORT] (STARTTLS is
	 * required: CURLUSESSL_ALL), smtps://HOST[:PORT] (TLS from the
	 * start).  Nothing after the port but an optional "/".
	 */
	const char *url;
	const char *user;      /* AUTH user, or NULL for no AUTH; refused
	                          (code 2) over cleartext smtp:// so that a
	                          password never crosses the network bare */
	const char *password;  /* with user */
	const char *ca_file;   /* CA bundle for TLS, or NULL: the system's */
	long timeout_ms;       /* whole transaction; 0: 30 s */
};

/* 0 when addr is a plain local@domain address, else -1 with err (code 2). */
int ops_mail_addr_check(const char *addr, struct ops_err *err) OPS_WUR;

/*
 * The whole message (headers, blank line, body), CRLF line ends, into out
 * (emptied first).  now: seconds since the epoch for Date and Message-ID.
 * -1 with err (code 2) for a bad address or no recipient; out is then
 * empty.
 */
int ops_mail_compose(const struct ops_mail *m, int64_t now,
    struct ops_buf *out, struct ops_err *err) OPS_WUR;

/*
 * Compose and send m through s.  -1 with err: code 2 for a bad address or
 * URL, code 3 when the server cannot be reached, refuses TLS or a
 * recipient, or times out (libcurl's error text in the message).
 */
int ops_mail_send(const struct ops_smtp *s, const struct ops_mail *m,
    struct ops_err *err) OPS_WUR;

#endif
