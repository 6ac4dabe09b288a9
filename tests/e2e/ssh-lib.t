#!/bin/sh
# lib/ssh.c against a real OpenSSH sshd on loopback, through ops-test-tool:
# host-key checks (unknown, --accept-new-hostkey, changed, hashed,
# @revoked, key-type preference from known_hosts), agent and key-file
# authentication (passphrase, wrong key, RSA), exec (stdout, stderr,
# status, truncation, quoting), timeouts, 50 sessions at once, SFTP.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v ops-test-tool >/dev/null 2>&1 ||
	t_skip_all "build/tests/ops-test-tool is not built (make tests)"
[ -x /usr/sbin/sshd ] || t_skip_all "sshd is not installed"
[ -x /usr/bin/python3 ] || t_skip_all "python3 is not installed"
unset SSH_AUTH_SOCK SSH_AGENT_PID
t_sshd "$T_TMP/sshd" || t_skip_all "sshd did not start"
port=$t_port
sd=$T_TMP/sshd
kh=$HOME/.ssh/known_hosts

# ssh-run with the test user key and no agent; more options may follow
run() {
	ops-test-tool ssh-run --no-agent --identity "$sd/id_ed25519" "$@"
}
# milliseconds since an arbitrary point
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
# "[127.0.0.1]:PORT TYPE KEY" from a .pub file
kh_line() {
	printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$1")"
}
printf 'hi\n' >want.hi

# --- 1. unknown host key
fp=$(ssh-keygen -lf "$sd/host_ed25519.pub" | cut -d' ' -f2)
t_exit "unknown host key: refused" 3 run 127.0.0.1 "$port" 'echo hi'
cp .err unknown.err
t_grep "... the message has the SHA256 fingerprint" "$fp" unknown.err
t_grep "... and says it is unknown" "host key unknown: [127.0.0.1]:$port offers ssh-ed25519" unknown.err
t_grep "... and the fix" "run again with --accept-new-hostkey" unknown.err
t_grep "... or ssh-keyscan" "ssh-keyscan -t ssh-ed25519 -p $port 127.0.0.1 >> ~/.ssh/known_hosts" unknown.err
t_ok "... nothing was recorded" test ! -e "$kh"
t_ok "--accept-new-hostkey: runs" run --accept-new-hostkey 127.0.0.1 "$port" 'echo hi'
t_cmp "... output" want.hi .out
kh_line "$sd/host_ed25519.pub" >kh.good
t_cmp "... the ed25519 key is recorded" kh.good "$kh"
t_ok "second run without the flag" run 127.0.0.1 "$port" 'echo hi'
t_cmp "... output" want.hi .out

# --- 2. changed host key
ssh-keygen -q -t ed25519 -N '' -C other -f other_host
kh_line other_host.pub >kh.changed
cp kh.changed "$kh"
t_exit "changed host key: refused" 3 run 127.0.0.1 "$port" 'echo hi'
t_grep "... HOST KEY CHANGED" "HOST KEY CHANGED for [127.0.0.1]:$port" .err
t_grep "... names the line and how to remove it" "remove line 1 (ssh-keygen -R" .err
t_exit "... also refused with --accept-new-hostkey" 3 \
	run --accept-new-hostkey 127.0.0.1 "$port" 'echo hi'
t_grep "... HOST KEY CHANGED" "HOST KEY CHANGED" .err
t_cmp "... known_hosts unchanged" kh.changed "$kh"

# --- 3. hashed entries, @revoked, key-type preference
cp kh.good "$kh"
ssh-keygen -q -H -f "$kh" >/dev/null 2>&1
rm -f "$kh.old"
t_grep "hashed known_hosts: the entry is hashed" "|1|" "$kh"
t_ok "hashed known_hosts: verifies" run 127.0.0.1 "$port" 'echo hi'
{
	cat kh.good
	printf '@revoked * %s\n' "$(cut -d' ' -f1,2 "$sd/host_ed25519.pub")"
} >"$kh"
t_exit "@revoked key: refused" 3 run --accept-new-hostkey 127.0.0.1 "$port" 'echo hi'
t_grep "... host key revoked" "host key revoked: [127.0.0.1]:$port" .err
kh_line "$sd/host_ecdsa.pub" >kh.ecdsa
cp kh.ecdsa "$kh"
t_ok "known_hosts with only the ECDSA key: verifies" \
	run --accept-new-hostkey 127.0.0.1 "$port" 'echo hi'
t_cmp "... nothing added (ECDSA was negotiated)" kh.ecdsa "$kh"
cp kh.good "$kh"
t_ok "known_hosts with only the ed25519 key: verifies" \
	run --accept-new-hostkey 127.0.0.1 "$port" 'echo hi'
t_cmp "... nothing added" kh.good "$kh"

