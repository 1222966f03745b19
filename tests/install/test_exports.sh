#!/usr/bin/env bash
# libparley exports the public API and nothing else: the dynamic symbols of
# libparley.so (and the global symbols of the installable libparley.a) must
# be exactly the functions include/parley.h declares. An internal symbol
# leaking out (a missing -fvisibility=hidden, a bundled libopus, an .incbin
# model) or a declared function missing its PL_API fails here.
set -euo pipefail
: "${PL_SOURCE_DIR:?}" "${PL_LIB_DIR:?}"
so=$PL_LIB_DIR/libparley.so
ar=$PL_LIB_DIR/libparley.a
[ -f "$so" ] && [ -f "$ar" ] || { echo "FAIL: $so or $ar not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Declared: every pl_* name followed by "(" outside comments, except the
# function-pointer typedefs "(*pl_x_cb)(".
gcc -fpreprocessed -dD -E -P "$PL_SOURCE_DIR/include/parley.h" | tr '\n' ' ' |
  grep -oE '(\(\*)?\bpl_[a-z0-9_]+ *\(' | grep -v '^(\*' | sed 's/ *($//' |
  sort -u >"$tmp/declared"
n_decl=$(wc -l <"$tmp/declared")
[ "$n_decl" -ge 50 ] || { echo "FAIL: only $n_decl declarations parsed from parley.h"; exit 1; }
# One name on purpose beside the API: gettimeofday, which net/sctp/sctp_clock.c
# defines so that libusrsctp's calls read the call's (possibly simulated)
# clock. Hidden, libusrsctp would bind to libc's and SCTP would never
# retransmit on a simulated clock (unit/sctp).
{ cat "$tmp/declared"; echo gettimeofday; } | sort -u >"$tmp/declared.all"
mv "$tmp/declared.all" "$tmp/declared"

check() { # what file
  local what=$1 list=$2 rc=0
  local extra missing
  extra=$(comm -13 "$tmp/declared" "$list")
  missing=$(comm -23 "$tmp/declared" "$list")
  if [ -n "$extra" ]; then
    echo "FAIL: $what exports $(echo "$extra" | wc -l) symbols that parley.h does not declare:"
    echo "$extra" | head -40 | sed 's/^/  /'
    rc=1
  fi
  if [ -n "$missing" ]; then
    echo "FAIL: $what lacks $(echo "$missing" | wc -l) functions parley.h declares (PL_API missing?):"
    echo "$missing" | sed 's/^/  /'
    rc=1
  fi
  [ $rc = 0 ] && echo "ok: $what exports exactly the $(wc -l <"$list") functions of parley.h"
  return $rc
}

# Every defined dynamic symbol, whatever its type (functions, data, weak).
nm -D --defined-only "$so" | awk 'NF == 3 {print $3}' | sed 's/@.*//' | sort -u >"$tmp/so"
# Every global defined symbol of the static library (U: undefined, lower
# case: local).
nm "$ar" | awk 'NF == 3 && $2 ~ /^[A-TV-Z]$/ {print $3}' | sort -u >"$tmp/ar"
rc=0
check "$so" "$tmp/so" || rc=1
check "$ar" "$tmp/ar" || rc=1

# The SONAME carries the major version of parley.h.
major=$(sed -n 's/^#define PL_VERSION_MAJOR \([0-9]*\).*/\1/p' "$PL_SOURCE_DIR/include/parley.h")
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "libparley.so.$major" ]; then
  echo "FAIL: SONAME '$soname', want libparley.so.$major"
  rc=1
fi
exit $rc
