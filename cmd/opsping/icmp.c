/*
 * icmp.c - the ICMP echo engine of opsping
 * SPDX-License-Identifier: MIT
 *
 * One socket per address family carries every echo of a run: an
 * unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6; the kernel
 * sets the identifier and passes us only our replies) where
 * net.ipv4.ping_group_range allows it, else a raw socket (CAP_NET_RAW; we
 * set the identifier and must ignore everybody else's replies).
 *
 * Echo k of check i carries, after the 8-byte ICMP header, 16 bytes of
 * payload: the run's cookie, i, k and a check word.  Its sequence number
 * is the low 16 bits of its slot in the echo table (the payload carries
 * the full index, so n * count may exceed 65536).  A reply counts when its
 * source is the check's address, its type, identifier (raw sockets),
 * sequence and payload match, the echo was sent and not yet answered, and
 * the check's deadline has not passed.  Replies are found by the index in
 * their payload, so a run costs O(n) whatever n is.
 *
 * Sending goes in rounds (round k sends echo k of every target that asks
 * for that many), o->icmp_interval_us apart, with the echoes of one target
 * o->icmp_period_ms apart.  Between two sends the sockets are drained
 * (non-blocking recvmsg until EAGAIN) into a large receive buffer, so a
 * burst of 10,000 targets loses no reply.  EAGAIN or ENOBUFS from sendto:
 * drain, wait a millisecond, send the same echo again until its deadline.
 * Then poll until every check is answered or its deadline passes.
 *
 * No printing, no exit, no static mutable state: several runs may go on
 * in several threads at once.
 */
#include "compat.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/icmp6.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "exitcode.h"
#include "mem.h"
#include "opsping.h"

/* From <linux/icmp.h>, which clashes with <netinet/ip_icmp.h> users. */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#define ICMP4_ECHO_REPLY 0
#define ICMP4_ECHO_REQUEST 8
#define HDR_LEN 8                    /* ICMP echo header */
#define PAYLOAD_LEN 16               /* cookie, index, echo, check word */
#define PKT_LEN (HDR_LEN + PAYLOAD_LEN)
#define RCVBUF_BYTES (8 << 20)       /* receive buffer asked for */
#define RETRY_NS 1000000LL           /* pause after EAGAIN/ENOBUFS */
#define DRAIN_MAX 4096               /* packets read in one drain */
#define DRAIN_EVERY 32               /* sends in a burst between drains */
#define NS_PER_MS 1000000LL
#define CATCH_UP_NS 1000000LL        /* most sends made up after a delay */

enum { FAM_V4, FAM_V6, FAM_COUNT };

/* States of one echo. */
enum { E_UNSENT, E_SENT, E_ANSWERED, E_FAILED };

struct sock {
	int fd;         /* -1: none */
	bool raw;       /* SOCK_RAW: we set and check the identifier */
	uint16_t ident; /* raw: our identifier */
};

struct echo {
	int64_t sent_ns; /* CLOCK_MONOTONIC ns of the sendto */
	uint8_t state;   /* E_* */
};

struct job {
	size_t base;         /* first echo of the check in run.echoes */
	int fam;             /* FAM_*, -1 when not ours */
	int count;           /* echoes to send */
	int sent, recv, failed;
	int senderr;         /* errno of the last failed sendto */
	int64_t deadline_ns; /* c->deadline in ns */
	int64_t last_ns;     /* when its last echo went out, 0: never */
	double sum, min, max; /* RTTs of answered echoes, ms */
};

struct dl {
	int64_t deadline_ns;
	size_t i;
};

