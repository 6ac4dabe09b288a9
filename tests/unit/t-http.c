/*
 * t-http.c - unit tests for opsping's HTTP(S) engine against local servers
 * SPDX-License-Identifier: MIT
 *
 * Starts python3's http.server on 127.0.0.1 with a kernel-chosen port (it
 * prints the port on a pipe), once plain and once with TLS and a 5-day
 * self-signed certificate made by openssl(1) in a scratch directory.  The
 * servers are stopped by pid at exit, and die with the test
 * (PR_SET_PDEATHSIG) if it is killed.  Needs python3 and openssl.
 */
#include "compat.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "mem.h"
#include "../../cmd/opsping/opsping.h"
#include "scratch.h"
#include "tap.h"

static const char server_py[] =
    "import sys, ssl, time, http.server\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    disable_nagle_algorithm = True\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "    def send(self, code, body, extra=()):\n"
    "        self.send_response(code)\n"
    "        self.send_header('Content-Type', 'text/plain')\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        for k, v in extra:\n"
    "            self.send_header(k, v)\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def do_GET(self):\n"
    "        p = self.path\n"
    "        try:\n"
    "            if p == '/ok':\n"
    "                self.send(200, b'hello ops')\n"
    "            elif p == '/slow':\n"
    "                time.sleep(2)\n"
    "                self.send(200, b'slow')\n"
    "            elif p == '/redir':\n"
    "                self.send(302, b'moved', [('Location', '/ok')])\n"
    "            elif p == '/span':\n"
    "                self.send(200, b'a' * (16384 * 3 - 3) + b'needle' +\n"
    "                    b'b' * 100)\n"
    "            elif p == '/big':\n"
    "                self.send(200, b'x' * (3 << 19) + b'needle')\n"
    "            else:\n"
    "                self.send(404, b'not here')\n"
    "        except OSError:\n"
    "            pass\n"
    "class S(http.server.ThreadingHTTPServer):\n"
    "    request_queue_size = 512\n"
    "    daemon_threads = True\n"
    "    def handle_error(self, request, address):\n"
    "        pass\n"
    "s = S(('127.0.0.1', 0), H)\n"
    "if len(sys.argv) > 2:\n"
    "    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
    "    ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
    "    s.socket = ctx.wrap_socket(s.socket, server_side=True)\n"
    "print(s.server_address[1], flush=True)\n"
    "s.serve_forever()\n";

static pid_t servers[2];
static size_t nservers;

static void
stop_servers(void)
{
	size_t i;

	for (i = 0; i < nservers; i++)
		if (servers[i] > 0) {
			kill(servers[i], SIGTERM);
			(void)wait_status(servers[i]);
			servers[i] = 0;
		}
	nservers = 0;
	if (scratch[0] != '\0')
		scratch_remove();
}

/* Run argv with output to /dev/null; its exit status, -1 if it failed. */
static int
run_quiet(const char *const argv[])
{
	pid_t pid = fork();
	int st, fd;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	st = wait_status(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Start the server (TLS when cert is not NULL); its port, or -1. */
static int
start_server(const char *cert, const char *key)
{
	int p[2], port = -1;
	char line[32];
	ssize_t k;
	size_t len = 0;
	int64_t end = ops_clock_mono_ms() + 10000;
	pid_t pid;

	if (nservers == OPS_ARRAY_SIZE(servers) || pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], 1);
		if (cert != NULL)
			execlp("python3", "python3", "-c", server_py, cert, key,
			    (char *)NULL);
		else
			execlp("python3", "python3", "-c", server_py,
			    (char *)NULL);
		_exit(127);
	}
	servers[nservers++] = pid;
	close(p[1]);
	while (len < sizeof(line) - 1 && memchr(line, '\n', len) == NULL) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int64_t left = end - ops_clock_mono_ms();

		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			break;
		k = read(p[0], line + len, sizeof(line) - 1 - len);
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	close(p[0]);
	line[len] = '\0';
	if (sscanf(line, "%d", &port) != 1 || port <= 0 || port > 65535)
		return -1;
	return port;
}

struct t {
	const char *path;
	const char *match;
	long timeout_ms;
	bool follow;
	int cert_days;
	const char *ca;
	bool insecure;
	int expect;       /* one expected status, 0: the default */
};

static struct pg_check *
mk(const char *scheme, int port, const struct t *d)
{
	struct pg_check *c = ops_xcalloc(1, sizeof(*c));
	struct pg_target *t = ops_xcalloc(1, sizeof(*t));
	char url[256];

	snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", scheme, port,
	    d->path);
	t->kind = PG_HTTP;
	t->url = ops_xstrdup(url);
	t->name = t->url;
	t->host = ops_xstrdup("127.0.0.1");
	t->port = port;
	t->match = d->match ? ops_xstrdup(d->match) : NULL;
	t->timeout_ms = d->timeout_ms;
	t->follow = d->follow;
	t->cert_days = d->cert_days;
	t->ca = d->ca ? ops_xstrdup(d->ca) : NULL;
	t->insecure = d->insecure;
	if (d->expect) {
		t->expect[0].lo = t->expect[0].hi = d->expect;
		t->nexpect = 1;
	}
	c->t = t;
	c->r.ms = -1;
	return c;
}

