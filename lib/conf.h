/*
 * conf.h - the ops.conf configuration file (SPEC 3.5, ops.conf(5))
 * SPDX-License-Identifier: MIT
 *
 * git-config style:
 *   # comment            ; comment
 *   [section]            [section "name"]
 *   key = value          key = "quoted value with \" \\ \n \t"   key (alone: "yes")
 *   key = a long \
 *         continued value
 * Section and key names are case-sensitive, [a-z0-9-].  Outside quotes, '#'
 * or ';' starts a comment and surrounding blanks are dropped; a line ending
 * in '\' continues on the next line.  Every key is checked against a schema:
 * an unknown section or key, or a value of the wrong type (int, bool,
 * duration, size), is an error naming file and line, so that a typo cannot
 * silently disable a backup.  A key may be given several times; "multi" keys
 * keep every value in order, others take the last.
 *
 * The toolkit's one schema is ops_conf_schema (conf_schema.c): every command
 * validates the whole file against it, and ops.conf(5) documents it.
 */
#ifndef OPS_CONF_H
#define OPS_CONF_H

#include "compat.h"

#include "buf.h"
#include "diag.h"

enum ops_conf_type {
	OPS_CONF_STR,      /* any text */
	OPS_CONF_INT,      /* decimal integer within [min, max] */
	OPS_CONF_BOOL,     /* yes/no, true/false, on/off, 1/0 */
	OPS_CONF_DURATION, /* "90s", "26h", "30d"; bare number = seconds */
	OPS_CONF_SIZE,     /* "10M" */
};

struct ops_conf_key {
	const char *section;     /* "backup" */
	bool named;              /* section takes a name: [backup "www"] */
	const char *key;         /* "keep" */
	enum ops_conf_type type;
	bool multi;              /* may repeat, every value kept */
	long long min, max;      /* bounds for OPS_CONF_INT */
	const char *def;         /* default as text, NULL for none */
};

/* The toolkit's schema, ended by an entry whose section is NULL. */
extern const struct ops_conf_key ops_conf_schema[];

struct ops_conf_entry {
	char *section; /* "backup" */
	char *name;    /* "www", or NULL for an unnamed section */
	char *key;     /* "keep" */
	char *value;   /* unquoted value */
	long line;     /* where it was set */
};

struct ops_conf {
	char *path;                 /* file read, NULL when none */
	struct ops_conf_entry *ent; /* in file order */
	size_t n, cap;
	const struct ops_conf_key *schema;
};

void ops_conf_init(struct ops_conf *c);
void ops_conf_release(struct ops_conf *c);

/*
 * Read and check path against schema (NULL path: empty configuration).
 * -1 with err: code 3 when the file cannot be read, code 2 "FILE:LINE: why"
 * for a syntax, schema or type error.  c keeps what was parsed before the
 * error; release it either way.
 */
int ops_conf_load(struct ops_conf *c, const char *path,
    const struct ops_conf_key *schema, struct ops_err *err) OPS_WUR;

/* As ops_conf_load, from text[0..len) named name in messages. */
int ops_conf_parse(struct ops_conf *c, const char *name, const char *text,
    size_t len, const struct ops_conf_key *schema, struct ops_err *err)
    OPS_WUR;

/*
 * The value of section/name/key (name NULL for unnamed sections): the last
 * one set, else the schema's default, else NULL.
 */
const char *ops_conf_get(const struct ops_conf *c, const char *section,
    const char *name, const char *key);

/* The entry that set it (for FILE:LINE in later messages), or NULL. */
const struct ops_conf_entry *ops_conf_entry(const struct ops_conf *c,
    const char *section, const char *name, const char *key);

/*
 * Every value of a multi key, in file order: fills up to max pointers in
 * vals and returns how many there are (may exceed max).
 */
size_t ops_conf_get_all(const struct ops_conf *c, const char *section,
    const char *name, const char *key, const char **vals, size_t max);

/* Typed getters: the value or default, converted.  -1 with err (code 2,
 * FILE:LINE) when unset without default or out of range. */
int ops_conf_get_int(const struct ops_conf *c, const char *section,
    const char *name, const char *key, long long *out, struct ops_err *err)
    OPS_WUR;
int ops_conf_get_bool(const struct ops_conf *c, const char *section,
    const char *name, const char *key, bool *out, struct ops_err *err) OPS_WUR;
int ops_conf_get_duration_ms(const struct ops_conf *c, const char *section,
    const char *name, const char *key, long long *ms, struct ops_err *err)
    OPS_WUR;

/*
 * The names of every [section "NAME"] in file order, each once: fills up to
 * max pointers (owned by c) and returns how many there are.
 */
size_t ops_conf_names(const struct ops_conf *c, const char *section,
    const char **names, size_t max);

/*
 * Read a secret (password-file): refused (code 2) unless it is a regular
 * file that is not group- or world-readable ("chmod 600 FILE" in the
 * message); at most 4 KiB; one trailing newline (LF or CRLF) is dropped.
 * out gets the secret.  -1 with err (code 3 when it cannot be read).
 */
int ops_secret_read(const char *path, struct ops_buf *out, struct ops_err *err)
    OPS_WUR;

#endif
