/*
 * t-icmp.c - unit tests for opsping's ICMP engine (cmd/opsping/icmp.c)
 * SPDX-License-Identifier: MIT
 *
 * Echoes go to loopback addresses only (127.0.0.0/8 and ::1), never
 * anywhere else.  Needs root (raw sockets, network namespaces); skips
 * otherwise.  Tests that change sysctls do it in a child process inside
 * its own network namespace (unshare(CLONE_NEWNET)), so the host's
 * settings are never touched: ping_group_range and icmp_echo_ignore_all
 * are per namespace.  Children report through a pipe; only this process
 * prints TAP.
 */
#include "compat.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "../../cmd/opsping/opsping.h"
#include "scratch.h"
#include "tap.h"

/* What a run gave, small enough to pass through a pipe. */
struct sum {
	char skip[160];  /* a child could not set up: why */
	int n, rc, errcode;
	int st[PG_STATUS_COUNT];
	int notdone;     /* checks left without a result (must be 0) */
	int badms;       /* OK/WARNING without ms >= 0 */
	long long elapsed_ms;
	long long late_ms; /* end minus o.deadline */
	char msg[PG_STATUS_COUNT][256]; /* first message of each status */
	char errmsg[1024];
};

/* A run: n targets, all counting count echoes. */
struct spec {
	size_t n;
	int fam;          /* 4: 127.0.x.y; 6: ::1; 46: 127.0.0.1 and ::1 */
	int count;
	const char *mode; /* icmp_socket */
	long timeout_ms;  /* the run's deadline from its start */
	long interval_us;
	long period_ms;
	uint32_t cookie;
};

static void
set_addr(struct pg_check *c, int fam, size_t i)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&c->addr;
	struct sockaddr_in6 *b = (struct sockaddr_in6 *)&c->addr;

	memset(&c->addr, 0, sizeof(c->addr));
	if (fam == 6 || (fam == 46 && i % 2)) {
		b->sin6_family = AF_INET6;
		b->sin6_addr = in6addr_loopback;
		c->addrlen = sizeof(*b);
		return;
	}
	a->sin_family = AF_INET;
	if (fam == 46)
		i = 0;
	/* 127.0.x.y, y 1..250: loopback only */
	a->sin_addr.s_addr = htonl(0x7f000000U | (uint32_t)(i / 250) << 8 |
	    (uint32_t)(i % 250 + 1));
	c->addrlen = sizeof(*a);
}

static struct pg_check **
make_checks(const struct spec *sp, struct pg_target **tv)
{
	struct pg_check **v = calloc(sp->n, sizeof(*v));
	size_t i;

	*tv = calloc(sp->n, sizeof(**tv));
	if (v == NULL || *tv == NULL)
		bail_out("out of memory");
	for (i = 0; i < sp->n; i++) {
		v[i] = calloc(1, sizeof(**v));
		if (v[i] == NULL)
			bail_out("out of memory");
		(*tv)[i].count = sp->count;
		v[i]->t = &(*tv)[i];
		set_addr(v[i], sp->fam, i);
	}
	return v;
}

static void
free_checks(struct pg_check **v, struct pg_target *tv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(tv);
}

static void
summarize(struct pg_check **v, size_t n, struct sum *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct pg_result *r = &v[i]->r;

		if (!r->done) {
			s->notdone++;
			continue;
		}
		if (s->st[r->status]++ == 0)
			snprintf(s->msg[r->status], sizeof(s->msg[0]), "%s",
			    r->message);
		if ((r->status == PG_OK || r->status == PG_WARNING) &&
		    !(r->ms >= 0))
			s->badms++;
	}
}

/* Run sp in this process; o.deadline = start + timeout_ms. */
static void
run_spec(const struct spec *sp, long deadline_offset_ms, struct sum *s)
{
	struct pg_target *tv;
	struct pg_check **v = make_checks(sp, &tv);
	struct pg_opts o;
	struct ops_err err;
	int64_t t0, t1;

	memset(s, 0, sizeof(*s));
	memset(&o, 0, sizeof(o));
	ops_err_clear(&err);
	t0 = ops_clock_mono_ms();
	o.deadline = t0 + deadline_offset_ms;
	o.icmp_interval_us = sp->interval_us;
	o.icmp_period_ms = sp->period_ms;
	o.cookie = sp->cookie;
	o.icmp_socket = sp->mode;
	o.jobs = 256;
	s->rc = pg_icmp_run(v, sp->n, &o, &err);
	t1 = ops_clock_mono_ms();
	s->n = (int)sp->n;
	s->errcode = err.code;
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", err.msg);
	s->elapsed_ms = t1 - t0;
	s->late_ms = t1 - o.deadline;
	summarize(v, sp->n, s);
	free_checks(v, tv, sp->n);
}

