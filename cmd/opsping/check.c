/*
 * check.c - results of checks
 * SPDX-License-Identifier: MIT
 */
#include "compat.h"

#include <stdarg.h>

#include "opsping.h"

const char *const pg_status_name[PG_STATUS_COUNT] = {
    "OK", "WARNING", "CRITICAL", "UNKNOWN"};

int
pg_status_parse(const char *s)
{
	int i;

	for (i = 0; i < PG_STATUS_COUNT; i++)
		if (strcmp(s, pg_status_name[i]) == 0)
			return i;
	return -1;
}

void
pg_result_set(struct pg_check *c, enum pg_status st, double ms,
    const char *fmt, ...)
{
	va_list ap;
	unsigned char *p;

	if (c->r.done)
		return;
	c->r.done = true;
	c->r.status = st;
	c->r.ms = ms;
	va_start(ap, fmt);
	vsnprintf(c->r.message, sizeof(c->r.message), fmt, ap);
	va_end(ap);
	for (p = (unsigned char *)c->r.message; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int64_t
pg_check_deadline(const struct pg_target *t, int64_t start,
    long run_timeout_ms, int64_t run_deadline)
{
	long to = t->timeout_ms > 0 ? t->timeout_ms : run_timeout_ms;
	int64_t d = start + to;

	return d < run_deadline ? d : run_deadline;
}

void
pg_row(const struct pg_check *c, const char *ts, char ms[PG_MS_SIZE],
    const char *f[PG_ROW_COLS])
{
	if (c->r.ms < 0)
		ms[0] = '\0';
	else
		snprintf(ms, PG_MS_SIZE, "%.0f", c->r.ms);
	f[0] = ts;
	f[1] = c->t->name;
	f[2] = c->t->spec;
	f[3] = pg_status_name[c->r.status];
	f[4] = ms;
	f[5] = c->r.value;
	f[6] = c->r.message;
}
