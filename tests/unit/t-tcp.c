/*
 * t-tcp.c - unit tests for opsping's resolver and TCP engine, on loopback
 * SPDX-License-Identifier: MIT
 *
 * Listeners are made here on 127.0.0.1 and ::1 with kernel-chosen ports:
 * one accepting (a thread accepts and closes), one never accepting with a
 * full queue (its SYNs are dropped: the no-answer case), and a port with
 * nothing on it (refused).  Nothing leaves the machine: a lookup of a
 * ".invalid" name is only tried when every name server is on loopback.
 */
#include "compat.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "mem.h"
#include "../../cmd/opsping/opsping.h"
#include "tap.h"

struct acceptor {
	int fd;
	pthread_t th;
	bool running;
};

static void *
accept_loop(void *arg)
{
	struct acceptor *a = arg;
	int s;

	for (;;) {
		s = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
		if (s >= 0) {
			close(s);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		break; /* shutdown() of the listener */
	}
	return NULL;
}

/* A socket bound to loopback of family af with a kernel-chosen port. */
static int
bound(int af, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int
start_acceptor(struct acceptor *a, int af)
{
	int port;

	a->running = false;
	a->fd = bound(af, &port);
	if (a->fd < 0 || listen(a->fd, 1024) < 0)
		return -1;
	if (pthread_create(&a->th, NULL, accept_loop, a) != 0)
		return -1;
	a->running = true;
	return port;
}

static void
stop_acceptor(struct acceptor *a)
{
	if (a->fd >= 0)
		(void)shutdown(a->fd, SHUT_RDWR);
	if (a->running)
		pthread_join(a->th, NULL);
	if (a->fd >= 0)
		close(a->fd);
	a->running = false;
	a->fd = -1;
}

/* A port nothing listens on (bound, then closed: connects are refused). */
static int
closed_port(int af)
{
	int port, fd = bound(af, &port);

	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

/*
 * A listener with backlog 0 that never accepts, filled with pending
 * connections until one is left unanswered: further SYNs are dropped.
 * The filler sockets go to fill[] (*nfill).
 */
static int
black_hole(int *lfd, int fill[], size_t max, size_t *nfill)
{
	struct sockaddr_in in;
	struct pollfd p;
	int port, fd;

	*nfill = 0;
	*lfd = bound(AF_INET, &port);
	if (*lfd < 0 || listen(*lfd, 0) < 0)
		return -1;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	in.sin_port = htons((in_port_t)port);
	while (*nfill < max) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
		if (fd < 0)
			return -1;
		fill[(*nfill)++] = fd;
		if (connect(fd, (struct sockaddr *)&in, sizeof(in)) == 0)
			continue;
		if (errno != EINPROGRESS)
			return -1;
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 300) == 0)
			return port; /* this one hangs: the queue is full */
	}
	return -1;
}

static struct pg_target *
target(enum pg_kind kind, const char *host, int port)
{
	struct pg_target *t = ops_xcalloc(1, sizeof(*t));

	t->kind = kind;
	t->host = ops_xstrdup(host);
	t->name = ops_xstrdup(host);
	t->port = port;
	return t;
}

static void
free_checks(struct pg_check **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i]->t->host);
		free(v[i]->t->name);
		free(v[i]->t);
		free(v[i]);
	}
	free(v);
}

static struct pg_check **
checks(size_t n)
{
	return ops_xcalloc(n, sizeof(struct pg_check *));
}

static struct pg_check *
check(enum pg_kind kind, const char *host, int port)
{
	struct pg_check *c = ops_xcalloc(1, sizeof(*c));

	c->t = target(kind, host, port);
	c->r.ms = -1;
	return c;
}

static void
opts(struct pg_opts *o, long timeout_ms, int jobs)
{
	memset(o, 0, sizeof(*o));
	o->deadline = ops_clock_mono_ms() + timeout_ms;
	o->jobs = jobs;
}

static int
port_of(const struct pg_check *c)
{
	if (c->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&c->addr)->sin_port);
	if (c->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&c->addr)->sin6_port);
	return -1;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Every name server in /etc/resolv.conf is on loopback (or none is set). */
static bool
resolver_is_local(void)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	char line[512], addr[256];
	bool local = true;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " nameserver %255s", addr) == 1 &&
		    !starts(addr, "127.") && strcmp(addr, "::1") != 0)
			local = false;
	fclose(f);
	return local;
}

