/*
 * lang.h - English and Japanese labels, without gettext or locales
 * SPDX-License-Identifier: MIT
 *
 * The language comes from --lang, else OPS_LANG, else "ja" when the first set
 * of LC_ALL, LC_MESSAGES, LANG starts with "ja", else "en" (SPEC 3.1).  The
 * labels are static UTF-8 tables compiled in, so Japanese output works on a
 * server with no Japanese locale installed.  A label is looked up by its
 * English text; a key missing from the table comes back unchanged.
 */
#ifndef OPS_LANG_H
#define OPS_LANG_H

#include "compat.h"

#include "diag.h"

enum ops_lang {
	OPS_LANG_EN,
	OPS_LANG_JA,
};

/*
 * Decide the language; opt is the --lang argument or NULL.  -1 with err
 * (code 2) when opt or OPS_LANG is neither "ja" nor "en".
 */
int ops_lang_resolve(const char *opt, enum ops_lang *out, struct ops_err *err)
    OPS_WUR;

/* The label for the English text key in lang (key itself when unknown). */
const char *ops_L(enum ops_lang lang, const char *key);

/*
 * The English key whose Japanese label is ja, or NULL: reads Japanese words
 * typed by a user ("対応中" -> "in-progress").
 */
const char *ops_lang_from_ja(const char *ja);

#endif
