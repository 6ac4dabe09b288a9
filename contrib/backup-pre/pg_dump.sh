#!/bin/sh
# pg_dump.sh - dump PostgreSQL databases before opsbackup(1) reads them
#
# Use it as the pre command of a backup set whose source is the dump
# directory:
#
#   install -m 755 contrib/backup-pre/pg_dump.sh /usr/local/lib/ops/
#
#   [backup "db"]
#   source = /var/backups/db
#   pre = /usr/local/lib/ops/pg_dump.sh
#   dest = /backup/ops
#
# For every database it writes DIR/NAME.pgdump (pg_dump's custom format,
# for pg_restore) and DIR/pg_globals.sql (roles and tablespaces, from
# pg_dumpall --globals-only, for psql).  Each dump goes to a temporary
# file in DIR first, and is renamed over the old one only when the dump
# command succeeded and the file is not empty: a failed dump never
# replaces the last good one.  The script goes on with the other
# databases, then exits 1 when any dump failed, so that opsbackup fails
# the backup of the set and says so in backups.tsv and on standard error.
#
# Settings, from the environment; give them in front of the command on
# the pre line, as in
#   pre = "PG_DATABASES='app wiki' /usr/local/lib/ops/pg_dump.sh"
#
#   OPS_DUMP_DIR   where the dumps go (default /var/backups/db); created
#                  when missing, mode 0700
#   PG_DATABASES   the databases to dump, separated by blanks (default:
#                  every database that accepts connections, templates
#                  excepted)
#   PG_RUN_AS      when run as root, run the PostgreSQL tools as this
#                  user through runuser(1), so that peer authentication
#                  works (default postgres; set it empty to run them as
#                  root)
#   PG_DUMP_OPTS   more options for pg_dump, split at blanks (default
#                  none)
#   PG_GLOBALS     "no" to skip pg_globals.sql, which needs a superuser
#                  (default yes)
#
# Connection settings (PGHOST, PGPORT, PGUSER, PGPASSFILE...) reach the
# PostgreSQL tools through the environment as usual.  The dumps of
# databases that were dropped stay in DIR: remove them by hand.
# SPDX-License-Identifier: MIT
set -eu

prog=pg_dump.sh
dir=${OPS_DUMP_DIR:-/var/backups/db}
run_as=${PG_RUN_AS-postgres}
opts=${PG_DUMP_OPTS:-}

umask 077
# the tools may run as another user, who need not be able to enter the
# current directory
cd /

# pg COMMAND [ARG...]: run a PostgreSQL tool, as $run_as when root.
pg() {
	if [ -n "$run_as" ] && [ "$(id -u)" -eq 0 ]; then
		runuser -u "$run_as" -- "$@"
	else
		"$@"
	fi
}

# dump FILE COMMAND [ARG...]: run COMMAND with its standard output into a
# temporary file in $dir, and rename that to $dir/FILE when the command
# succeeded and wrote something; else remove it, say why and return 1.
dump() {
	d_file=$1
	shift
	if ! d_tmp=$(mktemp "$dir/.$d_file.XXXXXX"); then
		echo "$prog: $dir: cannot make a temporary file" >&2
		return 1
	fi
	if ! "$@" >"$d_tmp"; then
		rm -f "$d_tmp"
		echo "$prog: $d_file: the dump failed; the last good one is kept" >&2
		return 1
	fi
	if [ ! -s "$d_tmp" ]; then
		rm -f "$d_tmp"
		echo "$prog: $d_file: the dump is empty; the last good one is kept" >&2
		return 1
	fi
	if ! mv -f "$d_tmp" "$dir/$d_file"; then
		rm -f "$d_tmp"
		echo "$prog: $d_file: cannot rename the dump into place" >&2
		return 1
	fi
}

if ! mkdir -p "$dir"; then
	echo "$prog: cannot make $dir" >&2
	exit 1
fi

# the databases, one a line
if [ -n "${PG_DATABASES:-}" ]; then
	# shellcheck disable=SC2086 # split at blanks on purpose
	list=$(printf '%s\n' $PG_DATABASES)
elif ! list=$(pg psql -X -A -t -q -d postgres -c \
    "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1"); then
	echo "$prog: cannot list the databases (psql failed)" >&2
	exit 1
fi
if [ -z "$list" ]; then
	echo "$prog: no database to dump" >&2
	exit 1
fi

failed=0
if [ "${PG_GLOBALS:-yes}" != no ]; then
	dump pg_globals.sql pg pg_dumpall --globals-only || failed=1
fi
while IFS= read -r db; do
	[ -n "$db" ] || continue
	# a file name from the database name: no '/', no leading '.'
	file=$(printf '%s' "$db" | tr '/' '_' | sed 's/^\./_/').pgdump
	# shellcheck disable=SC2086 # PG_DUMP_OPTS is split at blanks on purpose
	dump "$file" pg pg_dump -Fc $opts -d "$db" || failed=1
done <<EOF
$list
EOF

exit "$failed"
