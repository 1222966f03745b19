#!/usr/bin/env bash
# Installs the Debian packages the Parley corpora are built from (only those
# missing). Training: TTS engines/voices, codec2 speech, recorded effects,
# wallpapers, fluidsynth and a General MIDI soundfont for music (the other
# soundfont renders the held-out music). Evaluation: the held-out speech and effect packages.
#   ai/data/install.sh          install (as root) what is missing
#   ai/data/install.sh --list   print the package list, one per line
#   ai/data/install.sh --check  exit 1 if any is missing, installing nothing
set -euo pipefail

tools=(python3 python3-numpy ffmpeg sox fluidsynth)
train=(fluid-soundfont-gm musescore-general-soundfont-small opl3-soundfont codec2-examples flite festival festvox-kallpc16k festvox-kdlpc16k
  festvox-us-slt-hts espeak-ng openttd-opensfx tuxpaint-data oxygen-sounds
  deepin-sound-theme chromium-bsu-data mirrormagic-data frozen-bubble-data sound-icons
  extremetuxracer-data minetest-data mate-backgrounds
  lomiri-wallpapers ukui-wallpapers)
eval=(timgm6mb-soundfont alsa-utils asterisk-core-sounds-en-g722 pocketsphinx-testdata pingus-data
  lbreakout2-data sound-theme-freedesktop)
all=("${tools[@]}" "${train[@]}" "${eval[@]}")

if [ "${1:-}" = "--list" ]; then
  printf '%s\n' "${all[@]}"
  exit 0
fi

missing=()
for p in "${all[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Parley's data needs: ${missing[*]}" >&2
  echo "Run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
echo "ai/data/install.sh: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