struct run {
	struct pg_check **v;
	size_t n;
	const struct pg_opts *o;
	struct sock s[FAM_COUNT];
	struct job *jobs;
	struct echo *echoes;
	struct dl *order;  /* our checks by deadline */
	size_t norder;
	size_t cursor;     /* order[0..cursor) have their results */
	size_t remaining;  /* our checks without a result */
	int64_t start_ms;
	uint32_t cookie;
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* The Internet checksum (RFC 1071) of p[0..len). */
static uint16_t
cksum(const unsigned char *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* strerror_r, first letter lowered: "network is unreachable". */
static const char *
errstr(int e, char *buf, size_t size)
{
	char tmp[128];
	const char *s = strerror_r(e, tmp, sizeof(tmp));

	snprintf(buf, size, "%s", s);
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

static uint32_t
check_word(uint32_t cookie, uint32_t i, uint32_t k)
{
	return ~cookie ^ (i * 2654435761U) ^ k;
}

/* ---- sockets ---- */

static int
try_socket(int family, int type)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;

	return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

/* Large receive buffer, and raw sockets see echo replies only. */
static void
tune_socket(int fd, int family, bool raw)
{
	int sz = RCVBUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (!raw)
		return;
	if (family == AF_INET) {
		uint32_t mask = ~(1U << ICMP4_ECHO_REPLY);

		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask,
		    sizeof(mask));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
		    sizeof(f));
	}
}

/*
 * Open the socket of one family as mode says ("auto", "dgram", "raw").
 * -1 with *derr and *rerr the errno of the dgram/raw attempt (0: not tried).
 */
static int
open_sock(struct sock *s, int family, const char *mode, uint32_t cookie,
    int *derr, int *rerr)
{
	bool auto_ = strcmp(mode, "auto") == 0;

	*derr = *rerr = 0;
	s->fd = -1;
	if (auto_ || strcmp(mode, "dgram") == 0) {
		s->fd = try_socket(family, SOCK_DGRAM);
		if (s->fd < 0)
			*derr = errno;
		s->raw = false;
	}
	if (s->fd < 0 && (auto_ || strcmp(mode, "raw") == 0)) {
		s->fd = try_socket(family, SOCK_RAW);
		if (s->fd < 0)
			*rerr = errno;
		s->raw = true;
	}
	if (s->fd < 0)
		return -1;
	s->ident = (uint16_t)(cookie ^ (cookie >> 16) ^ (uint32_t)getpid());
	tune_socket(s->fd, family, s->raw);
	return 0;
}

/* Say why no socket of family could be opened: in every check and in err. */
static void
no_socket(struct run *r, int fam, const char *mode, int derr, int rerr,
    struct ops_err *err)
{
	const char *fname = fam == FAM_V4 ? "ICMP" : "ICMPv6";
	char d[96] = "", w[96] = "", why[256];
	const char *fix = "";
	bool perm;
	size_t i;