static void
free_check(struct pg_check *c)
{
	free(c->t->url);
	free(c->t->host);
	free(c->t->match);
	free(c->t->ca);
	free(c->t);
	free(c);
}

/* Run one check; the time it took in ms. */
static int64_t
one(struct pg_check *c, long run_ms, const char *ca_file)
{
	struct pg_opts o;
	struct ops_err err;
	int64_t t0 = ops_clock_mono_ms();

	memset(&o, 0, sizeof(o));
	o.deadline = t0 + run_ms;
	o.jobs = 4;
	o.ca_file = ca_file;
	ops_err_clear(&err);
	if (pg_http_run(&c, 1, &o, &err) != 0)
		diag("pg_http_run: %s", err.msg);
	return ops_clock_mono_ms() - t0;
}

/* A port nothing listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	socklen_t len = sizeof(in);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&in, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&in, &len) == 0)
		port = ntohs(in.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* One row: a check, the status and message start it must end with. */
static void
row(const char *scheme, int port, const struct t *d, enum pg_status want,
    const char *prefix, const char *desc)
{
	struct pg_check *c = mk(scheme, port, d);
	int64_t took = one(c, 10000, NULL);

	ok(c->r.done && c->r.status == want && starts(c->r.message, prefix),
	    "%s: %s %s (%lld ms)", desc, pg_status_name[c->r.status],
	    c->r.message, (long long)took);
	free_check(c);
}

static void
test_plain(int port)
{
	struct pg_check *c;
	struct t d;
	int64_t took;

	row("http", port, &(struct t){.path = "/ok"}, PG_OK,
	    "HTTP 200, 9 bytes in ", "200 is OK");
	row("http", port, &(struct t){.path = "/missing"}, PG_CRITICAL,
	    "HTTP 404 (expected 200-399)", "404 is CRITICAL by default");
	row("http", port, &(struct t){.path = "/missing", .expect = 404},
	    PG_OK, "HTTP 404, ", "expect=404 makes 404 OK");
	row("http", port, &(struct t){.path = "/ok", .expect = 404},
	    PG_CRITICAL, "HTTP 200 (expected 404)", "expect=404 makes 200 CRITICAL");
	row("http", port, &(struct t){.path = "/ok", .match = "lo op"}, PG_OK,
	    "HTTP 200, ", "match present is OK");
	row("http", port, &(struct t){.path = "/ok", .match = "goodbye"},
	    PG_CRITICAL, "body lacks \"goodbye\"", "match absent is CRITICAL");
	row("http", port, &(struct t){.path = "/span", .match = "needle"},
	    PG_OK, "HTTP 200, ", "match across read boundaries");
	row("http", port, &(struct t){.path = "/big", .match = "needle"},
	    PG_CRITICAL, "body lacks \"needle\"",
	    "match after the first MiB is not searched");
	row("http", port, &(struct t){.path = "/redir"}, PG_OK, "HTTP 302, ",
	    "redirect not followed: 302 is OK");
	row("http", port, &(struct t){.path = "/redir", .match = "hello"},
	    PG_CRITICAL, "body lacks \"hello\"",
	    "redirect not followed: its body lacks the text");
	row("http", port,
	    &(struct t){.path = "/redir", .match = "hello", .follow = true},
	    PG_OK, "HTTP 200, 9 bytes", "redirect followed with follow");

	d = (struct t){.path = "/slow", .timeout_ms = 500};
	c = mk("http", port, &d);
	took = one(c, 10000, NULL);
	/* the server answers after 2 s: ending well before that shows the
	 * timeout cut the transfer, with room for a loaded machine */
	ok(c->r.status == PG_CRITICAL &&
	        strcmp(c->r.message, "no answer within 500 ms") == 0 &&
	        took >= 450 && took < 1800,
	    "slow answer: %s (%lld ms)", c->r.message, (long long)took);
	free_check(c);

	d = (struct t){.path = "/slow"};
	c = mk("http", port, &d);
	took = one(c, 300, NULL);
	ok(c->r.status == PG_CRITICAL &&
	        strcmp(c->r.message, "no answer within 300 ms") == 0 &&
	        took < 1800,
	    "the run's deadline ends a transfer: %s (%lld ms)", c->r.message,
	    (long long)took);
	free_check(c);

	row("http", closed_port(), &(struct t){.path = "/ok"},
	    PG_CRITICAL, "", "nothing listening is CRITICAL");
	row("ftp", port, &(struct t){.path = "/ok"}, PG_CRITICAL, "",
	    "other protocols are refused");
}

