#!/bin/sh
# man pages: mandoc finds nothing to warn about, and for every command built
# in bin/, its --help and the SYNOPSIS and DESCRIPTION of its page name the
# same options (STYLE 7.10).
# shellcheck source=/dev/null
. "$(dirname "$0")/../lib.sh"

command -v mandoc >/dev/null 2>&1 || t_skip_all "mandoc is not installed"

# Shared options that the usage line does not spell out (it shows -v, -d and
# -c, or nothing): a page must document them, --help need not print them.
printf '%s\n' --conf --dir --help --verbose --version >shared.long

# Long options in file $1, one a line, sorted.
long_opts() {
	grep -oE -- '--[a-z][a-z0-9-]*' "$1" | sort -u
}

# Short options in file $1 written as "[-x" (usage line, SYNOPSIS).
short_opts() {
	grep -oE -- '\[-[A-Za-z]+' "$1" | sed 's/^\[//' | sort -u
}

# Lines of section $2 of the rendered page $1, up to the next section.
section() {
	awk -v s="$2" '/^[A-Z][A-Z ]*$/ { on = ($0 == s); next } on' "$1"
}

# Lines of list $1 that are lines of neither list $2 nor list $3.
missing() {
	while IFS= read -r m_w; do
		grep -qxF -e "$m_w" "$2" "$3" || printf '%s\n' "$m_w"
	done <"$1"
}

# Passes when file $2 is empty; else fails and shows it.
t_none() {
	if [ -s "$2" ]; then
		t_fail "$1"
		sed 's/^/#   /' "$2"
	else
		t_pass "$1"
	fi
}

# (a) every page lints clean
mandoc -Tlint -Wwarning "$T_TOP"/man/*.[1-9] >lint.out 2>&1
t_none "mandoc -Tlint -Wwarning man/* prints nothing" lint.out

# (b) every command built in bin/ against its page
ncmd=0
for bin in "$T_TOP"/bin/*; do
	[ -x "$bin" ] || continue
	cmd=$(basename "$bin")
	page=$T_TOP/man/$cmd.1
	ncmd=$((ncmd + 1))

	if "$cmd" --help >help.txt 2>help.err && [ -s help.txt ] &&
	    [ ! -s help.err ]; then
		t_pass "$cmd --help prints the usage on stdout and exits 0"
	else
		t_fail "$cmd --help prints the usage on stdout and exits 0"
		sed 's/^/# stderr: /' help.err | head -5
	fi
	if [ ! -f "$page" ]; then
		t_fail "man/$cmd.1 exists"
		continue
	fi
	t_pass "man/$cmd.1 exists"

	mandoc -Tascii "$page" | col -b >page.txt
	section page.txt SYNOPSIS >synopsis.txt
	section page.txt DESCRIPTION >description.txt
	cat synopsis.txt description.txt >both.txt

	long_opts help.txt >help.long
	long_opts synopsis.txt >synopsis.long
	long_opts description.txt >description.long
	long_opts both.txt >page.long
	short_opts help.txt >help.short
	short_opts synopsis.txt >synopsis.short

	if [ -s help.long ] && [ -s synopsis.long ] && [ -s description.long ]
	then
		t_pass "$cmd: --help, SYNOPSIS and DESCRIPTION name long options"
	else
		t_fail "$cmd: --help, SYNOPSIS and DESCRIPTION name long options"
	fi

	missing help.long synopsis.long /dev/null >miss
	t_none "$cmd: every long option of --help is in the SYNOPSIS" miss

	missing help.long description.long /dev/null >miss
	t_none "$cmd: every long option of --help is in the DESCRIPTION" miss

	missing page.long help.long shared.long >miss
	t_none "$cmd: every long option of the page is in --help" miss

	missing shared.long description.long /dev/null >miss
	t_none "$cmd: the shared options are in the DESCRIPTION" miss

	missing help.short synopsis.short /dev/null >miss
	missing synopsis.short help.short /dev/null >>miss
	t_none "$cmd: --help and the SYNOPSIS show the same short options" miss
done

if [ "$ncmd" -eq 0 ]; then
	t_n=$((t_n + 1))
	echo "ok $t_n # skip no command in bin/ (run make first)"
fi

t_done
