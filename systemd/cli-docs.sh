#!/bin/sh
# Writes leakwatch's manual pages and shell completions, generated from the binary's own argument
# parser, so they always describe the options that binary has. Called by `make install` (and so
# by `make deb`):
#
#   cli-docs.sh BIN GENERATE_MANUAL VERSION DATE AUTHOR MANDIR BASHDIR ZSHDIR FISHDIR
#
# BIN              the leakwatch binary being installed (it is run, with --experimental-dump-help
#                  and --generate-completion-script)
# GENERATE_MANUAL  swift-argument-parser's generate-manual tool (what its GenerateManual plugin runs)
# VERSION          shown in the pages' footer
# DATE             the pages' date, yyyy-mm-dd (the changelog's, so that builds are reproducible)
# AUTHOR           'name<email>' for the AUTHORS section
# MANDIR           man1 pages go here, gzipped: leakwatch.1.gz, leakwatch-scan.1.gz,
#                  leakwatch-rules-check.1.gz, ... (one per subcommand, as git and systemd name them)
# BASHDIR ZSHDIR FISHDIR   leakwatch, _leakwatch and leakwatch.fish go here
set -eu

if [ $# -ne 9 ]; then
	echo "usage: cli-docs.sh BIN GENERATE_MANUAL VERSION DATE AUTHOR MANDIR BASHDIR ZSHDIR FISHDIR" >&2
	exit 2
fi
bin=$1 generate_manual=$2 version=$3 date=$4 author=$5 mandir=$6 bashdir=$7 zshdir=$8 fishdir=$9

work=$(mktemp -d "${TMPDIR:-/tmp}/leakwatch-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$generate_manual" "$bin" --multi-page --section 1 --date "$date" --authors "$author" \
	--output-directory "$work" >/dev/null
# The parser's built-in `help` subcommand gets a page too; it only repeats --help.
rm -f "$work/leakwatch.help.1"
[ -s "$work/leakwatch.1" ] || { echo "cli-docs.sh: $generate_manual wrote no leakwatch.1" >&2; exit 1; }

install -d -m 0755 "$mandir" "$bashdir" "$zshdir" "$fishdir"
for page in "$work"/*.1; do
	# leakwatch.rules.check.1 -> leakwatch-rules-check.1, and the same in the page's title and
	# in its cross-references. The NAME section names the page (`man leakwatch-rules-check`,
	# what apropos lists: mandb cannot index a name with spaces); the SYNOPSIS keeps the command
	# as it is typed, `leakwatch rules check`. The description loses its quotes (apropos would
	# show them). Where the command documents its exit status itself (scan: 1 means alerts found),
	# the generic "exits 0 on success, and >0 if an error occurs" goes. The footer names leakwatch
	# and its version rather than "BSD".
	name=$(basename "$page" .1 | tr . -)
	exit_status=
	if grep -q 'Exit status' "$page"; then exit_status='/^\.Sh "EXIT STATUS"$/d;/^\.Ex -std$/d'; fi
	sed -e '/^\.Xr leakwatch\.help 1/d' -e "s/^\.Os\$/.Os leakwatch $version/" -e "$exit_status" \
		-e '/^\.Sh NAME$/,/^\.Sh /{s/^\.Nm "\(leakwatch .*\)"$/.Nm '"$name"'/;s/^\.Nd "\(.*\)"$/.Nd \1/;}' \
		-e '/^\.Sh SYNOPSIS$/,/^\.Sh /s/^\.Nm$/.Nm "'"$(basename "$page" .1 | tr . ' ')"'"/' \
		-e ':dt' -e 's/^\(\.Dt LEAKWATCH[A-Z-]*\)\.\([A-Z]\)/\1-\2/' -e 'tdt' \
		-e ':xr' -e 's/^\(\.Xr leakwatch[a-z-]*\)\.\([a-z]\)/\1-\2/' -e 'txr' \
		"$page" | gzip -9n > "$mandir/$name.1.gz"
	chmod 0644 "$mandir/$name.1.gz"
done

# Completion files are sourced, not run: no #! line.
"$bin" --generate-completion-script bash | sed '1{/^#!/d}' > "$bashdir/leakwatch"
"$bin" --generate-completion-script zsh > "$zshdir/_leakwatch"
"$bin" --generate-completion-script fish > "$fishdir/leakwatch.fish"
for file in "$bashdir/leakwatch" "$zshdir/_leakwatch" "$fishdir/leakwatch.fish"; do
	[ -s "$file" ] || { echo "cli-docs.sh: $bin wrote no completion script for $file" >&2; exit 1; }
	chmod 0644 "$file"
done
