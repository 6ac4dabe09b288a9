#!/bin/sh
# opsbackup killed with SIGKILL at random moments of "run", 20 times:
# no archive under a final name is incomplete, backups.tsv stays
# well-formed, every earlier generation still verifies, and the next
# run cleans up and succeeds.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

SRC=$T_TMP/src
DEST=$T_TMP/dest
CAT=$T_TMP/data/backups.tsv
BIN=$T_TOP/bin/opsbackup

mkdir -p "$SRC"
i=0
while [ $i -lt 40 ]; do
	mkdir -p "$SRC/d$i"
	seq 1 $((i * 500 + 10)) >"$SRC/d$i/f.txt"
	i=$((i + 1))
done
head -c 30000000 /dev/urandom >"$SRC/big.bin"

cat >"$OPS_CONF" <<EOF
[backup "c"]
source = $SRC
dest = $DEST
keep = 30
EOF

t_ok "first generation" env OPS_NOW=2026-11-01T02:00:00+09:00 opsbackup run c
# how long a run takes, to spread the kills over it
s=$(date +%s%N)
OPS_NOW=2026-11-01T03:00:00+09:00 "$BIN" run c
span_ms=$((($(date +%s%N) - s) / 1000000))
t_diag "a run takes $span_ms ms"

trial=1
while [ $trial -le 20 ]; do
	delay=$(awk -v seed="$trial" -v span="$span_ms" 'BEGIN { srand(seed); printf "%.3f", rand() * span / 1000 }')
	day=$(printf '%02d' $((trial + 1)))
	OPS_NOW=2026-11-${day}T02:00:00+09:00 "$BIN" run c >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	bad=
	# every archive under a final name is complete
	for a in "$DEST"/c-*.tar.zst; do
		[ -f "$a" ] || continue
		zstd -qt "$a" 2>/dev/null || bad="$bad incomplete:$a"
	done
	# backups.tsv: the header, then rows of 11 fields (a torn last line
	# is allowed by SPEC 3.4 and skipped by readers)
	awk -F'\t' 'NR == 1 && $1 != "id" { exit 1 } NR > 1 && NF != 11 { exit 1 }' "$CAT" ||
		bad="$bad catalog"
	# every sealed generation verifies
	opsbackup verify c >"$T_TMP/v.out" 2>&1 || bad="$bad verify"
	if [ -z "$bad" ]; then
		t_pass "kill -9 after ${delay}s (trial $trial): tree consistent"
	else
		t_fail "kill -9 after ${delay}s (trial $trial):$bad"
		sed 's/^/# /' "$T_TMP/v.out" | head -10
	fi
	trial=$((trial + 1))
done

t_ok "a run after the kills succeeds" env OPS_NOW=2026-11-29T02:00:00+09:00 opsbackup run c
t_ok "no temporary left in the destination" sh -c "! ls -A '$DEST' | grep -q '^\\.'"
t_ok "no unsealed leftover" sh -c "for a in '$DEST'/c-*.tar.zst; do [ -f \"\${a%.tar.zst}.seal\" ] || exit 1; done"
t_exit "everything verifies" 0 opsbackup verify c
t_ok "and the newest restores" opsbackup restore c "$T_TMP/r"
t_ok "with the same content" cmp "$SRC/big.bin" "$T_TMP/r$SRC/big.bin"

t_done
