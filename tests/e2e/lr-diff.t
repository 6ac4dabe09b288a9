#!/bin/sh
# opslog-rotate against logrotate 3.21, differential: every scenario of
# tests/data/lr-diff/ (a configuration, the days to simulate and what to
# append between runs) is run by logrotate under faketime in one tree and
# by opslog-rotate with OPS_NOW in another; file names, modes, owners,
# decompressed contents, exit status classes and script runs must be the
# same.  See tests/helper/lr-diff-run for the scenario format.
#
# LR_DIFF_ENGINE=logrotate runs logrotate against itself (to check that a
# new scenario is deterministic); LR_DIFF_ONLY=NAME runs one scenario;
# LR_DIFF_JOBS (default 4) scenarios run at once.
T_TIMEOUT=${T_TIMEOUT:-15}
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

command -v logrotate >/dev/null 2>&1 || t_skip_all "logrotate is not installed"
command -v faketime >/dev/null 2>&1 || t_skip_all "faketime is not installed"
for z in gzip bzip2 xz zstd; do
	command -v $z >/dev/null 2>&1 || t_skip_all "$z is not installed"
done
engine=${LR_DIFF_ENGINE:-opslog-rotate}
jobs=${LR_DIFF_JOBS:-4}
run=$T_TOP/tests/helper/lr-diff-run
if [ "$engine" != logrotate ] && [ ! -x "$T_TOP/bin/opslog-rotate" ]; then
	t_diag "bin/opslog-rotate is not built: every scenario will fail"
fi

names=
for f in "$T_TOP"/tests/data/lr-diff/*.conf; do
	n=$(basename "$f" .conf)
	[ -n "${LR_DIFF_ONLY:-}" ] && [ "$n" != "$LR_DIFF_ONLY" ] && continue
	names="$names $n"
done

# run them $jobs at a time, each into its own directory
# shellcheck disable=SC2086 # the names, split on purpose
set -- $names
while [ $# -gt 0 ]; do
	batch=
	i=0
	while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
		(
			"$run" -k -b "$engine" "$T_TOP/tests/data/lr-diff/$1.conf" "$T_TMP/$1" >"$T_TMP/$1.diff" 2>&1
			echo $? >"$T_TMP/$1.rc"
		) &
		batch="$batch $!"
		shift
		i=$((i + 1))
	done
	for p in $batch; do
		wait "$p"
	done
done

for n in $names; do
	desc=$(sed -n 's/^# lr-diff: //p' "$T_TOP/tests/data/lr-diff/$n.conf" | head -1)
	rc=$(cat "$T_TMP/$n.rc" 2>/dev/null)
	case $rc in
	0)
		t_pass "$n: $desc"
		rm -rf "${T_TMP:?}/$n"
		;;
	77) t_pass "$n: $desc # SKIP $(head -1 "$T_TMP/$n.diff")" ;;
	*)
		t_fail "$n: $desc"
		t_diag "lr-diff-run exit ${rc:-none}; A = logrotate, B = $engine; trees kept in $T_TMP/$n"
		sed 's/^/# /' "$T_TMP/$n.diff" | head -70
		;;
	esac
done

t_done
