/*
 * report.c - opsticket export and stats
 * SPDX-License-Identifier: MIT
 *
 * export: one row per ticket with every field and its whole history in one
 * cell (the incident management table, for Excel).  stats: counts by kind,
 * status and impact, with time to first response (first move out of
 * received, or first note), to isolation (incidents: first move to
 * confirming) and to completion, measured from the occurrence time, against
 * the response and isolation targets ([ticket] response-target, default
 * 24h; isolation-target, default 12h).  A ticket still waiting past a
 * target counts as late.
 */
#include "compat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "exitcode.h"
#include "mem.h"
#include "num.h"
#include "out.h"

#include "opsticket.h"

char *
tk_history_text(struct ticket *t, enum ops_lang lang)
{
	struct ops_buf b;
	size_t i;

	ops_buf_init(&b, 0);
	tk_sort_events(t);
	for (i = 0; i < t->nev; i++) {
		const struct tk_event *e = &t->ev[i];
		const char *v = e->value;
		char when[17];
		int k;

		snprintf(when, sizeof(when), "%s", e->tsstr);
		if (strlen(when) > 10)
			when[10] = ' ';
		if (strcmp(e->field, "status") == 0 &&
		    (k = tk_status_parse(v)) >= 0)
			v = ops_L(lang, tk_status_name[k]);
		else if (strcmp(e->field, "kind") == 0 &&
		    (k = tk_kind_parse(v)) >= 0)
			v = ops_L(lang, tk_kind_name[k]);
		else if (strcmp(e->field, "impact") == 0 &&
		    (k = tk_impact_parse(v)) >= 0)
			v = ops_L(lang, tk_impact_name[k]);
		if (ops_buf_printf(&b, "%s %s %s%s%s: %s\n", when, e->by,
			ops_L(lang, e->event), *e->field ? " " : "",
			*e->field ? ops_L(lang, e->field) : "", v) < 0)
			break;
	}
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	return ops_buf_detach(&b, NULL);
}

int
tk_export(struct tk_table *tab, struct ops_cli *cli, const char *format,
    struct ops_err *err)
{
	static const char *const fmts[] = {"csv", "excel", "tsv", "json",
	    NULL};
	struct ops_out_col cols[] = {{"id", NULL, true}, {"kind", NULL, false},
	    {"status", NULL, false}, {"impact", NULL, false},
	    {"title", NULL, false}, {"assignee", NULL, false},
	    {"target", NULL, false}, {"occurred", NULL, false},
	    {"created", NULL, false}, {"first_response", NULL, false},
	    {"updated", NULL, false}, {"completed", NULL, false},
	    {"approver", NULL, false}, {"plan", NULL, false},
	    {"history", NULL, false}};
	enum ops_out_fmt fmt = OPS_OUT_CSV;
	unsigned flags = cli->out_flags;
	struct ops_out out;
	size_t i;
	long id;

	for (i = 0; i < OPS_ARRAY_SIZE(cols); i++)
		cols[i].label = ops_L(cli->lang, cols[i].name);
	if (format && ops_out_format_parse(format, fmts, &fmt, &flags, err) <
		0)
		return -1;
	if (fmt == OPS_OUT_CSV)
		flags |= OPS_OUT_LABELS;
	ops_out_begin(&out, stdout, fmt, flags, cols, OPS_ARRAY_SIZE(cols));
	for (id = 1; id <= tab->maxid; id++) {
		struct ticket *t = tk_get(tab, id);
		const char *v[15];
		char ids[24], *hist;
		int r;

		if (t == NULL)
			continue;
		snprintf(ids, sizeof(ids), "%ld", id);
		hist = tk_history_text(t, cli->lang);
		v[0] = ids;
		v[1] = ops_L(cli->lang, tk_kind_name[t->kind]);
		v[2] = ops_L(cli->lang, tk_status_name[t->status]);
		v[3] = ops_L(cli->lang, tk_impact_name[t->impact]);
		v[4] = t->title;
		v[5] = t->assignee;
		v[6] = t->target;
		v[7] = t->occurred_s;
		v[8] = t->created_s;
		v[9] = t->response_s;
		v[10] = t->updated_s;
		v[11] = t->completed_s;
		v[12] = t->approver;
		v[13] = t->plan;
		v[14] = hist;
		r = ops_out_row(&out, v);
		free(hist);
		if (r < 0)
			break;
	}
	return ops_out_end(&out, err);
}

struct acc {
	long tickets, open;
	long resp_n, resp_late, comp_n, iso_n, iso_late;
	int64_t resp_sum, resp_max, comp_sum, comp_max, iso_sum;
};

static void
account(struct acc *a, const struct ticket *t, int64_t now, int64_t resp_t,
    int64_t iso_t)
{
	a->tickets++;
	if (t->status != ST_DONE)
		a->open++;
	if (t->response_s[0]) {
		int64_t d = t->first_response - t->occurred;

		if (d < 0)
			d = 0;
		a->resp_n++;
		a->resp_sum += d;
		if (d > a->resp_max)
			a->resp_max = d;
		if (d > resp_t)
			a->resp_late++;
	} else if (now - t->occurred > resp_t) {
		a->resp_late++;
	}
	if (t->completed_s[0]) {
		int64_t d = t->completed - t->occurred;

		if (d < 0)
			d = 0;
		a->comp_n++;
		a->comp_sum += d;
		if (d > a->comp_max)
			a->comp_max = d;
	}
	if (t->kind != KIND_INCIDENT)
		return;
	if (t->isolated) {
		int64_t d = t->isolated - t->occurred;

		if (d < 0)
			d = 0;
		a->iso_n++;
		a->iso_sum += d;
		if (d > iso_t)
			a->iso_late++;
	} else if (now - t->occurred > iso_t) {
		a->iso_late++;
	}
}

