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
# 4 s: set-up on a loaded machine may take a second or more, and the
# remote timeout gets whole seconds of what is left
t_ok "remote sleep 30 with --timeout 4000: returns" \
	run --timeout 4000 127.0.0.1 "$port" "sleep 30.$$"
el=$(($(now_ms) - t0))
cp .err sleep.err
t_ok "... within 5 s ($el ms)" test "$el" -lt 5000
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

# --- 9. SFTP directories: list, stat, remove, mkdir
# shellcheck disable=SC2317 # called through t_ok
sf() {
	sf_cmd=$1
	shift
	ops-test-tool "$sf_cmd" --no-agent --identity "$sd/id_ed25519" \
		127.0.0.1 "$port" "$@"
}
# the line ssh-ls prints for ls/NAME of TYPE (f, d or -), from lstat
ls_line() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$(stat -c %s "ls/$1")" \
		"$(stat -c %Y "ls/$1")"
}
# "ops-test-tool: MESSAGE" as the helper reports it, into FILE
msg() {
	printf 'ops-test-tool: %s\n' "$2" >"$1"
}
at="on [127.0.0.1]:$port"
mkdir ls ls/sub
printf 'abc' >ls/a.txt
touch -d @1700000000 ls/a.txt
head -c 5000 /dev/zero >ls/b.bin
: >ls/empty
: >ls/.hidden
printf 'x\n' >'ls/with space'
ln -s a.txt ls/link
{
	ls_line .hidden f
	ls_line a.txt f
	ls_line b.bin f
	ls_line empty f
	ls_line link -
	ls_line sub d
	ls_line 'with space' f
} >want.ls
t_ok "ssh-ls: lists a directory" sf ssh-ls "$T_TMP/ls"
t_cmp "... sorted, no . or .., names, types, sizes, times" want.ls .out
t_ok "ssh-ls of an empty directory" sf ssh-ls "$T_TMP/ls/sub"
t_cmp "... prints nothing" /dev/null .out
t_exit "ssh-ls of a missing directory: exit 3" 3 sf ssh-ls "$T_TMP/nodir"
msg want.nodir "no such directory: $T_TMP/nodir $at"
t_cmp "... says no such directory" want.nodir .err
t_exit "ssh-ls of a file: exit 3" 3 sf ssh-ls "$T_TMP/ls/a.txt"
msg want.notdir "sftp: cannot list $T_TMP/ls/a.txt $at: not a directory"
t_cmp "... says not a directory" want.notdir .err
t_exit "missing directory, then a listing on the same session: exit 3" 3 \
	sf ssh-ls "$T_TMP/nodir" "$T_TMP/ls"
{
	echo "$T_TMP/ls:"
	cat want.ls
} >want.ls2
t_cmp "... the session still lists" want.ls2 .out
t_cmp "... one error" want.nodir .err
mkdir many
i=0
while [ "$i" -lt 1000 ]; do
	: >"many/f$i"
	i=$((i + 1))
done
mkdir many/d
(cd many && ls -1A) >want.many
# shellcheck disable=SC2317 # called through t_ok
names() {
	sf ssh-ls "$1" >names.all && cut -f1 names.all
}
t_ok "ssh-ls of 1001 entries (many READDIR replies)" names "$T_TMP/many"
t_cmp "... every name, once, sorted" want.many .out

printf 'a.txt\tf\t3\t1700000000\n' >want.stat
t_ok "ssh-stat of a file" sf ssh-stat "$T_TMP/ls/a.txt"
t_cmp "... name, type, size, time" want.stat .out
printf 'link\tf\t3\t1700000000\n' >want.statl
t_ok "ssh-stat of a symbolic link" sf ssh-stat "$T_TMP/ls/link"
t_cmp "... follows it" want.statl .out
t_ok "ssh-stat of a directory with a trailing slash" sf ssh-stat "$T_TMP/ls/sub/"
ls_line sub d >want.statd
t_cmp "... the last component, a directory" want.statd .out
t_exit "ssh-stat of a missing file: exit 3" 3 sf ssh-stat "$T_TMP/ls/missing"
msg want.statm "no such file: $T_TMP/ls/missing $at"
t_cmp "... says no such file" want.statm .err