static void
run(const struct spec *sp, struct sum *s)
{
	run_spec(sp, sp->timeout_ms, s);
}

/* ---- child processes ---- */

typedef void child_fn(const void *arg, struct sum *out, int nout);

static void
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len > 0) {
		w = write(fd, c, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(2);
		c += w;
		len -= (size_t)w;
	}
}

/* Run fn(arg) in a child; its nout summaries come back in out. */
static void
in_child(child_fn *fn, const void *arg, struct sum *out, int nout)
{
	int p[2];
	pid_t pid;
	size_t want = sizeof(*out) * (size_t)nout, got = 0;
	ssize_t r;

	if (pipe(p) != 0)
		bail_out("pipe: %s", strerror(errno));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p[0]);
		memset(out, 0, want);
		fn(arg, out, nout);
		write_all(p[1], out, want);
		_exit(0);
	}
	close(p[1]);
	memset(out, 0, want);
	while (got < want) {
		r = read(p[0], (char *)out + got, want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(p[0]);
	if (wait_status(pid) != 0 || got != want)
		bail_out("child failed");
}

static int
put_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, s, strlen(s));
	if (close(fd) != 0 || w != (ssize_t)strlen(s))
		return -1;
	return 0;
}

static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

/* A new network namespace (only lo, down).  NULL, or why not. */
static const char *
new_netns(void)
{
	if (unshare(CLONE_NEWNET) != 0)
		return "unshare(CLONE_NEWNET) not permitted";
	return NULL;
}

static const char *
ignore_echoes(void)
{
	if (put_file("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1") != 0)
		return "cannot write net.ipv4.icmp_echo_ignore_all";
	if (access("/proc/sys/net/ipv6/icmp/echo_ignore_all", F_OK) == 0 &&
	    put_file("/proc/sys/net/ipv6/icmp/echo_ignore_all", "1") != 0)
		return "cannot write net.ipv6.icmp.echo_ignore_all";
	return NULL;
}

static void
set_skip(struct sum *out, int nout, const char *why)
{
	int i;

	for (i = 0; i < nout; i++)
		snprintf(out[i].skip, sizeof(out[i].skip), "%s", why);
}

/* dgram sockets, allowed by ping_group_range inside a namespace. */
static void
child_dgram(const void *arg, struct sum *out, int nout)
{
	const struct spec *sp = arg;
	const char *why;
	int i;

	if ((why = new_netns()) != NULL) {
		set_skip(out, nout, why);
		return;
	}
	if (lo_up() != 0 || put_file("/proc/sys/net/ipv4/ping_group_range",
				"0 2147483647") != 0) {
		set_skip(out, nout, "cannot set up lo or ping_group_range");
		return;
	}
	for (i = 0; i < nout; i++)
		run(&sp[i], &out[i]);
}

/* Nothing answers: lo down (sendto fails), then lo up ignoring echoes. */
static void
child_silent(const void *arg, struct sum *out, int nout)
{
	const struct spec *sp = arg;
	const char *why;

	if ((why = new_netns()) != NULL) {
		set_skip(out, nout, why);
		return;
	}
	run(&sp[0], &out[0]); /* lo down */
	if (lo_up() != 0) {
		set_skip(out + 1, nout - 1, "cannot bring lo up");
		return;
	}
	if ((why = ignore_echoes()) != NULL) {
		set_skip(out + 1, nout - 1, why);
		return;
	}
	run(&sp[1], &out[1]);
	run(&sp[2], &out[2]);
}