static int
stats_row(struct ops_out *out, const char *group, const char *key,
    const struct acc *a, int64_t resp_t, int64_t iso_t)
{
	char n[14][24];
	const char *v[16];
	int i;

#define NUM(i, val) snprintf(n[i], sizeof(n[i]), "%lld", (long long)(val))
#define AVG(i, sum, cnt)                                                   \
	do {                                                               \
		if (cnt)                                                   \
			NUM(i, (sum) / (cnt));                             \
		else                                                       \
			n[i][0] = '\0';                                    \
	} while (0)
	NUM(0, a->tickets);
	NUM(1, a->open);
	NUM(2, a->resp_n);
	AVG(3, a->resp_sum, a->resp_n);
	if (a->resp_n)
		NUM(4, a->resp_max);
	else
		n[4][0] = '\0';
	NUM(5, a->resp_late);
	NUM(6, a->comp_n);
	AVG(7, a->comp_sum, a->comp_n);
	if (a->comp_n)
		NUM(8, a->comp_max);
	else
		n[8][0] = '\0';
	NUM(9, a->iso_n);
	AVG(10, a->iso_sum, a->iso_n);
	NUM(11, a->iso_late);
	NUM(12, resp_t);
	NUM(13, iso_t);
#undef NUM
#undef AVG
	v[0] = group;
	v[1] = key;
	for (i = 0; i < 14; i++)
		v[i + 2] = n[i];
	return ops_out_row(out, v);
}

int
tk_stats(struct tk_table *tab, struct ops_cli *cli, int64_t from, int64_t to,
    int64_t resp_t, int64_t iso_t, struct ops_err *err)
{
	static const char *const fmts[] = {"tsv", "csv", "json", "text", NULL};
	struct ops_out_col cols[] = {{"group", NULL, false},
	    {"key", NULL, false}, {"tickets", NULL, true},
	    {"open", NULL, true}, {"response_n", NULL, true},
	    {"response_avg_s", NULL, true}, {"response_max_s", NULL, true},
	    {"response_late", NULL, true}, {"completion_n", NULL, true},
	    {"completion_avg_s", NULL, true},
	    {"completion_max_s", NULL, true}, {"isolation_n", NULL, true},
	    {"isolation_avg_s", NULL, true}, {"isolation_late", NULL, true},
	    {"response_target_s", NULL, true},
	    {"isolation_target_s", NULL, true}};
	struct acc all, kind[KIND_COUNT], status[ST_COUNT],
	    impact[IMPACT_COUNT];
	enum ops_out_fmt fmt = OPS_OUT_TSV;
	unsigned flags = cli->out_flags;
	struct ops_out out;
	int64_t now = ops_clock_now();
	size_t i;
	long id;
	int k;

	for (i = 0; i < OPS_ARRAY_SIZE(cols); i++)
		cols[i].label = ops_L(cli->lang, cols[i].name);
	if (cli->format_opt && ops_out_format_parse(cli->format_opt, fmts,
				   &fmt, &flags, err) < 0)
		return -1;
	memset(&all, 0, sizeof(all));
	memset(kind, 0, sizeof(kind));
	memset(status, 0, sizeof(status));
	memset(impact, 0, sizeof(impact));
	for (id = 1; id <= tab->maxid; id++) {
		struct ticket *t = tk_get(tab, id);

		if (t == NULL || t->occurred < from || t->occurred >= to)
			continue;
		account(&all, t, now, resp_t, iso_t);
		account(&kind[t->kind], t, now, resp_t, iso_t);
		account(&status[t->status], t, now, resp_t, iso_t);
		account(&impact[t->impact], t, now, resp_t, iso_t);
	}
	ops_out_begin(&out, stdout, fmt, flags, cols, OPS_ARRAY_SIZE(cols));
	if (stats_row(&out, "all", ops_L(cli->lang, "all"), &all, resp_t,
		iso_t) < 0)
		goto done;
	for (k = 0; k < KIND_COUNT; k++)
		if (stats_row(&out, "kind", ops_L(cli->lang, tk_kind_name[k]),
			&kind[k], resp_t, iso_t) < 0)
			goto done;
	for (k = 0; k < ST_COUNT; k++)
		if (stats_row(&out, "status",
			ops_L(cli->lang, tk_status_name[k]), &status[k], resp_t,
			iso_t) < 0)
			goto done;
	for (k = 1; k < IMPACT_COUNT; k++)
		if (stats_row(&out, "impact",
			ops_L(cli->lang, tk_impact_name[k]), &impact[k], resp_t,
			iso_t) < 0)
			goto done;
	if (stats_row(&out, "impact", "-", &impact[0], resp_t, iso_t) < 0)
		goto done;
done:
	if (ops_out_end(&out, err) < 0)
		return -1;
	if (fmt == OPS_OUT_TEXT) {
		char r[32], s[32];

		printf("\n%s %s, %s %s\n", ops_L(cli->lang, "response target"),
		    ops_format_duration(resp_t, r, sizeof(r)),
		    ops_L(cli->lang, "isolation target"),
		    ops_format_duration(iso_t, s, sizeof(s)));
	}
	return all.resp_late > 0 || all.iso_late > 0;
}
