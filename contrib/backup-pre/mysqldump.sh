#!/bin/sh
# mysqldump.sh - dump MySQL or MariaDB databases before opsbackup(1) reads
# them
#
# Use it as the pre command of a backup set whose source is the dump
# directory:
#
#   install -m 755 contrib/backup-pre/mysqldump.sh /usr/local/lib/ops/
#
#   [backup "db"]
#   source = /var/backups/db
#   pre = /usr/local/lib/ops/mysqldump.sh
#   dest = /backup/ops
#
# For every database it writes DIR/NAME.sql with mysqldump
# --single-transaction (a consistent snapshot of InnoDB tables without
# locking them; MyISAM and Aria tables, such as most of the "mysql"
# database of MariaDB, are read without that guarantee), with routines,
# events and triggers, as a script that recreates the database
# (--databases).  Each dump goes to a temporary file in DIR first, and is
# renamed over the old one only when mysqldump succeeded and the file is
# not empty: a failed dump never replaces the last good one.  The script
# goes on with the other databases, then exits 1 when any dump failed, so
# that opsbackup fails the backup of the set and says so in backups.tsv
# and on standard error.  opsbackup compresses the dumps; they are
# written plain.
#
# Settings, from the environment; give them in front of the command on
# the pre line, as in
#   pre = "MYSQL_DATABASES='shop wiki' /usr/local/lib/ops/mysqldump.sh"
#
#   OPS_DUMP_DIR         where the dumps go (default /var/backups/db);
#                        created when missing, mode 0700
#   MYSQL_DATABASES      the databases to dump, separated by blanks
#                        (default: every database but information_schema,
#                        performance_schema and sys)
#   MYSQL_DEFAULTS_FILE  an option file with the [client] user and
#                        password, mode 0600 (default none: root on
#                        Debian logs in through the unix socket)
#   MYSQLDUMP_OPTS       more options for mysqldump, split at blanks
#                        (default none)
#
# The dumps of databases that were dropped stay in DIR: remove them by
# hand.
# SPDX-License-Identifier: MIT
set -eu

prog=mysqldump.sh
dir=${OPS_DUMP_DIR:-/var/backups/db}
defaults=${MYSQL_DEFAULTS_FILE:-}
opts=${MYSQLDUMP_OPTS:-}

umask 077

# my COMMAND [ARG...]: run mysql or mysqldump, with the option file first
# when one is given (the client requires it to come first).
my() {
	m_cmd=$1
	shift
	if [ -n "$defaults" ]; then
		"$m_cmd" --defaults-extra-file="$defaults" "$@"
	else
		"$m_cmd" "$@"
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
if [ -n "${MYSQL_DATABASES:-}" ]; then
	# shellcheck disable=SC2086 # split at blanks on purpose
	list=$(printf '%s\n' $MYSQL_DATABASES)
elif ! list=$(my mysql --batch --skip-column-names -e 'SHOW DATABASES'); then
	echo "$prog: cannot list the databases (mysql failed)" >&2
	exit 1
fi

failed=0
n=0
while IFS= read -r db; do
	case $db in
	'' | information_schema | performance_schema | sys) continue ;;
	esac
	n=$((n + 1))
	# a file name from the database name: no '/', no leading '.'
	file=$(printf '%s' "$db" | tr '/' '_' | sed 's/^\./_/').sql
	# shellcheck disable=SC2086 # MYSQLDUMP_OPTS is split at blanks on purpose
	dump "$file" my mysqldump --single-transaction --routines --events \
	    --triggers --hex-blob $opts --databases "$db" || failed=1
done <<EOF
$list
EOF

if [ "$n" -eq 0 ]; then
	echo "$prog: no database to dump" >&2
	exit 1
fi
exit "$failed"