t_ok "ssh-rm of a file" sf ssh-rm "$T_TMP/ls/b.bin"
t_ok "... it is gone" test ! -e ls/b.bin
grep -v '^b\.bin	' want.ls >want.rm
t_ok "... ssh-ls again" sf ssh-ls "$T_TMP/ls"
t_cmp "... lists the rest" want.rm .out
t_exit "ssh-rm of a missing file: exit 3" 3 sf ssh-rm "$T_TMP/ls/b.bin"
msg want.rmm "no such file: $T_TMP/ls/b.bin $at"
t_cmp "... says no such file" want.rmm .err
t_exit "ssh-rm of a directory: exit 3" 3 sf ssh-rm "$T_TMP/ls/sub"
msg want.rmd "sftp: cannot remove $T_TMP/ls/sub $at: it is a directory (only files are removed)"
t_cmp "... says it is a directory" want.rmd .err
t_ok "... the directory is still there" test -d ls/sub

t_ok "ssh-mkdir of a new directory" sf ssh-mkdir "$T_TMP/ls/new"
t_ok "... it is a directory" test -d ls/new
t_mode "... mode 0750 less the umask" \
	"$(printf '0%o' $((0750 & ~$(umask))))" ls/new
t_ok "ssh-mkdir of it again, and of a directory: success" \
	sf ssh-mkdir "$T_TMP/ls/new" "$T_TMP/ls/sub"
ln -s sub ls/tosub
t_ok "ssh-mkdir of a symbolic link to a directory: success" \
	sf ssh-mkdir "$T_TMP/ls/tosub"
t_exit "ssh-mkdir where a file is: exit 3" 3 sf ssh-mkdir "$T_TMP/ls/a.txt"
msg want.mkf "sftp: cannot create directory $T_TMP/ls/a.txt $at: something else of that name exists"
t_cmp "... says something else exists" want.mkf .err
t_exit "ssh-mkdir under a missing parent: exit 3" 3 \
	sf ssh-mkdir "$T_TMP/nodir/x"
msg want.mkp "sftp: cannot create directory $T_TMP/nodir/x $at: the parent directory does not exist"
t_cmp "... says the parent is missing" want.mkp .err
t_ok "... nothing was created" test ! -e nodir
if [ "$(id -u)" -ne 0 ]; then
	mkdir closed
	chmod 000 closed
	t_exit "ssh-ls of a directory without permission: exit 3" 3 \
		sf ssh-ls "$T_TMP/closed"
	msg want.perm "sftp: cannot list $T_TMP/closed $at: permission denied"
	t_cmp "... says permission denied" want.perm .err
	chmod 700 closed
else
	t_diag "running as root: no permission test"
fi

# --- 10. an SFTP server that answers the version, then nothing
cat >stall.py <<'EOP'
import struct, sys
i, o = sys.stdin.buffer, sys.stdout.buffer
def pkt():
    n = i.read(4)
    if len(n) < 4:
        sys.exit(0)
    return i.read(struct.unpack(">I", n)[0])
if pkt()[:1] == b"\x01":
    o.write(struct.pack(">IBI", 5, 2, 3))
    o.flush()
while True:
    pkt()
EOP
sd2=$T_TMP/sshd2
T_SSHD_EXTRA="ForceCommand /usr/bin/python3 $T_TMP/stall.py"
if t_sshd "$sd2"; then
	port2=$t_port
	t0=$(now_ms)
	t_exit "ssh-ls on a stalling server, --timeout 1500: exit 3" 3 \
		ops-test-tool ssh-ls --no-agent --identity "$sd2/id_ed25519" \
		--accept-new-hostkey --timeout 1500 127.0.0.1 "$port2" /a /b
	el=$(($(now_ms) - t0))
	cp .err stall.err
	t_ok "... within 3 s ($el ms)" test "$el" -lt 3000
	msg want.stall "timeout: sftp: listing of [127.0.0.1]:$port2 not done by the deadline"
	msg want.broken "session with [127.0.0.1]:$port2 is unusable after an earlier error"
	cat want.broken >>want.stall
	t_cmp "... timeout, then the broken session refuses at once" \
		want.stall stall.err
else
	t_fail "second sshd did not start"
fi
unset T_SSHD_EXTRA

t_done
