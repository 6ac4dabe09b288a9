/*
 * tcp.c - TCP checks: non-blocking connects, at most --jobs at once
 * SPDX-License-Identifier: MIT
 *
 * Each check opens a non-blocking socket, connects to the address
 * resolve.c filled in and waits in one poll() with the others for
 * POLLOUT; SO_ERROR then says how it went.  The socket is closed at once:
 * no data is sent.  Slots are kept in a dense array (a finished one is
 * replaced by the last), so a run costs O(n * jobs) at worst and O(n) for
 * a fixed --jobs.
 */
#include "compat.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "mem.h"
#include "opsping.h"

struct slot {
	struct pg_check *c;
	int64_t start;    /* mono ms when connect() was called */
	int64_t deadline; /* the check's own deadline */
	double t0;        /* start in fractional ms, for the measured time */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "Network is unreachable" as "network is unreachable". */
static void
say_errno(struct pg_check *c, enum pg_status st, double ms, const char *what,
    int e)
{
	char buf[128];
	const char *s = strerror_r(e, buf, sizeof(buf));
	char first = s[0] >= 'A' && s[0] <= 'Z' ? (char)(s[0] - 'A' + 'a') : s[0];

	if (s[0] == '\0')
		pg_result_set(c, st, ms, "%serror %d", what, e);
	else
		pg_result_set(c, st, ms, "%s%c%s", what, first, s + 1);
}

static void
finish(struct slot *s, int e)
{
	double ms = now_ms() - s->t0;

	if (e == 0)
		pg_result_set(s->c, PG_OK, ms, "connected in %.1f ms", ms);
	else if (e == ECONNREFUSED)
		pg_result_set(s->c, PG_CRITICAL, ms, "connection refused");
	else if (e == ETIMEDOUT)
		pg_result_set(s->c, PG_CRITICAL, -1, "no answer within %lld ms",
		    (long long)(s->deadline - s->start));
	else
		say_errno(s->c, PG_CRITICAL, ms, "", e);
}

/*
 * Start c's connect.  Returns the socket (in flight), -1 when c got its
 * result already, -2 when out of descriptors (try again later).
 */
static int
start(struct slot *s, struct pg_check *c, const struct pg_opts *o,
    int64_t now)
{
	int fd, e;

	s->c = c;
	s->start = now;
	s->deadline = pg_check_deadline(c->t, now, (long)(o->deadline - now),
	    o->deadline);
	s->t0 = now_ms();
	if (c->addrlen == 0) {
		pg_result_set(c, PG_UNKNOWN, -1, "no address for %s",
		    c->t->host ? c->t->host : "?");
		return -1;
	}
	fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM)
			return -2;
		say_errno(c, PG_UNKNOWN, -1, "cannot make a socket: ", e);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&c->addr, c->addrlen) == 0) {
		finish(s, 0);
		close(fd);
		return -1;
	}
	e = errno;
	if (e == EINPROGRESS || e == EINTR)
		return fd;
	close(fd);
	if (e == EAGAIN) /* no local ports left for now */
		return -2;
	finish(s, e);
	return -1;
}

static void
not_checked(struct pg_check *c)
{
	pg_result_set(c, PG_CRITICAL, -1,
	    "not checked: the run's deadline came first "
	    "(raise --timeout or --jobs)");
}

int
pg_tcp_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err)
{
	size_t jobs = o->jobs > 0 ? (size_t)o->jobs : 1, next = 0, nf = 0, i;
	struct pollfd *pfd;
	struct slot *sl;

	(void)err;
	if (jobs > n)
		jobs = n ? n : 1;
	pfd = ops_xcalloc(jobs, sizeof(*pfd));
	sl = ops_xcalloc(jobs, sizeof(*sl));
	for (;;) {
		int64_t now = ops_clock_mono_ms(), wake;
		int r;

		/* fill free slots */
		while (nf < jobs && next < n) {
			struct pg_check *c = v[next];
			int fd;

			if (c->r.done) {
				next++;
				continue;
			}
			if (now >= o->deadline) {
				not_checked(c);
				next++;
				continue;
			}
			fd = start(&sl[nf], c, o, now);
			if (fd == -2) {
				if (nf > 0)
					break; /* wait for a slot */
				say_errno(c, PG_UNKNOWN, -1,
				    "cannot make a socket: ", EMFILE);
				next++;
				continue;
			}
			next++;
			if (fd >= 0) {
				pfd[nf].fd = fd;
				pfd[nf].events = POLLOUT;
				pfd[nf].revents = 0;
				nf++;
			}
		}
		if (nf == 0 && next >= n)
			break;

		wake = o->deadline;
		for (i = 0; i < nf; i++)
			if (sl[i].deadline < wake)
				wake = sl[i].deadline;
		now = ops_clock_mono_ms();
		r = poll(pfd, (nfds_t)nf, wake > now ? (int)(wake - now) : 0);
		if (r < 0 && errno != EINTR && errno != EAGAIN) {
			/* cannot happen with a valid array; fail what is out */
			for (i = 0; i < nf; i++) {
				say_errno(sl[i].c, PG_UNKNOWN, -1, "poll: ",
				    errno);
				close(pfd[i].fd);
			}
			nf = 0;
			continue;
		}
		now = ops_clock_mono_ms();
		for (i = 0; i < nf;) {
			int e = 0;
			socklen_t len = sizeof(e);

			if (r > 0 && pfd[i].revents != 0) {
				if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR,
				    &e, &len) < 0)
					e = errno;
				if (e == EINPROGRESS) { /* spurious */
					pfd[i].revents = 0;
					i++;
					continue;
				}
			} else if (now >= sl[i].deadline) {
				e = ETIMEDOUT;
			} else {
				i++;
				continue;
			}
			finish(&sl[i], e);
			close(pfd[i].fd);
			nf--;
			pfd[i] = pfd[nf];
			sl[i] = sl[nf];
		}
	}
	free(pfd);
	free(sl);
	return 0;
}