static void
test_resolve(void)
{
	struct pg_check **v = checks(6);
	struct pg_opts o;
	struct ops_err err;

	v[0] = check(PG_TCP, "127.0.0.1", 4242);
	v[1] = check(PG_TCP, "::1", 4243);
	v[2] = check(PG_ICMP, "localhost", 0);
	v[3] = check(PG_TCP, "localhost", 4244);
	v[4] = check(PG_TCP, "bad..name.invalid", 80);
	v[5] = check(PG_HTTP, "localhost", 80);
	opts(&o, 5000, 16);
	ops_err_clear(&err);
	ok(pg_resolve(v, 6, &o, &err) == 0, "pg_resolve returns 0");
	ok(v[0]->addrlen == sizeof(struct sockaddr_in) &&
	        v[0]->addr.ss_family == AF_INET && port_of(v[0]) == 4242 &&
	        !v[0]->r.done,
	    "IPv4 literal with the TCP port");
	ok(v[1]->addrlen == sizeof(struct sockaddr_in6) &&
	        v[1]->addr.ss_family == AF_INET6 && port_of(v[1]) == 4243,
	    "IPv6 literal with the TCP port");
	ok(v[2]->addrlen > 0 && !v[2]->r.done && port_of(v[2]) == 0,
	    "localhost resolves for ICMP (port 0)");
	ok(v[3]->addrlen > 0 && port_of(v[3]) == 4244,
	    "localhost resolves for TCP with its port");
	ok(v[4]->r.done && v[4]->r.status == PG_CRITICAL &&
	        starts(v[4]->r.message, "cannot resolve bad..name.invalid: "),
	    "a malformed name is CRITICAL (%s)", v[4]->r.message);
	ok(v[5]->addrlen == 0 && !v[5]->r.done, "HTTP checks are left alone");
	free_checks(v, 6);

	if (!resolver_is_local()) {
		skip(1, "the name server is not on loopback: "
		        "no lookup of nosuch.invalid");
		return;
	}
	v = checks(1);
	v[0] = check(PG_TCP, "nosuch.invalid", 80);
	opts(&o, 5000, 16);
	ok(pg_resolve(v, 1, &o, &err) == 0 && v[0]->r.done &&
	        v[0]->r.status == PG_CRITICAL &&
	        starts(v[0]->r.message, "cannot resolve nosuch.invalid"),
	    "an .invalid name is CRITICAL (%s)", v[0]->r.message);
	free_checks(v, 1);
}

/* Resolve and run v[0..n) with a run timeout and jobs; 0 on success. */
static int
run(struct pg_check **v, size_t n, long timeout_ms, int jobs)
{
	struct pg_opts o;
	struct ops_err err;

	opts(&o, timeout_ms, jobs);
	ops_err_clear(&err);
	if (pg_resolve(v, n, &o, &err) < 0)
		return -1;
	return pg_tcp_run(v, n, &o, &err);
}

static void
test_basic(void)
{
	struct acceptor a4, a6;
	int p4, p6, closed;
	struct pg_check **v;

	p4 = start_acceptor(&a4, AF_INET);
	closed = closed_port(AF_INET);
	if (p4 < 0 || closed < 0)
		bail_out("cannot listen on 127.0.0.1: %s", strerror(errno));
	v = checks(3);
	v[0] = check(PG_TCP, "127.0.0.1", p4);
	v[1] = check(PG_TCP, "127.0.0.1", closed);
	v[2] = check(PG_TCP, "localhost", p4);
	ok(run(v, 3, 5000, 4) == 0, "pg_tcp_run returns 0");
	ok(v[0]->r.done && v[0]->r.status == PG_OK &&
	        starts(v[0]->r.message, "connected in ") &&
	        v[0]->r.ms >= 0 && v[0]->r.ms < 1000,
	    "a listening port is OK (%s)", v[0]->r.message);
	ok(v[1]->r.status == PG_CRITICAL &&
	        strcmp(v[1]->r.message, "connection refused") == 0,
	    "a closed port is CRITICAL, refused (%s)", v[1]->r.message);
	ok(v[2]->r.done, "localhost gets a result (%s: %s)",
	    pg_status_name[v[2]->r.status], v[2]->r.message);
	free_checks(v, 3);

	p6 = start_acceptor(&a6, AF_INET6);
	if (p6 < 0) {
		skip(2, "no IPv6 on loopback");
	} else {
		closed = closed_port(AF_INET6);
		v = checks(2);
		v[0] = check(PG_TCP, "::1", p6);
		v[1] = check(PG_TCP, "::1", closed);
		ok(run(v, 2, 5000, 4) == 0 && v[0]->r.status == PG_OK,
		    "::1 listening port is OK (%s)", v[0]->r.message);
		ok(v[1]->r.status == PG_CRITICAL &&
		        strcmp(v[1]->r.message, "connection refused") == 0,
		    "::1 closed port is refused (%s)", v[1]->r.message);
		free_checks(v, 2);
	}
	stop_acceptor(&a6);
	stop_acceptor(&a4);
}