static int
drop_net_raw(void)
{
	struct __user_cap_header_struct h;
	struct __user_cap_data_struct d[2];

	memset(&h, 0, sizeof(h));
	memset(d, 0, sizeof(d));
	h.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	d[0].effective &= ~(1U << CAP_NET_RAW);
	d[0].permitted &= ~(1U << CAP_NET_RAW);
	d[0].inheritable &= ~(1U << CAP_NET_RAW);
	return (int)syscall(SYS_capset, &h, d);
}

/* Neither socket kind allowed. */
static void
child_nosocket(const void *arg, struct sum *out, int nout)
{
	const struct spec *sp = arg;
	const char *why;
	int i;

	if ((why = new_netns()) != NULL) {
		set_skip(out, nout, why);
		return;
	}
	if (lo_up() != 0 ||
	    put_file("/proc/sys/net/ipv4/ping_group_range", "1 0") != 0 ||
	    drop_net_raw() != 0) {
		set_skip(out, nout, "cannot drop CAP_NET_RAW");
		return;
	}
	for (i = 0; i < nout; i++)
		run(&sp[i], &out[i]);
}

/*
 * Answer the IPv4 echo requests carrying cookie twice each, and those
 * carrying lossy only when they are echo 0 of their check, from the
 * address they were sent to.  Runs until killed.
 */
