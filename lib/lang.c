/*
 * lang.c - English and Japanese labels, without gettext or locales
 * SPDX-License-Identifier: MIT
 *
 * One table for the whole toolkit.  Keep it sorted by the English key
 * (t-lang checks), so lookups are a binary search.
 */
#include "compat.h"

#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "lang.h"

struct label {
	const char *en;
	const char *ja;
};

static const struct label labels[] = {
	{"actions", "対応履歴"},
	{"all", "全体"},
	{"approver", "承認者"},
	{"assignee", "担当者"},
	{"by", "記録者"},
	{"close", "完了処理"},
	{"completed", "完了日時"},
	{"completion_avg_s", "完了平均(秒)"},
	{"completion_max_s", "完了最大(秒)"},
	{"completion_n", "完了件数"},
	{"confirming", "確認中"},
	{"count", "件数"},
	{"created", "受付日時"},
	{"done", "完了"},
	{"event", "イベント"},
	{"field", "項目"},
	{"first_response", "初回対応日時"},
	{"group", "区分"},
	{"high", "高"},
	{"history", "履歴"},
	{"id", "ID"},
	{"impact", "影響度"},
	{"in-progress", "対応中"},
	{"incident", "障害"},
	{"inquiry", "問合せ"},
	{"isolation target", "切り分け目標"},
	{"isolation_avg_s", "切り分け平均(秒)"},
	{"isolation_late", "切り分け超過"},
	{"isolation_n", "切り分け件数"},
	{"key", "値"},
	{"kind", "種別"},
	{"low", "低"},
	{"maintenance", "保守"},
	{"medium", "中"},
	{"new", "起票"},
	{"note", "メモ"},
	{"occurred", "発生日時"},
	{"on-hold", "保留中"},
	{"open", "未完了"},
	{"plan", "作業計画"},
	{"received", "受付済"},
	{"request", "依頼"},
	{"response target", "初動目標"},
	{"response_avg_s", "初動平均(秒)"},
	{"response_late", "初動超過"},
	{"response_max_s", "初動最大(秒)"},
	{"response_n", "初動件数"},
	{"set", "変更"},
	{"status", "状態"},
	{"target", "対象"},
	{"tickets", "件数"},
	{"title", "件名"},
	{"ts", "日時"},
	{"updated", "更新日時"},
	{"value", "内容"},
};

int
ops_lang_resolve(const char *opt, enum ops_lang *out, struct ops_err *err)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	const char *v;
	size_t i;

	if (opt == NULL || *opt == '\0') {
		v = getenv("OPS_LANG");
		if (v != NULL && *v != '\0')
			opt = v;
	}
	if (opt != NULL && *opt != '\0') {
		if (strcmp(opt, "ja") == 0)
			*out = OPS_LANG_JA;
		else if (strcmp(opt, "en") == 0)
			*out = OPS_LANG_EN;
		else
			return ops_err_set(err, OPS_EXIT_USAGE,
			    "unknown language \"%s\": use ja or en", opt);
		return 0;
	}
	*out = OPS_LANG_EN;
	for (i = 0; i < OPS_ARRAY_SIZE(vars); i++) {
		v = getenv(vars[i]);
		if (v != NULL && *v != '\0') {
			if (strncmp(v, "ja", 2) == 0)
				*out = OPS_LANG_JA;
			break;
		}
	}
	return 0;
}

static int
cmp_label(const void *key, const void *elem)
{
	return strcmp(key, ((const struct label *)elem)->en);
}

const char *
ops_L(enum ops_lang lang, const char *key)
{
	const struct label *l;

	if (lang != OPS_LANG_JA)
		return key;
	l = bsearch(key, labels, OPS_ARRAY_SIZE(labels), sizeof(labels[0]),
	    cmp_label);
	return l ? l->ja : key;
}

const char *
ops_lang_from_ja(const char *ja)
{
	size_t i;

	for (i = 0; i < OPS_ARRAY_SIZE(labels); i++)
		if (strcmp(labels[i].ja, ja) == 0)
			return labels[i].en;
	return NULL;
}