static void
test_timeout(void)
{
	int fill[16], lfd = -1, port;
	size_t nfill = 0, i;
	struct pg_check **v;
	int64_t t0, took;

	port = black_hole(&lfd, fill, OPS_ARRAY_SIZE(fill), &nfill);
	if (port < 0) {
		skip(4, "cannot make a listener that drops SYNs");
		goto out;
	}
	v = checks(1);
	v[0] = check(PG_TCP, "127.0.0.1", port);
	v[0]->t->timeout_ms = 300;
	t0 = ops_clock_mono_ms();
	ok(run(v, 1, 5000, 4) == 0, "run against a full queue");
	took = ops_clock_mono_ms() - t0;
	ok(v[0]->r.status == PG_CRITICAL &&
	        strcmp(v[0]->r.message, "no answer within 300 ms") == 0,
	    "no answer is CRITICAL (%s)", v[0]->r.message);
	ok(took >= 290 && took < 1000, "ended at the check's timeout (%lld ms)",
	    (long long)took);
	free_checks(v, 1);

	/* the run's deadline ends one check and leaves the rest unchecked */
	v = checks(3);
	for (i = 0; i < 3; i++)
		v[i] = check(PG_TCP, "127.0.0.1", port);
	t0 = ops_clock_mono_ms();
	(void)run(v, 3, 300, 1);
	took = ops_clock_mono_ms() - t0;
	ok(took < 1000 && v[0]->r.status == PG_CRITICAL &&
	        starts(v[0]->r.message, "no answer within ") &&
	        v[1]->r.status == PG_CRITICAL &&
	        starts(v[1]->r.message, "not checked: the run's deadline") &&
	        v[2]->r.done,
	    "run deadline with --jobs 1: %s / %s (%lld ms)", v[0]->r.message,
	    v[1]->r.message, (long long)took);
	free_checks(v, 3);
out:
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	if (lfd >= 0)
		close(lfd);
}

static void
test_many(void)
{
	enum { N = 2000 };
	struct acceptor a;
	struct pg_check **v = checks(N);
	int p, closed;
	size_t i, good = 0;
	int64_t t0, took;

	p = start_acceptor(&a, AF_INET);
	closed = closed_port(AF_INET);
	if (p < 0 || closed < 0)
		bail_out("cannot listen on 127.0.0.1");
	for (i = 0; i < N; i++)
		v[i] = check(PG_TCP, "127.0.0.1", i % 2 ? closed : p);
	t0 = ops_clock_mono_ms();
	ok(run(v, N, 20000, 64) == 0, "2000 checks with --jobs 64");
	took = ops_clock_mono_ms() - t0;
	for (i = 0; i < N; i++)
		if (v[i]->r.done &&
		    v[i]->r.status == (i % 2 ? PG_CRITICAL : PG_OK))
			good++;
		else if (good + 5 > i)
			diag("check %zu: %s %s", i, pg_status_name[v[i]->r.status],
			    v[i]->r.message);
	is_int((long long)good, N, "all 2000 results right (%lld ms)",
	    (long long)took);
	free_checks(v, N);
	stop_acceptor(&a);
}

static void
test_past_deadline(void)
{
	struct pg_check **v = checks(5);
	struct pg_opts o;
	struct ops_err err;
	size_t i, done = 0;

	for (i = 0; i < 5; i++)
		v[i] = check(PG_TCP, "127.0.0.1", 9);
	opts(&o, -1, 2);
	ok(pg_resolve(v, 5, &o, &err) == 0 && pg_tcp_run(v, 5, &o, &err) == 0,
	    "run with the deadline already passed");
	for (i = 0; i < 5; i++)
		done += v[i]->r.done && v[i]->r.status == PG_CRITICAL &&
		    starts(v[i]->r.message, "not checked: ");
	is_int((long long)done, 5, "every check has a CRITICAL result");

	/* names too, when the deadline has passed before the lookup */
	free_checks(v, 5);
	v = checks(1);
	v[0] = check(PG_TCP, "localhost", 9);
	opts(&o, -1, 2);
	ok(pg_resolve(v, 1, &o, &err) == 0 &&
	        pg_tcp_run(v, 1, &o, &err) == 0 && v[0]->r.done,
	    "a name with the deadline passed gets a result (%s)",
	    v[0]->r.message);
	free_checks(v, 1);
}

int
main(void)
{
	test_resolve();
	test_basic();
	test_timeout();
	test_many();
	test_past_deadline();
	return done_testing();
}
