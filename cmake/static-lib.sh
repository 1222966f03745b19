#!/bin/sh
# Builds the installable libparley.a: CC OBJCOPY AR SHARED_LIB OUT OBJECTS...
# [linker flags for extra archives]. The objects are linked into one
# relocatable object, then every global symbol the shared library does not
# export (the internals, a bundled libopus) is made local, so a static link
# exposes what a dynamic one does and nothing more.
set -eu
cc=$1 objcopy=$2 ar=$3 so=$4 out=$5
shift 5
tmp=$out.tmp
rm -f "$out" "$tmp.o" "$tmp.syms"
"$cc" -r -nostdlib -o "$tmp.o" "$@"
nm -D --defined-only "$so" | awk '$2 ~ /^[A-Z]$/ {print $3}' >"$tmp.syms"
"$objcopy" --keep-global-symbols="$tmp.syms" "$tmp.o"
"$ar" rcs "$out" "$tmp.o"
rm -f "$tmp.o" "$tmp.syms"
