#!/usr/bin/env bash
# Builds libopus >= 1.5 with its neural tools (deep PLC, DRED, LACE/NoLACE,
# and from 1.6 the blind bandwidth extension) from Debian's own source package
# into a static prefix, for CMakeLists.txt to prefer over the system's 1.3.1
# (Debian 12). Suites are tried in order, the first that has a usable source
# wins: forky (Debian 14, opus 1.6.x, with BWE), then trixie (Debian 13, opus
# 1.5.2). PL_OPUS_SUITE="trixie" (or any list) overrides the order.
#   scripts/build-opus.sh [PREFIX]     default: build-deps/opus in the repo
# Idempotent: does nothing when PREFIX already holds a finished build.
# Touches nothing of the machine's apt setup: a private sources list, lists
# and cache under a temporary directory (apt-get source needs dpkg-dev).
# Why build at all: Debian's libopus0 builds deep PLC and OSCE but leaves DRED
# out (debian/rules); Debian's orig tarball is upstream's release tarball,
# which carries every model's weights (dnn/*_data.c), so nothing else is
# fetched.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-${PL_OPUS_PREFIX:-$root/build-deps/opus}}
suites=${PL_OPUS_SUITE:-forky trixie}
stamp=$prefix/.parley-built

if [ -f "$stamp" ] && [ -f "$prefix/lib/libopus.a" ]; then
  exit 0
fi
for tool in apt-get dpkg-source make cc; do
  if ! command -v "$tool" >/dev/null; then
    echo "build-opus: '$tool' missing (install-deps.sh installs dpkg-dev and build-essential)" >&2
    exit 1
  fi
done

t0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-opus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# One suite: fetch its source into $tmp/$1; prints the source folder, or
# says on stderr why that suite's source cannot be used and returns 1.
fetch_suite() {
  local suite=$1 d=$tmp/$1
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
  echo "deb-src http://deb.debian.org/debian $suite main" >"$d/sources.list"
  local apt_opts=(-q -o "Dir::Etc::SourceList=$d/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache"
    -o APT::Sandbox::User=root -o Acquire::Retries=1 -o Acquire::http::Timeout=20)
  echo "build-opus: fetching Debian $suite's opus source" >&2
  apt-get "${apt_opts[@]}" update >"$d/apt.log" 2>&1 || {
    tail -5 "$d/apt.log" >&2; echo "build-opus: apt-get update ($suite deb-src) failed" >&2; return 1; }
  (cd "$d" && apt-get "${apt_opts[@]}" source --only-source opus >>"$d/apt.log" 2>&1) || {
    tail -5 "$d/apt.log" >&2; echo "build-opus: apt-get source opus ($suite) failed" >&2; return 1; }
  local src version
  src=$(find "$d" -maxdepth 1 -type d -name 'opus-*' | head -1)
  version=$(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' "$src/configure" | head -1)
  local weights="plc_data.c dred_rdovae_enc_data.c dred_rdovae_dec_data.c lace_data.c nolace_data.c"
  case "$version" in
    1.5.*) ;;
    1.6.*|1.7.*) weights="$weights bbwenet_data.c" ;;
    *) echo "build-opus: Debian $suite has opus '$version', need 1.5 to 1.7" >&2; return 1 ;;
  esac
  for w in $weights; do
    if [ ! -s "$src/dnn/$w" ]; then
      echo "build-opus: Debian $suite's opus $version lacks the model weights dnn/$w" >&2
      return 1
    fi
  done
  echo "$src"
}

src= version=
for suite in $suites; do
  if src=$(fetch_suite "$suite"); then
    version=$(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' "$src/configure" | head -1)
    break
  fi
  src=
done
[ -n "$src" ] || { echo "build-opus: no usable opus source in: $suites" >&2; exit 1; }

echo "build-opus: building opus $version from $suite (deep PLC, DRED, OSCE) into $prefix"
rm -rf "$prefix"
(cd "$src" &&
  ./configure --prefix="$prefix" --enable-deep-plc --enable-dred --enable-osce \
    --disable-shared --enable-static --with-pic --disable-doc --disable-extra-programs \
    >"$tmp/configure.log" 2>&1 &&
  make -j"${JOBS:-$(nproc)}" >"$tmp/make.log" 2>&1 &&
  make install >"$tmp/install.log" 2>&1) || {
  tail -40 "$tmp"/*.log >&2; echo "build-opus: build failed" >&2; exit 1; }
cp "$src/debian/changelog" "$prefix/debian-changelog"
# "VERSION DEBIAN-VERSION SUITE": CMake reads the first word.
echo "$version $(head -1 "$src/debian/changelog" | sed 's/^opus (\([^)]*\)).*/\1/') $suite" >"$stamp"
echo "build-opus: opus $version ready in $(( $(date +%s) - t0 )) s"