# --- 4. authentication
eval "$(ssh-agent -s)" >/dev/null
t_pids="$t_pids $SSH_AGENT_PID"
ssh-add -q "$sd/id_ed25519" 2>/dev/null
t_ok "no key files in ~/.ssh" test ! -e "$HOME/.ssh/id_ed25519"
t_ok "agent: authenticates" ops-test-tool ssh-run 127.0.0.1 "$port" 'echo hi'
t_cmp "... output" want.hi .out
t_exit "--no-agent and no key file: fails" 3 \
	ops-test-tool ssh-run --no-agent 127.0.0.1 "$port" 'echo hi'
t_grep "... no key to try" "authentication failed for" .err
t_ok "key file (--no-agent --identity)" run 127.0.0.1 "$port" 'echo hi'
cp "$sd/id_ed25519" "$HOME/.ssh/id_ed25519"
t_ok "default key ~/.ssh/id_ed25519" \
	ops-test-tool ssh-run --no-agent 127.0.0.1 "$port" 'echo hi'
rm -f "$HOME/.ssh/id_ed25519"
ssh-keygen -q -t ed25519 -N secret -C encrypted -f enc_key
cat enc_key.pub >>"$sd/authorized_keys"
printf 'secret\n' >pass
chmod 600 pass
t_ok "encrypted key with --passphrase-file" ops-test-tool ssh-run --no-agent \
	--identity enc_key --passphrase-file pass 127.0.0.1 "$port" 'echo hi'
t_cmp "... output" want.hi .out
t_exit "encrypted key without the passphrase: fails" 3 \
	ops-test-tool ssh-run --no-agent --identity enc_key 127.0.0.1 "$port" 'echo hi'
t_grep "... says it cannot load the key" "enc_key (cannot load it" .err
ssh-keygen -q -t ed25519 -N '' -C wrong -f wrong_key
t_exit "a key the server does not know: exit 3" 3 \
	ops-test-tool ssh-run --no-agent --identity wrong_key 127.0.0.1 "$port" 'echo hi'
t_grep "... authentication failed" "authentication failed for $(id -un)@[127.0.0.1]:$port" .err
t_grep "... lists the key tried" "tried wrong_key (rejected)" .err
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa -f rsa_key
cat rsa_key.pub >>"$sd/authorized_keys"
t_exit "an RSA key (authorized): fails" 3 \
	ops-test-tool ssh-run --no-agent --identity rsa_key 127.0.0.1 "$port" 'echo hi'
t_grep "... says RSA does not work with libssh2 1.10" "RSA keys do not work with libssh2 1.10" .err
t_grep "... and what to use" "use an ed25519 or ECDSA key" .err
cp rsa_key "$HOME/.ssh/id_rsa"
t_exit "only ~/.ssh/id_rsa: fails" 3 \
	ops-test-tool ssh-run --no-agent 127.0.0.1 "$port" 'echo hi'
t_grep "... with the RSA message" "RSA keys do not work" .err
rm -f "$HOME/.ssh/id_rsa"
ssh-add -q -D 2>/dev/null
ssh-add -q rsa_key 2>/dev/null
t_exit "an agent holding only an RSA key: fails" 3 \
	ops-test-tool ssh-run 127.0.0.1 "$port" 'echo hi'
t_grep "... with the RSA message" "RSA keys do not work" .err
t_grep "... naming the agent key" "agent key ssh-rsa rsa (rejected)" .err
ssh-add -q -D 2>/dev/null
t_exit "an empty agent and no key file: fails" 3 \
	ops-test-tool ssh-run 127.0.0.1 "$port" 'echo hi'
t_grep "... says the agent holds no keys" "ssh-agent (holds no keys)" .err

# --- 5. exec
t_ok "exec: runs" run 127.0.0.1 "$port" 'echo out; echo err >&2; exit 7'
printf 'out\n' >want.out
printf 'err\nstatus=7\n' >want.err
t_cmp "... stdout" want.out .out
t_cmp "... stderr, then exit status 7" want.err .err
printf 'line 1\nline 2\n' >in.txt
# shellcheck disable=SC2317 # called through t_ok
run_stdin() {
	run --stdin "$@" <in.txt
}
t_ok "exec with stdin" run_stdin 127.0.0.1 "$port" 'cat; echo end'
printf 'line 1\nline 2\nend\n' >want.in
t_cmp "... stdin reached the command" want.in .out
t_ok "5 MB of output, 1 MiB limit" \
	run 127.0.0.1 "$port" 'head -c 5000000 /dev/zero; echo done >&2'
cp .out trunc.out
cp .err trunc.err
t_ok "... stdout cut at 1 MiB" test "$(wc -c <trunc.out)" -eq 1048576
printf 'done\nstatus=0\ntruncated\n' >want.trunc
t_cmp "... the rest was read (status 0), truncated flagged" want.trunc trunc.err
pw=$T_TMP/PWNED-$$
nl='
'
for a in "x'; touch $pw; echo '" "\$(touch $pw)" "\`touch $pw\`" \
	"; touch $pw" "| touch $pw" "& touch $pw" "x${nl}touch $pw" \
	"'\"\\\$HOME * ? ~ #" "-n" "" "''''" "\\'"; do
	printf '%s\n' "$a" >want.echo
	t_ok "ssh-echo $(printf '%s' "$a" | tr '\n' N)" \
		ops-test-tool ssh-echo --no-agent --identity "$sd/id_ed25519" \
		127.0.0.1 "$port" -- "$a"
	t_cmp "... output is the argument byte for byte" want.echo .out
