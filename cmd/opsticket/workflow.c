/*
 * workflow.c - opsticket's words and its status workflow
 * SPDX-License-Identifier: MIT
 *
 *   received -> in-progress <-> on-hold -> confirming -> done
 *   in-progress -> confirming, confirming -> in-progress (rework),
 *   done -> in-progress (reopen).  done is reached by "close" only.
 */
#include "compat.h"

#include <string.h>

#include "opsticket.h"

const char *const tk_status_name[ST_COUNT] = {
    "received", "in-progress", "on-hold", "confirming", "done"};
static const char *const status_ja[ST_COUNT] = {
    "受付済", "対応中", "保留中", "確認中", "完了"};

const char *const tk_kind_name[KIND_COUNT] = {
    "incident", "request", "inquiry", "maintenance"};
static const char *const kind_ja[KIND_COUNT] = {
    "障害", "依頼", "問合せ", "保守"};

const char *const tk_impact_name[IMPACT_COUNT] = {"", "high", "medium", "low"};
static const char *const impact_ja[IMPACT_COUNT] = {"", "高", "中", "低"};

static int
word(const char *s, const char *const en[], const char *const ja[], int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (*en[i] && (strcmp(s, en[i]) == 0 || strcmp(s, ja[i]) == 0))
			return i;
	return -1;
}

int
tk_status_parse(const char *s)
{
	/* Also the forms people type: in_progress, inprogress, on_hold. */
	if (strcmp(s, "in_progress") == 0 || strcmp(s, "inprogress") == 0)
		return ST_IN_PROGRESS;
	if (strcmp(s, "on_hold") == 0 || strcmp(s, "onhold") == 0)
		return ST_ON_HOLD;
	return word(s, tk_status_name, status_ja, ST_COUNT);
}

int
tk_kind_parse(const char *s)
{
	return word(s, tk_kind_name, kind_ja, KIND_COUNT);
}

int
tk_impact_parse(const char *s)
{
	return word(s, tk_impact_name, impact_ja, IMPACT_COUNT);
}

/* moves[from] is a bit set of the statuses "set status=" may go to */
static const unsigned moves[ST_COUNT] = {
    [ST_RECEIVED] = 1u << ST_IN_PROGRESS | 1u << ST_ON_HOLD,
    [ST_IN_PROGRESS] = 1u << ST_ON_HOLD | 1u << ST_CONFIRMING,
    [ST_ON_HOLD] = 1u << ST_IN_PROGRESS | 1u << ST_CONFIRMING,
    [ST_CONFIRMING] = 1u << ST_IN_PROGRESS,
    [ST_DONE] = 1u << ST_IN_PROGRESS,
};

bool
tk_move_allowed(enum tk_status from, enum tk_status to)
{
	return (moves[from] >> to) & 1u;
}

const char *
tk_moves_from(enum tk_status s)
{
	static char buf[128];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < ST_COUNT; i++) {
		if (!tk_move_allowed(s, (enum tk_status)i))
			continue;
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
		    len ? ", " : "", tk_status_name[i]);
		if (len >= sizeof(buf))
			break;
	}
	return buf;
}