	if (derr)
		errstr(derr, d, sizeof(d));
	if (rerr)
		errstr(rerr, w, sizeof(w));
	perm = derr == EACCES || derr == EPERM || rerr == EACCES ||
	    rerr == EPERM;
	if (derr && rerr)
		snprintf(why, sizeof(why),
		    "no %s socket: ping socket: %s; raw socket: %s", fname, d,
		    w);
	else if (derr)
		snprintf(why, sizeof(why), "no %s ping socket: %s", fname, d);
	else if (rerr)
		snprintf(why, sizeof(why), "no %s raw socket: %s", fname, w);
	else
		snprintf(why, sizeof(why),
		    "unknown ICMP socket kind \"%s\" (auto, dgram or raw)",
		    mode);
	for (i = 0; i < r->n; i++) {
		if (r->jobs[i].fam == fam) {
			pg_result_set(r->v[i], PG_UNKNOWN, -1, "%s", why);
			r->jobs[i].fam = -1;
		}
	}
	if (err == NULL || err->code != 0)
		return;
	if (perm && derr && rerr)
		fix = ": allow unprivileged ICMP with "
		      "`sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`"
		      ", or give opsping CAP_NET_RAW with "
		      "`setcap cap_net_raw+ep $(command -v opsping)`"
		      ", or run it as root";
	else if (perm && derr)
		fix = ": allow unprivileged ICMP with "
		      "`sysctl -w net.ipv4.ping_group_range=\"0 2147483647\"`";
	else if (perm)
		fix = ": give opsping CAP_NET_RAW with "
		      "`setcap cap_net_raw+ep $(command -v opsping)`"
		      ", or run it as root";
	ops_err_set(err, OPS_EXIT_FAIL, "%s%s", why, fix);
	err->errnum = rerr ? rerr : derr;
}

/* ---- results ---- */

/*
 * The result of check i.  Loss is counted over the echoes that were tried
 * (sent, or refused by sendto); an echo that could not go out before the
 * deadline (count * period longer than the timeout) is not a lost one.
 */
static void
finish(struct run *r, size_t i)
{
	struct pg_check *c = r->v[i];
	struct job *j = &r->jobs[i];
	char e[128] = "", unsent[64] = "";
	long long waited = (long long)(c->deadline - r->start_ms);
	int tried = j->sent + j->failed;
	double avg = j->recv ? j->sum / j->recv : -1;

	if (c->r.done)
		return;
	r->remaining--;
	if (j->failed)
		errstr(j->senderr, e, sizeof(e));
	if (tried < j->count)
		snprintf(unsent, sizeof(unsent),
		    " (%d not sent before the deadline)", j->count - tried);
	if (tried == 0)
		pg_result_set(c, PG_CRITICAL, -1,
		    "not checked: the run's deadline came before the echo "
		    "could be sent (raise --timeout)");
	else if (j->recv == tried && j->count == 1)
		pg_result_set(c, PG_OK, avg, "rtt %.3f ms", avg);
	else if (j->recv == tried)
		pg_result_set(c, PG_OK, avg,
		    "%d/%d replies%s, rtt min/avg/max %.3f/%.3f/%.3f ms",
		    j->recv, tried, unsent, j->min, avg, j->max);
	else if (j->recv > 0)
		pg_result_set(c, PG_WARNING, avg,
		    "%d%% packet loss, %d/%d replies%s, "
		    "rtt min/avg/max %.3f/%.3f/%.3f ms%s%s",
		    (tried - j->recv) * 100 / tried, j->recv, tried, unsent,
		    j->min, avg, j->max, j->failed ? "; " : "", e);
	else if (j->sent == 0)
		pg_result_set(c, PG_CRITICAL, -1, "%s", e);
	else if (j->failed)
		pg_result_set(c, PG_CRITICAL, -1,
		    "no reply within %lld ms; %s", waited, e);
	else
		pg_result_set(c, PG_CRITICAL, -1, "no reply within %lld ms",
		    waited);
}

/* Give a result to every check whose deadline is now or past. */
static void
sweep(struct run *r, int64_t now)
{
	while (r->cursor < r->norder) {
		size_t i = r->order[r->cursor].i;

		if (!r->v[i]->r.done) {
			if (r->order[r->cursor].deadline_ns > now)
				break;
			finish(r, i);
		}
		r->cursor++;
	}
}

/* ---- receiving ---- */

static bool
same_addr(const struct pg_check *c, const struct sockaddr_storage *from,
    socklen_t flen)
{
	if (c->addr.ss_family != from->ss_family)
		return false;
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&c->addr;
		const struct sockaddr_in *b = (const void *)from;

		return flen >= sizeof(*b) &&
		    a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	if (from->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&c->addr;
		const struct sockaddr_in6 *b = (const void *)from;

		return flen >= sizeof(*b) &&
		    memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0 &&
		    (a->sin6_scope_id == 0 || b->sin6_scope_id == 0 ||
			a->sin6_scope_id == b->sin6_scope_id);
	}
	return false;
}

/* One datagram from the socket of fam, read at now. */
static void
handle(struct run *r, int fam, const unsigned char *p, size_t len,
    const struct sockaddr_storage *from, socklen_t flen, int64_t now)
{
	const struct sock *s = &r->s[fam];
	uint32_t i, k;
	struct job *j;
	struct echo *e;
	double rtt;

	if (fam == FAM_V4 && s->raw) {
		size_t ihl;

		if (len < 20 || (p[0] >> 4) != 4)
			return;
		ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > len)
			return;
		p += ihl;
		len -= ihl;
	}
	if (len < PKT_LEN || p[1] != 0 ||
	    p[0] != (fam == FAM_V4 ? ICMP4_ECHO_REPLY : ICMP6_ECHO_REPLY))
		return;
	if (s->raw && get16(p + 4) != s->ident)
		return;
	if (get32(p + 8) != r->cookie)
		return;
	i = get32(p + 12);
	k = get32(p + 16);
	if (i >= r->n || get32(p + 20) != check_word(r->cookie, i, k))
		return;
	j = &r->jobs[i];
	if (j->fam != fam || k >= (uint32_t)j->count || r->v[i]->r.done)
		return;
	if (get16(p + 6) != (uint16_t)(j->base + k) ||
	    !same_addr(r->v[i], from, flen))
		return;
	e = &r->echoes[j->base + k];
	if (e->state != E_SENT || now > j->deadline_ns)
		return; /* a duplicate, or too late */
	e->state = E_ANSWERED;
	rtt = (double)(now - e->sent_ns) / 1e6;
	if (j->recv == 0 || rtt < j->min)
		j->min = rtt;
	if (j->recv == 0 || rtt > j->max)
		j->max = rtt;
	j->sum += rtt;
	j->recv++;
	if (j->recv + j->failed == j->count)
		finish(r, i);
}