static void
test_tls(int port, const char *cert)
{
	struct pg_check *c;
	struct t d;

	row("https", port, &(struct t){.path = "/ok"}, PG_CRITICAL,
	    "SSL certificate problem", "self-signed without a CA is CRITICAL");
	row("https", port, &(struct t){.path = "/ok", .ca = cert}, PG_OK,
	    "HTTP 200, 9 bytes in ", "self-signed with ca= is OK");
	row("https", port,
	    &(struct t){.path = "/ok", .ca = cert, .cert_days = 30},
	    PG_WARNING, "certificate expires in ",
	    "cert-days=30 warns about a 5-day certificate");
	row("https", port,
	    &(struct t){.path = "/ok", .ca = cert, .cert_days = 3}, PG_OK,
	    "HTTP 200, ", "cert-days=3 does not warn about it");
	row("https", port, &(struct t){.path = "/ok", .insecure = true}, PG_OK,
	    "HTTP 200, 9 bytes in ", "insecure=yes is OK");
	row("https", port,
	    &(struct t){.path = "/missing", .insecure = true}, PG_CRITICAL,
	    "HTTP 404 (expected 200-399), TLS NOT VERIFIED",
	    "insecure=yes says so when CRITICAL too");

	d = (struct t){.path = "/ok", .insecure = true};
	c = mk("https", port, &d);
	(void)one(c, 10000, NULL);
	ok(strstr(c->r.message, "TLS NOT VERIFIED") != NULL,
	    "insecure=yes says TLS NOT VERIFIED (%s)", c->r.message);
	free_check(c);

	d = (struct t){.path = "/ok"};
	c = mk("https", port, &d);
	(void)one(c, 10000, cert);
	ok(c->r.status == PG_OK, "the run's CA file is used (%s)",
	    c->r.message);
	free_check(c);
}

static void
test_many(const char *scheme, int port, const char *cert, size_t n)
{
	struct pg_check **v = ops_xcalloc(n, sizeof(*v));
	struct pg_opts o;
	struct ops_err err;
	struct t d = {.path = "/ok", .match = "hello"};
	size_t i, good = 0;
	int64_t t0, took;

	for (i = 0; i < n; i++)
		v[i] = mk(scheme, port, &d);
	memset(&o, 0, sizeof(o));
	t0 = ops_clock_mono_ms();
	o.deadline = t0 + 30000;
	o.jobs = 50;
	o.ca_file = cert;
	ok(pg_http_run(v, n, &o, &err) == 0, "%zu %s checks, --jobs 50", n,
	    scheme);
	took = ops_clock_mono_ms() - t0;
	for (i = 0; i < n; i++) {
		if (v[i]->r.done && v[i]->r.status == PG_OK)
			good++;
		else if (i < good + 3)
			diag("check %zu: %s %s", i,
			    pg_status_name[v[i]->r.status], v[i]->r.message);
		free_check(v[i]);
	}
	free(v);
	is_int((long long)good, (long long)n, "all %zu OK (%lld ms)", n,
	    (long long)took);
}

static void
test_past_deadline(int port)
{
	struct pg_check *v[3];
	struct pg_opts o;
	struct ops_err err;
	size_t i, done = 0;

	for (i = 0; i < 3; i++)
		v[i] = mk("http", port, &(struct t){.path = "/ok"});
	memset(&o, 0, sizeof(o));
	o.deadline = ops_clock_mono_ms() - 1;
	o.jobs = 2;
	ok(pg_http_run(v, 3, &o, &err) == 0, "run with the deadline passed");
	for (i = 0; i < 3; i++) {
		done += v[i]->r.done && v[i]->r.status == PG_CRITICAL &&
		    starts(v[i]->r.message, "not checked: ");
		free_check(v[i]);
	}
	is_int((long long)done, 3, "every check has a CRITICAL result");
}

int
main(void)
{
	const char *gen[] = {"openssl", "req", "-x509", "-newkey", "ec",
	    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "5",
	    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
	    "-keyout", NULL, "-out", NULL, NULL};
	char cert[300], key[300];
	int port, sport;

	signal(SIGPIPE, SIG_IGN);
	atexit(stop_servers);
	port = start_server(NULL, NULL);
	if (port < 0) {
		printf("1..0 # SKIP cannot start python3 http.server\n");
		return 0;
	}
	test_plain(port);
	test_past_deadline(port);
	test_many("http", port, NULL, 300);

	scratch_make("t-http");
	snprintf(cert, sizeof(cert), "%s", spath("cert.pem"));
	snprintf(key, sizeof(key), "%s", spath("key.pem"));
	gen[15] = key;
	gen[17] = cert;
	if (run_quiet(gen) != 0) {
		skip(10, "openssl cannot make a certificate");
		return done_testing();
	}
	sport = start_server(cert, key);
	if (sport < 0)
		bail_out("cannot start the HTTPS server");
	test_tls(sport, cert);
	test_many("https", sport, cert, 300);
	return done_testing();
}
