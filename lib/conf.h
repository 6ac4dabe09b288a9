/*
 * conf.h - the ops.conf configuration file (SPEC 3.5, ops.conf(5))
 * SPDX-License-Identifier: MIT
 *
 * git-config style:
 *   # comment            ; comment
 *   [section]            [section "name"]
 *   key = value          key (alone: "yes")
 *   key = "quoted value with \" \\ \n \t"
 *   key = a long \
 *         continued value
 * Section and key names are case-sensitive, [a-z0-9-] (keys start with a
 * letter).  Blanks (space, tab) around names, '=' and values are dropped,
 * and a CR before the LF is ignored.  Outside quotes, '#' or ';' starts a
 * comment that runs to the end of the line, blanks inside a value are kept,
 * and a backslash is an ordinary character except as the last character of
 * the line: then the line continues on the next one (the backslash and the
 * newline are removed, the next line's leading blanks are kept) and errors
 * name the line where the key started.  A value may mix quoted and unquoted
 * parts (a "b c" d); inside double quotes only \" \\ \n \t are escapes
 * (any other is an error) and a quote must close on its line.  A section
 * name in quotes may hold anything but a newline, with \" and \\ escaped;
 * it may not be empty.  Comment lines and section lines do not continue.
 *
 * Every key is checked against a schema: an unknown section or key (with
 * a "did you mean" suggestion within two edits), a named section without
 * its name or the reverse, a key outside any section, or a value of the
 * wrong type (int within bounds; bool: yes/no, true/false, on/off, 1/0 in
 * any case; duration: ops_parse_duration_ms() with seconds as the bare
 * unit; size: ops_parse_size()) is an error naming file, line and key, so
 * that a typo cannot silently disable a backup.  A line longer than 64 KiB
 * (also after joining continuations), a file bigger than 16 MiB or a NUL
 * byte is an error too.  Parsing stops at the first error.  A key may be
 * given several times; "multi" keys keep every value in order, others take
 * the last.
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
	bool named;              /* the key belongs to the named form of the
	                            section, [backup "www"], not to [backup]
	                            (a section may have both forms) */
	const char *key;         /* "keep" */
	enum ops_conf_type type;
	bool multi;              /* may repeat, every value kept */
	long long min, max;      /* bounds for OPS_CONF_INT; both 0: any */
	const char *def;         /* default as text, NULL for none */
};

/* The toolkit's schema, ended by an entry whose section is NULL. */
extern const struct ops_conf_key ops_conf_schema[];

struct ops_conf_entry {
	char *section; /* "backup" */
	char *name;    /* "www", or NULL for an unnamed section */
	char *key;     /* "keep" (NULL in ops_conf.sect) */
	char *value;   /* unquoted value (NULL in ops_conf.sect) */
	long line;     /* where it was set */
};

struct ops_conf {
	char *path;                 /* file read, NULL when none */
	struct ops_conf_entry *ent; /* in file order */
	size_t n, cap;
	const struct ops_conf_key *schema;
	struct ops_conf_entry *sect; /* every section line in file order, also
	                                those without keys; key, value NULL */
	size_t nsect, capsect;
};

void ops_conf_init(struct ops_conf *c);
void ops_conf_release(struct ops_conf *c);

/*
 * Read and check path against schema (NULL path: empty configuration).
 * -1 with err: code 3 when the file cannot be read (err->errnum ENOENT when
 * it does not exist), code 2 "FILE:LINE: why" for a syntax, schema or type
 * error.  c keeps what was parsed before the error; release it either way.
 * Entries are added to those c already holds; c->path and c->schema are
 * replaced.
 */
int ops_conf_load(struct ops_conf *c, const char *path,
    const struct ops_conf_key *schema, struct ops_err *err) OPS_WUR;

/* As ops_conf_load, from text[0..len) named name in messages (may be NULL). */
int ops_conf_parse(struct ops_conf *c, const char *name, const char *text,
    size_t len, const struct ops_conf_key *schema, struct ops_err *err)
    OPS_WUR;

/*
 * The value of section/name/key (name NULL for unnamed sections): the last
 * one set, else the schema's default, else NULL.  Owned by c (or static).
 */
const char *ops_conf_get(const struct ops_conf *c, const char *section,
    const char *name, const char *key);

/* The entry that set it (for FILE:LINE in later messages), or NULL. */
const struct ops_conf_entry *ops_conf_entry(const struct ops_conf *c,
    const char *section, const char *name, const char *key);

/*
 * Every value of a multi key, in file order: fills up to max pointers in
 * vals (owned by c) and returns how many there are (may exceed max).  When
 * the file sets none, the schema's default counts as the one value (none
 * without default).  vals may be NULL when max is 0.
 */
size_t ops_conf_get_all(const struct ops_conf *c, const char *section,
    const char *name, const char *key, const char **vals, size_t max);

/*
 * Typed getters: the value or default, converted (int: within the schema's
 * bounds).  -1 with err (code 2, FILE:LINE of the entry, or of the section
 * line when unset) when unset without default or not of the type; *out is
 * then unchanged.
 */
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
 * Read a secret (password-file), opened with O_NOFOLLOW: refused (code 2)
 * unless it is a regular file, not a symbolic link, that group and others
 * have no access to (mode & 077 == 0; "chmod 600 FILE" in the message) and
 * that belongs to this user or root; at
 * most 4 KiB; not empty and without NUL bytes.  One trailing newline (LF
 * or CRLF) is dropped.  out is emptied, then gets the secret (its limit
 * must allow it).  -1 with err (code 3 when it cannot be read), out empty.
 */
int ops_secret_read(const char *path, struct ops_buf *out, struct ops_err *err)
    OPS_WUR;

#endif
