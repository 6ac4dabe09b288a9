/*
 * resolve.c - addresses of ICMP and TCP checks
 * SPDX-License-Identifier: MIT
 *
 * Address literals are converted at once (AI_NUMERICHOST).  Names go to
 * glibc's getaddrinfo_a() all together, one request per distinct name
 * (10,000 checks of one host ask once), and are waited for with
 * polling until the run's deadline; what is still out then is
 * cancelled.  HTTP checks are left to libcurl and SSH checks to libssh2.
 */
#include "compat.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "opsping.h"

/* One getaddrinfo_a() request, shared by every check of the same name. */
struct name_req {
	struct gaicb cb;        /* must stay first: gaicb lists point here */
	struct addrinfo hints;
	const char *host;       /* the first check's t->host */
};

static bool
wants_addr(const struct pg_check *c)
{
	return !c->r.done && c->t != NULL &&
	    (c->t->kind == PG_ICMP || c->t->kind == PG_TCP);
}

/* Copy the first address of ai into c, with c's port for TCP. */
static void
take_addr(struct pg_check *c, const struct addrinfo *ai)
{
	in_port_t port = htons((in_port_t)(c->t->kind == PG_TCP ?
	    c->t->port : 0));

	if (ai->ai_addrlen > sizeof(c->addr)) {
		pg_result_set(c, PG_UNKNOWN, -1,
		    "cannot use the address of %s", c->t->host);
		return;
	}
	memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
	c->addrlen = ai->ai_addrlen;
	if (c->addr.ss_family == AF_INET)
		((struct sockaddr_in *)&c->addr)->sin_port = port;
	else if (c->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&c->addr)->sin6_port = port;
}

static void
set_hints(struct addrinfo *h, int flags)
{
	memset(h, 0, sizeof(*h));
	h->ai_family = AF_UNSPEC;
	h->ai_socktype = SOCK_STREAM; /* one entry per address */
	h->ai_flags = flags;
}

/* 1 when host was a literal (c then has an address), 0 when a name. */
static int
try_literal(struct pg_check *c)
{
	struct addrinfo h, *res = NULL;

	set_hints(&h, AI_NUMERICHOST);
	if (getaddrinfo(c->t->host, NULL, &h, &res) != 0 || res == NULL)
		return 0;
	take_addr(c, res);
	freeaddrinfo(res);
	return 1;
}

static int
cmp_host(const void *a, const void *b)
{
	const struct pg_check *x = *(struct pg_check *const *)a;
	const struct pg_check *y = *(struct pg_check *const *)b;

	return strcmp(x->t->host, y->t->host);
}

static void
give_answer(struct pg_check *c, const struct name_req *q, int e)
{
	if (e == 0 && q->cb.ar_result != NULL)
		take_addr(c, q->cb.ar_result);
	else if (e == EAI_INPROGRESS || e == EAI_CANCELED)
		pg_result_set(c, PG_CRITICAL, -1, "resolving %s took too long",
		    c->t->host);
	else if (e == EAI_SYSTEM)
		pg_result_set(c, PG_CRITICAL, -1,
		    "cannot resolve %s: system error", c->t->host);
	else
		pg_result_set(c, PG_CRITICAL, -1, "cannot resolve %s: %s",
		    c->t->host, e == 0 ? "no address" : gai_strerror(e));
}

/*
 * Wait for the requests until all are answered or the deadline comes.
 * gai_error() is polled (every 1 ms, then up to every 10 ms) rather than
 * waited for with gai_suspend(): glibc 2.36's gai_suspend() can return
 * while a helper thread is about to notify through the waiter it kept on
 * gai_suspend()'s stack, which crashed here about one run in six.
 */
