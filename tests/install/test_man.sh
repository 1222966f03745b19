#!/usr/bin/env bash
# parley(1) is generated from the --help texts (scripts/gen-man.sh): it must
# render without a groff warning and name every option of every command's
# --help, so a new option cannot miss the page.
set -euo pipefail
: "${PARLEY:?}" "${PL_MAN:?}"
[ -s "$PL_MAN" ] || { echo "FAIL: $PL_MAN missing or empty"; exit 1; }
command -v groff >/dev/null || { echo "SKIP: groff not installed"; exit 77; }
warn=$(groff -man -Tutf8 -ww -z "$PL_MAN" 2>&1 || true)
[ -z "$warn" ] || { echo "FAIL: groff warns:"; echo "$warn"; exit 1; }
page=$(groff -man -Tascii -rLL=250n "$PL_MAN" 2>/dev/null | sed 's/.\x08//g')
cmds=$("$PARLEY" --help | awk 'NR > 2 && NF {print $1}')
n=0 missing=0
for c in $cmds; do
  grep -qF "parley $c" <<<"$page" || { echo "FAIL: command $c not in the page"; missing=1; }
  for o in $("$PARLEY" "$c" --help 2>&1 | grep -oE '^ +--[a-z0-9-]+' | tr -d ' '); do
    n=$((n + 1))
    grep -qF -- "$o" <<<"$page" || { echo "FAIL: parley $c $o not in the page"; missing=1; }
  done
done
[ $missing = 0 ] || exit 1
echo "ok: parley(1) renders cleanly and names all $n options of $(echo $cmds | wc -w) commands"