/* Read the socket of fam until it would block (or DRAIN_MAX packets). */
static void
drain(struct run *r, int fam)
{
	unsigned char buf[512];
	struct sockaddr_storage from;
	struct iovec iov;
	struct msghdr mh;
	int n, errs = 0;
	ssize_t len;

	if (r->s[fam].fd < 0)
		return;
	for (n = 0; n < DRAIN_MAX && r->remaining > 0; n++) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		len = recvmsg(r->s[fam].fd, &mh, MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno != EINTR && ++errs > 16)
				return; /* pending socket errors: go on later */
			continue;
		}
		handle(r, fam, buf, (size_t)len, &from, mh.msg_namelen,
		    mono_ns());
	}
}

static void
drain_all(struct run *r)
{
	drain(r, FAM_V4);
	drain(r, FAM_V6);
}

/*
 * Drain and poll until the clock reaches until_ns, or every check has its
 * result.  out_fam >= 0 also wakes up when that socket becomes writable.
 */
static void
wait_until(struct run *r, int64_t until_ns, int out_fam)
{
	struct pollfd pfd[FAM_COUNT];
	struct timespec ts;
	int64_t now, d;
	nfds_t nfd;
	int f;

	for (;;) {
		drain_all(r);
		now = mono_ns();
		sweep(r, now);
		if (now >= until_ns || r->remaining == 0)
			return;
		nfd = 0;
		for (f = 0; f < FAM_COUNT; f++) {
			if (r->s[f].fd < 0)
				continue;
			pfd[nfd].fd = r->s[f].fd;
			pfd[nfd].events = POLLIN;
			if (f == out_fam)
				pfd[nfd].events |= POLLOUT;
			pfd[nfd].revents = 0;
			nfd++;
		}
		d = until_ns - now;
		ts.tv_sec = (time_t)(d / 1000000000LL);
		ts.tv_nsec = (long)(d % 1000000000LL);
		if (ppoll(pfd, nfd, &ts, NULL) > 0 && out_fam >= 0) {
			for (f = 0; f < (int)nfd; f++)
				if (pfd[f].fd == r->s[out_fam].fd &&
				    (pfd[f].revents & POLLOUT))
					return;
		}
	}
}

/* ---- sending ---- */

