#!/usr/bin/env bash
# Builds libopus 1.5 with its neural tools (deep PLC, DRED, LACE/NoLACE) from
# Debian 13 (trixie)'s own source package into a static prefix, for
# CMakeLists.txt to prefer over the system's 1.3.1 (Debian 12).
#   scripts/build-opus.sh [PREFIX]     default: build-deps/opus-1.5 in the repo
# Idempotent: does nothing when PREFIX already holds a finished build.
# Touches nothing of the machine's apt setup: a private sources list, lists
# and cache under a temporary directory (apt-get source needs dpkg-dev).
# Why build at all: Debian's libopus0 builds deep PLC and OSCE but leaves DRED
# out (debian/rules); Debian's orig tarball is upstream's release tarball,
# which carries every model's weights (dnn/*_data.c), so nothing else is
# fetched.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix=${1:-${PL_OPUS_PREFIX:-$root/build-deps/opus-1.5}}
suite=${PL_OPUS_SUITE:-trixie}
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
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
echo "deb-src http://deb.debian.org/debian $suite main" >"$tmp/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache"
  -o APT::Sandbox::User=root -o Acquire::Retries=1 -o Acquire::http::Timeout=20)
echo "build-opus: fetching Debian $suite's opus source"
apt-get "${apt_opts[@]}" update >"$tmp/apt.log" 2>&1 || {
  cat "$tmp/apt.log" >&2; echo "build-opus: apt-get update ($suite deb-src) failed" >&2; exit 1; }
(cd "$tmp" && apt-get "${apt_opts[@]}" source --only-source opus >>"$tmp/apt.log" 2>&1) || {
  cat "$tmp/apt.log" >&2; echo "build-opus: apt-get source opus failed" >&2; exit 1; }

src=$(find "$tmp" -maxdepth 1 -type d -name 'opus-*' | head -1)
version=$(sed -n 's/^PACKAGE_VERSION=.\([0-9.]*\).*/\1/p' "$src/configure" | head -1)
case "$version" in
  1.5.*|1.6.*) ;;
  *) echo "build-opus: Debian $suite has opus '$version', need 1.5 or newer" >&2; exit 1 ;;
esac
for w in plc_data.c dred_rdovae_enc_data.c dred_rdovae_dec_data.c lace_data.c nolace_data.c; do
  if [ ! -s "$src/dnn/$w" ]; then
    echo "build-opus: the source lacks the model weights dnn/$w" >&2
    exit 1
  fi
done

echo "build-opus: building opus $version (deep PLC, DRED, OSCE) into $prefix"
rm -rf "$prefix"
(cd "$src" &&
  ./configure --prefix="$prefix" --enable-deep-plc --enable-dred --enable-osce \
    --disable-shared --enable-static --with-pic --disable-doc --disable-extra-programs \
    >"$tmp/configure.log" 2>&1 &&
  make -j"${JOBS:-$(nproc)}" >"$tmp/make.log" 2>&1 &&
  make install >"$tmp/install.log" 2>&1) || {
  tail -40 "$tmp"/*.log >&2; echo "build-opus: build failed" >&2; exit 1; }
cp "$src/debian/changelog" "$prefix/debian-changelog"
echo "$version $(head -1 "$src/debian/changelog" | sed 's/^opus (\([^)]*\)).*/\1/')" >"$stamp"
echo "build-opus: opus $version ready in $(( $(date +%s) - t0 )) s"