static void
wait_all(struct gaicb **list, struct gaicb **pending, size_t nq,
    int64_t deadline)
{
	size_t i, left = nq;
	long nap_ms = 1;

	memcpy(pending, list, nq * sizeof(*pending));
	while (left > 0) {
		int64_t wait = deadline - ops_clock_mono_ms();
		struct timespec ts;

		for (i = 0; i < nq; i++)
			if (pending[i] != NULL &&
			    gai_error(pending[i]) != EAI_INPROGRESS) {
				pending[i] = NULL;
				left--;
			}
		if (left == 0 || wait <= 0)
			break;
		if (wait > nap_ms)
			wait = nap_ms;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)wait * 1000000L;
		(void)nanosleep(&ts, NULL);
		if (nap_ms < 10)
			nap_ms++;
	}
}

int
pg_resolve(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err)
{
	struct pg_check **names;
	struct name_req *reqs;
	struct gaicb **list, **pending;
	size_t *first, nn = 0, nq = 0, i, j;
	bool *stuck;
	int e;

	names = ops_xreallocarray(NULL, n ? n : 1, sizeof(*names));
	for (i = 0; i < n; i++) {
		if (!wants_addr(v[i]))
			continue;
		v[i]->addrlen = 0;
		if (!try_literal(v[i]))
			names[nn++] = v[i];
	}
	if (nn == 0) {
		free(names);
		return 0;
	}
	qsort(names, nn, sizeof(*names), cmp_host);
	reqs = ops_xcalloc(nn, sizeof(*reqs));
	list = ops_xcalloc(nn, sizeof(*list));
	pending = ops_xcalloc(nn, sizeof(*pending));
	first = ops_xcalloc(nn + 1, sizeof(*first));
	stuck = ops_xcalloc(nn, sizeof(*stuck));
	for (i = 0; i < nn; i++) {
		if (nq > 0 && strcmp(names[i]->t->host, reqs[nq - 1].host) == 0)
			continue;
		first[nq] = i;
		reqs[nq].host = names[i]->t->host;
		set_hints(&reqs[nq].hints, AI_ADDRCONFIG);
		reqs[nq].cb.ar_name = reqs[nq].host;
		reqs[nq].cb.ar_request = &reqs[nq].hints;
		list[nq] = &reqs[nq].cb;
		nq++;
	}
	first[nq] = nn;

	/* too late to start: a cancelled lookup would only leak in glibc */
	if (o->deadline <= ops_clock_mono_ms()) {
		for (i = 0; i < nn; i++)
			give_answer(names[i], &reqs[0], EAI_CANCELED);
		goto out;
	}
	e = getaddrinfo_a(GAI_NOWAIT, list, (int)nq, NULL);
	if (e != 0 && e != EAI_SYSTEM) {
		/* EAI_AGAIN/EAI_MEMORY: nothing was queued */
		for (i = 0; i < nn; i++)
			pg_result_set(names[i], PG_UNKNOWN, -1,
			    "cannot resolve %s: %s", names[i]->t->host,
			    gai_strerror(e));
		ops_err_set(err, OPS_EXIT_FAIL, "cannot start name lookups: %s",
		    gai_strerror(e));
		free(stuck);
		free(first);
		free(pending);
		free(list);
		free(reqs);
		free(names);
		return -1;
	}
	wait_all(list, pending, nq, o->deadline);

	for (i = 0; i < nq; i++) {
		e = gai_error(list[i]);
		if (e == EAI_INPROGRESS && gai_cancel(list[i]) != EAI_ALLDONE)
			stuck[i] = gai_error(list[i]) == EAI_INPROGRESS;
		e = gai_error(list[i]);
		for (j = first[i]; j < first[i + 1]; j++)
			give_answer(names[j], &reqs[i], stuck[i] ? EAI_INPROGRESS : e);
		if (!stuck[i] && reqs[i].cb.ar_result != NULL)
			freeaddrinfo(reqs[i].cb.ar_result);
	}
	/*
	 * A lookup that could not be cancelled still writes into its request
	 * when it ends: those stay allocated (the run is about to end anyway).
	 */
	for (i = 0; i < nq && !stuck[i]; i++)
		;
	if (i < nq)
		reqs = NULL;
out:
	free(reqs);
	free(stuck);
	free(first);
	free(pending);
	free(list);
	free(names);
	return 0;
}