/* Send echo k of check i, retrying while the kernel is out of room. */
static void
send_echo(struct run *r, size_t i, int k)
{
	struct pg_check *c = r->v[i];
	struct job *j = &r->jobs[i];
	struct echo *e = &r->echoes[j->base + (size_t)k];
	const struct sock *s = &r->s[j->fam];
	unsigned char pkt[PKT_LEN];
	int64_t now;
	ssize_t w;
	int en;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = j->fam == FAM_V4 ? ICMP4_ECHO_REQUEST : ICMP6_ECHO_REQUEST;
	put16(pkt + 4, s->ident); /* ping sockets: the kernel's port */
	put16(pkt + 6, (uint16_t)(j->base + (size_t)k));
	put32(pkt + 8, r->cookie);
	put32(pkt + 12, (uint32_t)i);
	put32(pkt + 16, (uint32_t)k);
	put32(pkt + 20, check_word(r->cookie, (uint32_t)i, (uint32_t)k));
	if (j->fam == FAM_V4) /* ICMPv6: the kernel's job */
		put16(pkt + 2, cksum(pkt, sizeof(pkt)));
	for (;;) {
		now = mono_ns();
		if (now >= j->deadline_ns || c->r.done)
			return; /* stays unsent: counted as lost */
		w = sendto(s->fd, pkt, sizeof(pkt), 0,
		    (const struct sockaddr *)&c->addr, c->addrlen);
		if (w >= 0) {
			e->state = E_SENT;
			e->sent_ns = now;
			j->last_ns = now;
			j->sent++;
			return;
		}
		en = errno;
		if (en == EINTR)
			continue;
		if (en == EAGAIN || en == EWOULDBLOCK || en == ENOBUFS) {
			int64_t until = now + RETRY_NS;

			if (until > j->deadline_ns)
				until = j->deadline_ns;
			/* POLLOUT means room again after EAGAIN; it says
			 * nothing about ENOBUFS, which just waits. */
			wait_until(r, until, en == ENOBUFS ? -1 : j->fam);
			continue;
		}
		e->state = E_FAILED;
		j->senderr = en;
		j->failed++;
		if (j->recv + j->failed == j->count)
			finish(r, i);
		return;
	}
}

/* Round k sends echo k of every check that asks for more than k. */
static void
send_all(struct run *r, int maxcount)
{
	int64_t gap = (int64_t)r->o->icmp_interval_us * 1000;
	int64_t period = (int64_t)r->o->icmp_period_ms * NS_PER_MS;
	int64_t next = 0, due, now;
	size_t i, unread = 0;
	int k;

	if (gap < 0)
		gap = 0;
	if (period < 0)
		period = 0;
	for (k = 0; k < maxcount && r->remaining > 0; k++) {
		for (i = 0; i < r->n && r->remaining > 0; i++) {
			struct job *j = &r->jobs[i];

			if (j->fam < 0 || k >= j->count || r->v[i]->r.done)
				continue;
			due = next;
			if (j->last_ns && j->last_ns + period > due)
				due = j->last_ns + period;
			if (due >= j->deadline_ns)
				continue; /* cannot go out in time */
			now = mono_ns();
			if (due > now) {
				wait_until(r, due, -1);
				unread = 0;
			} else if (++unread >= DRAIN_EVERY) {
				/* a burst: read the replies every few sends
				 * (the receive buffer holds far more) */
				drain_all(r);
				sweep(r, now);
				unread = 0;
			}
			if (r->v[i]->r.done)
				continue;
			send_echo(r, i, k);
			/* Keep the average pace: a late wake-up (timer
			 * slack) is made up, up to CATCH_UP_NS. */
			now = mono_ns();
			next = next + gap < now - CATCH_UP_NS ? now
			                                      : next + gap;
		}
	}
}

/* ---- the run ---- */