static void
responder(int ready, uint32_t cookie, uint32_t lossy)
{
	unsigned char buf[512], rep[512];
	struct sockaddr_in from;
	uint32_t mask = ~(1U << 8); /* echo requests only */
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	int sz = 8 << 20;

	if (fd < 0 || setsockopt(fd, SOL_RAW, 1, &mask, sizeof(mask)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		_exit(3);
	write_all(ready, "r", 1);
	close(ready);
	for (;;) {
		socklen_t flen = sizeof(from);
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0,
		    (struct sockaddr *)&from, &flen);
		size_t ihl, ilen, k;
		uint32_t sum = 0, c;
		char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct in_pktinfo *pi;
		struct cmsghdr *cm;
		struct msghdr mh;
		struct iovec iov;
		int rep_i;

		if (len < 28)
			continue;
		ihl = (size_t)(buf[0] & 15) * 4;
		if ((size_t)len < ihl + 12 || buf[ihl] != 8)
			continue;
		ilen = (size_t)len - ihl;
		c = (uint32_t)buf[ihl + 8] << 24 | (uint32_t)buf[ihl + 9] << 16 |
		    (uint32_t)buf[ihl + 10] << 8 | buf[ihl + 11];
		if (c == lossy && (size_t)len >= ihl + 20 &&
		    (buf[ihl + 16] | buf[ihl + 17] | buf[ihl + 18] |
			buf[ihl + 19]) != 0)
			continue;
		if (c != cookie && c != lossy)
			continue;
		memcpy(rep, buf + ihl, ilen);
		rep[0] = 0;
		rep[2] = rep[3] = 0;
		for (k = 0; k + 1 < ilen; k += 2)
			sum += (uint32_t)(rep[k] << 8 | rep[k + 1]);
		if (ilen & 1)
			sum += (uint32_t)rep[ilen - 1] << 8;
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		rep[2] = (unsigned char)(~sum >> 8);
		rep[3] = (unsigned char)~sum;
		for (rep_i = 0; rep_i < (c == cookie ? 2 : 1); rep_i++) {
			memset(&mh, 0, sizeof(mh));
			memset(cbuf, 0, sizeof(cbuf));
			iov.iov_base = rep;
			iov.iov_len = ilen;
			mh.msg_name = &from;
			mh.msg_namelen = sizeof(from);
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = cbuf;
			mh.msg_controllen = sizeof(cbuf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = IPPROTO_IP;
			cm->cmsg_type = IP_PKTINFO;
			cm->cmsg_len = CMSG_LEN(sizeof(*pi));
			pi = (struct in_pktinfo *)(void *)CMSG_DATA(cm);
			memcpy(&pi->ipi_spec_dst, buf + 16, 4); /* its dst */
			(void)sendmsg(fd, &mh, 0);
		}
	}
}

/*
 * Two raw-socket runs at once over the same targets while the kernel
 * ignores echoes; a responder answers run B only, twice each.  Both see
 * everybody's replies, so A must count none and B each once.
 */
static void
child_two_runs(const void *arg, struct sum *out, int nout)
{
	const struct spec *sp = arg;
	const char *why;
	struct sum res[2];
	pid_t resp, a;
	int p[2], rp[2], i;
	char ch;

	if (nout != 3)
		_exit(2);
	if ((why = new_netns()) != NULL) {
		set_skip(out, nout, why);
		return;
	}
	if (lo_up() != 0 || (why = ignore_echoes()) != NULL) {
		set_skip(out, nout, "cannot set up lo");
		return;
	}
	if (pipe(rp) != 0 || (resp = fork()) < 0)
		_exit(2);
	if (resp == 0) {
		close(rp[0]);
		responder(rp[1], sp[1].cookie, sp[2].cookie);
		_exit(0);
	}
	close(rp[1]);
	if (read(rp[0], &ch, 1) != 1)
		_exit(2);
	close(rp[0]);
	if (pipe(p) != 0 || (a = fork()) < 0)
		_exit(2);
	if (a == 0) { /* run A */
		close(p[0]);
		run(&sp[0], &res[0]);
		write_all(p[1], &res[0], sizeof(res[0]));
		_exit(0);
	}
	close(p[1]);
	run(&sp[1], &out[1]); /* run B, at the same time */
	for (i = 0; i < (int)sizeof(out[0]);) {
		ssize_t r = read(p[0], (char *)&out[0] + i,
		    sizeof(out[0]) - (size_t)i);

		if (r <= 0)
			_exit(2);
		i += (int)r;
	}
	close(p[0]);
	run(&sp[2], &out[2]); /* echo 1 of every check is lost */
	kill(resp, SIGKILL);
	(void)wait_status(resp);
	(void)wait_status(a);
}

/* ---- the tests ---- */

static bool
all_ok(const struct sum *s)
{
	return s->skip[0] == '\0' && s->notdone == 0 && s->st[PG_OK] == s->n &&
	    s->badms == 0 && s->rc == 0;
}

static void
show(const struct sum *s)
{
	int i;

	diag("rc %d, %d checks, not done %d, elapsed %lld ms", s->rc, s->n,
	    s->notdone, s->elapsed_ms);
	for (i = 0; i < PG_STATUS_COUNT; i++)
		if (s->st[i])
			diag("%s x%d: %s", pg_status_name[i], s->st[i],
			    s->msg[i]);
	if (s->errmsg[0])
		diag("err: %s", s->errmsg);
}

static void
expect_ok(const struct sum *s, const char *what)
{
	if (!ok(all_ok(s), "%s: all %d OK", what, s->n))
		show(s);
}

static void
test_basic(const char *mode)
{
	struct spec sp = {1, 4, 1, mode, 2000, 0, 0, 0x1234abcd};
	struct sum s;
	char what[64];

	run(&sp, &s);
	snprintf(what, sizeof(what), "%s 127.0.0.1", mode);
	expect_ok(&s, what);
	ok(strncmp(s.msg[PG_OK], "rtt ", 4) == 0 &&
	    strstr(s.msg[PG_OK], " ms") != NULL,
	    "%s message \"%s\"", what, s.msg[PG_OK]);
	sp.fam = 6;
	run(&sp, &s);
	snprintf(what, sizeof(what), "%s ::1", mode);
	expect_ok(&s, what);
	sp.fam = 46;
	sp.n = 2;
	sp.count = 3;
	sp.period_ms = 10;
	run(&sp, &s);
	snprintf(what, sizeof(what), "%s 127.0.0.1 and ::1 count=3", mode);
	expect_ok(&s, what);
	ok(strncmp(s.msg[PG_OK], "3/3 replies, rtt min/avg/max ", 29) == 0,
	    "%s message \"%s\"", what, s.msg[PG_OK]);
}

static void
test_unsent(void)
{
	struct spec sp = {2, 46, 3, "auto", 500, 0, 400, 0x31415926};
	struct sum s;

	run(&sp, &s);
	expect_ok(&s, "count=3 period 400 ms timeout 500 ms");
	ok(strncmp(s.msg[PG_OK],
	       "2/2 replies (1 not sent before the deadline), rtt ", 50) == 0,
	    "echoes that could not go out in time are not lost: \"%s\"",
	    s.msg[PG_OK]);
}

static void
test_dgram(void)
{
	struct spec sp[2] = {
	    {2, 46, 3, "dgram", 2000, 0, 5, 0x55aa55aa},
	    {10000, 4, 1, "dgram", 20000, 0, 0, 0x0badcafe},
	};
	struct sum s[2];

	in_child(child_dgram, sp, s, 2);
	if (s[0].skip[0]) {
		skip(2, s[0].skip);
		return;
	}
	expect_ok(&s[0], "dgram 127.0.0.1 and ::1 count=3");
	expect_ok(&s[1], "dgram 10000 targets, interval 0");
	diag("dgram: 10000 loopback targets in %lld ms", s[1].elapsed_ms);
}

static void
test_many(void)
{
	struct spec sp = {10000, 4, 1, "auto", 20000, 10, 0, 0xfeedf00d};
	struct sum s;

	run(&sp, &s);
	expect_ok(&s, "10000 targets 127.0.x.y, interval 10 us");
	diag("auto: 10000 loopback targets, interval 10 us: %lld ms",
	    s.elapsed_ms);
	sp.interval_us = 0;
	run(&sp, &s);
	expect_ok(&s, "10000 targets 127.0.x.y, interval 0");
	diag("auto: 10000 loopback targets, interval 0: %lld ms",
	    s.elapsed_ms);
	sp.mode = "raw";
	sp.count = 2;
	sp.period_ms = 20;
	run(&sp, &s);
	expect_ok(&s, "10000 targets count=2 (20000 echoes, seq wraps)");
	diag("raw: 10000 loopback targets x2: %lld ms", s.elapsed_ms);
}

static void
test_silent(void)
{
	struct spec sp[3] = {
	    {1000, 4, 1, "raw", 1000, 0, 0, 0x01020304},
	    {1000, 4, 1, "raw", 500, 0, 0, 0x01020305},
	    {2, 46, 3, "auto", 300, 0, 10, 0x01020306},
	};
	struct sum s[3];

	in_child(child_silent, sp, s, 3);
	if (s[0].skip[0]) {
		skip(5, s[0].skip);
		return;
	}
	if (!ok(s[0].st[PG_CRITICAL] == 1000 && s[0].notdone == 0,
		"lo down: 1000 CRITICAL"))
		show(&s[0]);
	is_str(s[0].msg[PG_CRITICAL], "network is unreachable",
	    "lo down: the send error is the message");
	if (s[1].skip[0]) {
		skip(3, s[1].skip);
		return;
	}
	if (!ok(s[1].st[PG_CRITICAL] == 1000 && s[1].notdone == 0,
		"no answer: 1000 CRITICAL"))
		show(&s[1]);
	if (!ok(s[1].late_ms <= 100 && s[1].elapsed_ms >= 490,
		"no answer: returned at the deadline (%lld ms after it, "
		"%lld ms in all)", s[1].late_ms, s[1].elapsed_ms))
		show(&s[1]);
	if (!ok(s[2].st[PG_CRITICAL] == 2 && s[2].late_ms <= 100 &&
		strstr(s[2].msg[PG_CRITICAL], "no reply within ") != NULL,
		"no answer, IPv4 and IPv6, count=3: CRITICAL \"%s\"",
		s[2].msg[PG_CRITICAL]))
		show(&s[2]);
}

static void
test_nosocket(void)
{
	struct spec sp[2] = {
	    {3, 46, 1, "auto", 500, 0, 0, 1},
	    {1, 4, 1, "dgram", 500, 0, 0, 1},
	};
	struct sum s[2];

	in_child(child_nosocket, sp, s, 2);
	if (s[0].skip[0]) {
		skip(4, s[0].skip);
		return;
	}
	if (!ok(s[0].rc == -1 && s[0].errcode == 3 && s[0].st[PG_UNKNOWN] == 3,
		"no socket: -1, code 3, every check UNKNOWN"))
		show(&s[0]);
	ok(strstr(s[0].errmsg, "net.ipv4.ping_group_range") != NULL &&
	    strstr(s[0].errmsg, "setcap cap_net_raw+ep") != NULL &&
	    strstr(s[0].errmsg, "root") != NULL,
	    "the error says how to fix it: %s", s[0].errmsg);
	ok(strstr(s[0].msg[PG_UNKNOWN], "socket") != NULL,
	    "the checks say why: %s", s[0].msg[PG_UNKNOWN]);
	ok(s[1].rc == -1 && s[1].st[PG_UNKNOWN] == 1 &&
	    strstr(s[1].errmsg, "ping_group_range") != NULL,
	    "dgram forced: %s", s[1].errmsg);
}

static void
test_two_runs(void)
{
	struct spec sp[3] = {
	    {500, 4, 2, "raw", 1500, 0, 5, 0xaaaa0001},
	    {500, 4, 2, "raw", 1500, 0, 5, 0xbbbb0002},
	    {10, 4, 2, "auto", 300, 0, 5, 0xcccc0003},
	};
	struct sum s[3];

	in_child(child_two_runs, sp, s, 3);
	if (s[0].skip[0]) {
		skip(5, s[0].skip);
		return;
	}
	if (!ok(s[0].st[PG_CRITICAL] == 500 && s[0].notdone == 0,
		"run A counts none of run B's replies"))
		show(&s[0]);
	expect_ok(&s[1], "run B, answered twice per echo");
	ok(strncmp(s[1].msg[PG_OK], "2/2 replies", 11) == 0,
	    "duplicates count once: %s", s[1].msg[PG_OK]);
	if (!ok(s[2].st[PG_WARNING] == 10 && s[2].late_ms <= 100,
		"one echo of two lost: WARNING"))
		show(&s[2]);
	ok(strncmp(s[2].msg[PG_WARNING], "50% packet loss, 1/2 replies, rtt ",
	       34) == 0 && s[2].badms == 0,
	    "loss message \"%s\"", s[2].msg[PG_WARNING]);
}

static void
test_deadline_passed(void)
{
	struct spec sp = {3, 46, 2, "auto", 0, 0, 0, 7};
	struct sum s;

	run_spec(&sp, -50, &s);
	if (!ok(s.notdone == 0 && s.st[PG_OK] == 0 && s.elapsed_ms < 50,
		"deadline already passed: every check has a result at once"))
		show(&s);
	diag("%s", s.msg[PG_UNKNOWN][0] ? s.msg[PG_UNKNOWN] :
	    s.msg[PG_CRITICAL]);
}

static void
test_odd_checks(void)
{
	struct pg_target t[3];
	struct pg_check c[3], *v[3];
	struct pg_opts o;
	struct ops_err err;
	int i, rc;

	memset(t, 0, sizeof(t));
	memset(c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	ops_err_clear(&err);
	for (i = 0; i < 3; i++) {
		c[i].t = &t[i];
		v[i] = &c[i];
	}
	set_addr(&c[0], 4, 0);
	t[0].timeout_ms = 300; /* its own timeout, shorter than the run's */
	c[1].addrlen = 0;      /* not resolved */
	set_addr(&c[2], 4, 0);
	pg_result_set(&c[2], PG_CRITICAL, -1, "set before");
	o.deadline = ops_clock_mono_ms() + 2000;
	o.icmp_socket = "auto";
	o.cookie = 99;
	rc = pg_icmp_run(v, 3, &o, &err);
	ok(rc == 0 && c[0].r.status == PG_OK &&
	    c[0].deadline <= o.deadline - 1500,
	    "per-check timeout sets the check's deadline");
	ok(c[1].r.done && c[1].r.status == PG_UNKNOWN,
	    "an unresolved check gets UNKNOWN: %s", c[1].r.message);
	is_str(c[2].r.message, "set before", "a check with a result is kept");
	o.icmp_socket = "bogus";
	memset(c, 0, sizeof(c));
	c[0].t = &t[0];
	set_addr(&c[0], 4, 0);
	ok(pg_icmp_run(v, 1, &o, &err) == -1 && c[0].r.status == PG_UNKNOWN,
	    "an unknown socket kind: UNKNOWN, -1");
}

int
main(void)
{
	if (geteuid() != 0) {
		skip(1, "needs root: raw sockets and network namespaces");
		return done_testing();
	}
	test_basic("auto");
	test_basic("raw");
	test_unsent();
	test_dgram();
	test_many();
	test_silent();
	test_nosocket();
	test_two_runs();
	test_deadline_passed();
	test_odd_checks();
	return done_testing();
}
