#!/usr/bin/env bash
# Installs the Debian packages Parley needs, only those missing.
#   scripts/install-deps.sh build   - to build the engine and run the demo
#   scripts/install-deps.sh test    - build + everything `make check` uses
#   scripts/install-deps.sh data    - what ai/data/ builds training corpora from
# build and test also build libopus 1.5 (deep PLC, DRED) from Debian 13's source
# into build-deps/opus (scripts/build-opus.sh; once per checkout).
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config libuv1-dev libsrtp2-dev libopus-dev
  libvpx-dev libusrsctp-dev libssl-dev libcriterion-dev libhttp-parser-dev
  libyuv-dev libspeexdsp-dev libxnnpack-dev libpthreadpool-dev codec2-examples dpkg-dev
  libpulse-dev)
test_pkgs=(clang libclang-rt-14-dev python3 python3-numpy python3-torch sox
  ffmpeg chromium nodejs npm coturn nftables conntrack iproute2
  python3-gi python3-aiortc gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-nice gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  gir1.2-gst-plugins-bad-1.0 gir1.2-nice-0.1 pulseaudio pulseaudio-utils janus)
data_pkgs=(codec2-examples flite festival festvox-kallpc16k festvox-kdlpc16k
  festvox-us-slt-hts espeak-ng openttd-opensfx tuxpaint-data mate-backgrounds lomiri-wallpapers
  ukui-wallpapers alsa-utils asterisk-core-sounds-en-g722 pocketsphinx-testdata pingus-data
  lbreakout2-data sound-theme-freedesktop fluidsynth fluid-soundfont-gm timgm6mb-soundfont
  musescore-general-soundfont-small opl3-soundfont)

want=()
opus=0
for what in "${@:-build}"; do
  case "$what" in
    build) want+=("${build_pkgs[@]}"); opus=1 ;;
    test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}"); opus=1 ;;
    data) want+=("${data_pkgs[@]}") ;;
    *) echo "install-deps: unknown group '$what' (build|test|data)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  # A Node.js that did not come from Debian (this image ships one with its
  # own npm) conflicts with Debian's npm package: a working pair is enough.
  if [ "$p" = nodejs ] || [ "$p" = npm ]; then
    command -v node >/dev/null && command -v npm >/dev/null && continue
  fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
# Dedupe, keep order.
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
fi

# libopus 1.5 from Debian's source; a failure is not fatal: CMake then falls
# back to the system's 1.3.1 and says so.
build_opus() {
  [ "$opus" = 1 ] || return 0
  "$(dirname "$0")/build-opus.sh" || echo "install-deps: libopus 1.5 not built; the build uses the system's" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  build_opus
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Parley needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:  $cmd" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
build_opus