static int
cmp_dl(const void *a, const void *b)
{
	const struct dl *x = a, *y = b;

	if (x->deadline_ns != y->deadline_ns)
		return x->deadline_ns < y->deadline_ns ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Deadlines, families and echo slots; checks we cannot run get results. */
static int
plan_run(struct run *r)
{
	size_t i, total = 0;
	int maxcount = 0;

	for (i = 0; i < r->n; i++) {
		struct pg_check *c = r->v[i];
		struct job *j = &r->jobs[i];
		int cnt = c->t->count;

		j->fam = -1;
		c->deadline = pg_check_deadline(c->t, r->start_ms,
		    (long)(r->o->deadline - r->start_ms), r->o->deadline);
		if (c->r.done)
			continue;
		if (c->addrlen == 0) {
			pg_result_set(c, PG_UNKNOWN, -1, "address not resolved");
			continue;
		}
		if (c->addr.ss_family == AF_INET)
			j->fam = FAM_V4;
		else if (c->addr.ss_family == AF_INET6)
			j->fam = FAM_V6;
		else {
			pg_result_set(c, PG_UNKNOWN, -1,
			    "not an IPv4 or IPv6 address");
			continue;
		}
		if (i > UINT32_MAX) {
			pg_result_set(c, PG_UNKNOWN, -1, "too many targets");
			j->fam = -1;
			continue;
		}
		j->count = cnt < 1 ? 1 : cnt > PG_MAX_COUNT ? PG_MAX_COUNT : cnt;
		j->base = total;
		j->deadline_ns = c->deadline * NS_PER_MS;
		total += (size_t)j->count;
		if (j->count > maxcount)
			maxcount = j->count;
	}
	r->echoes = ops_xcalloc(total ? total : 1, sizeof(*r->echoes));
	return maxcount;
}

int
pg_icmp_run(struct pg_check **v, size_t n, const struct pg_opts *o,
    struct ops_err *err)
{
	static const int families[FAM_COUNT] = {AF_INET, AF_INET6};
	const char *mode = o->icmp_socket ? o->icmp_socket : "auto";
	struct run r;
	bool need[FAM_COUNT] = {false, false};
	int maxcount, f, derr, rerr, rc = 0;
	size_t i;

	if (n == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.n = n;
	r.o = o;
	r.cookie = o->cookie;
	r.start_ms = ops_clock_mono_ms();
	r.s[FAM_V4].fd = r.s[FAM_V6].fd = -1;
	r.jobs = ops_xcalloc(n, sizeof(*r.jobs));
	maxcount = plan_run(&r);
	for (i = 0; i < n; i++)
		if (r.jobs[i].fam >= 0)
			need[r.jobs[i].fam] = true;
	for (f = 0; f < FAM_COUNT; f++) {
		if (!need[f])
			continue;
		if (open_sock(&r.s[f], families[f], mode, r.cookie, &derr,
			&rerr) != 0) {
			no_socket(&r, f, mode, derr, rerr, err);
			rc = -1;
		}
	}
	r.order = ops_xcalloc(n, sizeof(*r.order));
	for (i = 0; i < n; i++) {
		if (r.jobs[i].fam < 0)
			continue;
		r.order[r.norder].deadline_ns = r.jobs[i].deadline_ns;
		r.order[r.norder].i = i;
		r.norder++;
	}
	qsort(r.order, r.norder, sizeof(*r.order), cmp_dl);
	r.remaining = r.norder;
	send_all(&r, maxcount);
	while (r.remaining > 0 && r.cursor < r.norder)
		wait_until(&r, r.order[r.cursor].deadline_ns, -1);
	for (i = 0; i < n; i++) {
		if (r.jobs[i].fam >= 0)
			finish(&r, i);
		else
			pg_result_set(v[i], PG_UNKNOWN, -1, "not checked");
	}
	for (f = 0; f < FAM_COUNT; f++)
		if (r.s[f].fd >= 0)
			close(r.s[f].fd);
	free(r.order);
	free(r.echoes);
	free(r.jobs);
	return rc;
}