done
t_ok "... no file was created" test ! -e "$pw"

# --- 6. timeouts
t_start hang.port /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)
' hang.port
hp=$t_port
t0=$(now_ms)
t_exit "a server that never answers: exit 3" 3 \
	run --timeout 2000 127.0.0.1 "$hp" 'echo hi'
el=$(($(now_ms) - t0))
cp .err hang.err
t_ok "... within the timeout + 1 s ($el ms)" test "$el" -lt 3000
t_grep "... says timeout" "timeout: handshake" hang.err
t0=$(now_ms)
t_ok "remote sleep 30 with --timeout 2000: returns" \
	run --timeout 2000 127.0.0.1 "$port" "sleep 30.$$"
el=$(($(now_ms) - t0))
cp .err sleep.err
t_ok "... within 3 s ($el ms)" test "$el" -lt 3000
t_grep "... status 124: the remote timeout fired" "status=124" sleep.err
# shellcheck disable=SC2317 # called through t_ok
gone() {
	i=0
	while pgrep -f "$1" >/dev/null && [ "$i" -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! pgrep -f "$1" >/dev/null
}
t_ok "... the remote sleep is gone" gone "sleep 30\\.$$"
t0=$(now_ms)
t_exit "a command that ignores SIGTERM: local deadline, exit 3" 3 \
	run --timeout 2000 127.0.0.1 "$port" "trap '' TERM; sleep 31.$$"
el=$(($(now_ms) - t0))
cp .err term.err
t_ok "... within 3 s ($el ms)" test "$el" -lt 3000
t_grep "... says timeout" "timeout: command" term.err
t_ok "... the remote timeout kills it 5 s later" gone "sleep 31\\.$$"

# --- 7. 50 sessions at once
t0=$(now_ms)
i=0
pids=
while [ "$i" -lt 50 ]; do
	run --timeout 30000 127.0.0.1 "$port" "echo s$i" >"par.$i.out" 2>"par.$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
el=$(($(now_ms) - t0))
t_ok "50 concurrent sessions: all exit 0" test "$fails" -eq 0
bad=0
i=0
while [ "$i" -lt 50 ]; do
	[ "$(cat "par.$i.out")" = "s$i" ] || bad=$((bad + 1))
	i=$((i + 1))
done
t_ok "... each printed its own output" test "$bad" -eq 0
t_diag "50 concurrent sessions took $el ms"

# --- 8. SFTP
# shellcheck disable=SC2317 # called through t_ok
put() {
	ops-test-tool sftp-put --no-agent --identity "$sd/id_ed25519" \
		--timeout 60000 127.0.0.1 "$port" "$@"
}
# shellcheck disable=SC2317 # called through t_ok
get() {
	ops-test-tool sftp-get --no-agent --identity "$sd/id_ed25519" \
		--timeout 60000 127.0.0.1 "$port" "$@"
}
mkdir up
head -c 100M /dev/urandom >big
t0=$(now_ms)
t_ok "sftp-put 100 MB" put big "$T_TMP/up/big"
up_ms=$(($(now_ms) - t0))
t0=$(now_ms)
t_ok "sftp-get 100 MB" get "$T_TMP/up/big" big.back
down_ms=$(($(now_ms) - t0))
sha256sum <big >sum.want
sha256sum <big.back >sum.got
t_cmp "... round trip: same SHA-256" sum.want sum.got
t_mode "... uploaded with mode 0640" 0640 up/big
t_diag "100 MB: upload $up_ms ms, download $down_ms ms"
t_ok "... no temporary left" test -z "$(find up -name '.big.*')"
put big "$T_TMP/up/killed" 2>/dev/null &
kp=$!
sleep 0.2
kill -9 "$kp" 2>/dev/null
wait "$kp" 2>/dev/null
t_ok "upload killed with -9 after 0.2 s: the final name does not exist" \
	test ! -e up/killed
# A leftover up/.killed.XXXXXX.tmp is expected after kill -9: nobody was
# left to remove it; the final name never appears half-written.
t_diag "left after kill -9: $(cd up && find . -name '.killed.*' | tr '\n' ' ')"
printf 'old\n' >want.old
cp want.old up/exists
printf 'new\n' >new
t_exit "put onto an existing name: exit 3" 3 put new "$T_TMP/up/exists"
t_grep "... says it exists" "exists already" .err
t_cmp "... the old file is intact" want.old up/exists
t_ok "... no temporary left" test -z "$(find up -name '.exists.*')"
t_exit "put into a missing directory: exit 3" 3 put new "$T_TMP/nodir/x"
t_exit "get of a missing file: exit 3" 3 get "$T_TMP/up/missing" missing.out
t_grep "... no such file" "no such file" .err

t_done
