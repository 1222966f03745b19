#!/usr/bin/env bash
# Installs Parley into a temporary prefix and builds every examples/*.c out
# of tree against it, the way an app would: `cc x.c $(pkg-config --cflags
# --libs parley)`; then one statically (libparley.a, pkg-config --static)
# and one with find_package(Parley). Runs each:
#  - echo_whip answers `parley call --connect --tone 440` (the installed
#    parley): what comes back is the 440 Hz tone;
#  - record_call calls echo_whip with speech and records the echo: STOI >= 0.9
#    against the speech (median of three 2 s windows), and 500 ms or more
#    late (it went through the echo);
#  - loopback_lab: STOI of both directions on a clean and a lossy network.
set -euo pipefail
. "$(dirname "$0")/../lib/port.sh"
: "${PL_SOURCE_DIR:?}" "${PL_BUILD_DIR:?}"
sample=$PL_SOURCE_DIR/apps/parley/samples/speech_16k.wav
dir=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

prefix=$dir/prefix
cmake --install "$PL_BUILD_DIR" --prefix "$prefix" >"$dir/install.log" ||
  { cat "$dir/install.log"; fail "cmake --install"; }
for f in include/parley.h lib/libparley.a lib/pkgconfig/parley.pc \
         lib/cmake/Parley/ParleyConfig.cmake bin/parley share/man/man1/parley.1; do
  [ -e "$prefix/$f" ] || fail "$f not installed"
done
ls "$prefix"/lib/libparley.so.* >/dev/null || fail "libparley.so not installed"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
unset CPATH LIBRARY_PATH C_INCLUDE_PATH

mkdir "$dir/ex"
n=0
for src in "$PL_SOURCE_DIR"/examples/*.c; do
  name=$(basename "$src" .c)
  lines=$(wc -l <"$src")
  [ "$lines" -lt 150 ] || fail "$name.c has $lines lines (examples stay under 150)"
  # Only the installed header: the source tree is not on any path.
  cc -Wall -Wextra -Werror -O2 "$src" $(pkg-config --cflags --libs parley) \
     -Wl,-rpath,"$prefix/lib" -o "$dir/ex/$name" || fail "$name does not build against the install"
  ldd "$dir/ex/$name" >"$dir/ldd.txt"  # (grep -q in a pipe: SIGPIPE under pipefail)
  grep -q "$prefix/lib/libparley.so" "$dir/ldd.txt" || fail "$name is not linked to the installed libparley.so"
  n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n examples"
echo "ok: $n examples built with pkg-config against $prefix"

# Static: libparley.a and what parley.pc says it needs (Libs.private,
# Requires.private); no libparley.so in the result.
cc -O2 "$PL_SOURCE_DIR/examples/loopback_lab.c" $(pkg-config --cflags parley) \
   $(pkg-config --static --libs parley | sed 's/-lparley/-Wl,-Bstatic -lparley -Wl,-Bdynamic/') \
   -o "$dir/ex/loopback_lab_static" || fail "static link with pkg-config --static"
ldd "$dir/ex/loopback_lab_static" >"$dir/ldd.txt"
! grep -q libparley "$dir/ldd.txt" || fail "the static build links libparley.so"
"$dir/ex/loopback_lab_static" "$sample" clean 3 >/dev/null || fail "the static build does not run"
echo "ok: loopback_lab linked statically with pkg-config --static"

# CMake: find_package(Parley) and Parley::parley.
mkdir "$dir/cm"
cat >"$dir/cm/CMakeLists.txt" <<CM
cmake_minimum_required(VERSION 3.16)
project(uses_parley C)
find_package(Parley 0.1 REQUIRED)
add_executable(lab "$PL_SOURCE_DIR/examples/loopback_lab.c")
target_link_libraries(lab PRIVATE Parley::parley)
CM
cmake -S "$dir/cm" -B "$dir/cm/build" -DCMAKE_PREFIX_PATH="$prefix" >"$dir/cm.log" 2>&1 &&
  cmake --build "$dir/cm/build" >>"$dir/cm.log" 2>&1 || { cat "$dir/cm.log"; fail "find_package(Parley)"; }
"$dir/cm/build/lab" "$sample" clean 3 >/dev/null || fail "the CMake-built example does not run"
echo "ok: find_package(Parley) + Parley::parley"

# The lab: a clean network scores near 1, 10 % loss a little less.
stoi_min() { awk '$1 ~ /->/ {print $4}' "$1" | sort -n | head -1; }
"$dir/ex/loopback_lab" "$sample" clean 10 >"$dir/lab_clean.txt" || fail "loopback_lab clean"
"$dir/ex/loopback_lab" "$sample" loss-10 10 >"$dir/lab_loss.txt" || fail "loopback_lab loss-10"
cat "$dir/lab_clean.txt" "$dir/lab_loss.txt"
python3 - "$(stoi_min "$dir/lab_clean.txt")" "$(stoi_min "$dir/lab_loss.txt")" <<'PY' || fail "loopback_lab STOI"
import sys
clean, loss = map(float, sys.argv[1:])
assert clean >= 0.95, f"clean STOI {clean}"
assert 0.7 <= loss < clean, f"loss-10 STOI {loss} (clean {clean})"
PY
echo "ok: loopback_lab STOI clean $(stoi_min "$dir/lab_clean.txt"), loss-10 $(stoi_min "$dir/lab_loss.txt")"

# echo_whip serves two calls, then exits by itself.
for attempt in 1 2 3; do
  port=$(pl_free_port)
  "$dir/ex/echo_whip" "127.0.0.1:$port" 2 >"$dir/echo.log" 2>&1 &
  epid=$!
  pids+=("$epid")
  for i in $(seq 50); do
    grep -q listening "$dir/echo.log" && break
    kill -0 "$epid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q listening "$dir/echo.log" && break
  grep -q 'address already in use' "$dir/echo.log" || { cat "$dir/echo.log"; fail "echo_whip did not start"; }
done

"$prefix/bin/parley" call --connect "127.0.0.1:$port" --tone 440 --duration 5 --quiet \
  --record "$dir/tone_rx.wav" >"$dir/call.log" 2>&1 || { cat "$dir/call.log"; fail "parley call to echo_whip"; }
python3 - "$dir/tone_rx.wav" <<'PY' || fail "the echo of the tone"
import array, math, sys, wave
w = wave.open(sys.argv[1])
rate, ch = w.getframerate(), w.getnchannels()
x = array.array("h", w.readframes(w.getnframes()))[::ch]
tail = [v / 32768 for v in x[int(1.5 * rate):]]  # after the 0.5 s echo and start-up
assert len(tail) > rate, f"only {len(x) / rate:.2f} s received"
def power(hz):  # Goertzel: the signal's power at one frequency
    k = 2 * math.cos(2 * math.pi * hz / rate); s1 = s2 = 0.0
    for v in tail:
        s1, s2 = v + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / len(tail) ** 2
p440 = power(440)
others = max(power(f) for f in (220, 400, 480, 880, 1000))
rms = math.sqrt(sum(v * v for v in tail) / len(tail))
print(f"echo of the tone: rms {rms:.3f} (sent 0.3 peak = 0.212 rms), 440 Hz {10 * math.log10(p440 / others):.0f} dB over 220/400/480/880/1000 Hz")
assert 0.1 < rms < 0.3, rms
assert p440 > 1000 * others, (p440, others)
PY

"$dir/ex/record_call" "127.0.0.1:$port" "$sample" "$dir/speech_rx.wav" 8 >"$dir/record.log" 2>&1 ||
  { cat "$dir/record.log"; fail "record_call"; }
cat "$dir/record.log"
# Scored in 2 s windows, each aligned on its own: under load either jitter
# buffer may stretch or drop audio mid-call, which shifts the rest of the
# file and breaks a single alignment (a clean run scores 0.98 either way;
# a loaded one measured 0.71 whole-file with 0.76 % concealed).
python3 - "$dir/speech_rx.wav" "$dir" <<'PY' || fail "cutting the recording"
import sys, wave
w = wave.open(sys.argv[1]); rate = w.getframerate()
x = w.readframes(w.getnframes()); fb = w.getsampwidth() * w.getnchannels()
for k, start in enumerate((0.6, 2.6, 4.6)):
    o = wave.open(f"{sys.argv[2]}/win{k}.wav", "wb"); o.setparams(w.getparams())
    o.writeframes(x[int(start * rate) * fb:int((start + 2) * rate) * fb]); o.close()
PY
stois=()
for k in 0 1 2; do
  "$prefix/bin/parley" metrics --max-lag 10000 "$sample" "$dir/win$k.wav" >"$dir/metrics$k.txt" 2>&1 ||
    { cat "$dir/metrics$k.txt"; fail "parley metrics"; }
  stois+=("$(awk '$1 == "STOI" {print $2}' "$dir/metrics$k.txt")")
done
"$prefix/bin/parley" metrics "$sample" "$dir/speech_rx.wav" >"$dir/metrics.txt" 2>&1 || true
delay=$(awk '$1 == "delay" {print $2}' "$dir/metrics.txt")
echo "record_call through echo_whip: STOI of 2 s windows ${stois[*]}, delay $delay ms"
python3 -c "
import statistics, sys
s = [float(v) for v in sys.argv[1:4]]; d = float(sys.argv[4])
sys.exit(0 if statistics.median(s) >= 0.9 and d >= 500 else 1)" "${stois[@]}" "$delay" ||
  fail "recorded echo: STOI ${stois[*]} (want a median >= 0.9), delay $delay ms (want >= 500)"

for i in $(seq 100); do kill -0 "$epid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$epid" 2>/dev/null && { cat "$dir/echo.log"; fail "echo_whip still running after its 2 calls"; }
wait "$epid" || fail "echo_whip exited with $?"
grep -c 'call ended' "$dir/echo.log" | grep -qx 2 || { cat "$dir/echo.log"; fail "echo_whip did not see 2 calls end"; }
echo "ok: echo_whip answered 2 calls and exited"

# serve_many: two media threads, two calls at most, exits after two ended.
# Three callers at once: two hear a tone of their own (300 and 400 Hz, in
# the order the server answered them), the third is told the server is busy.
port=$(pl_free_port)
"$dir/ex/serve_many" "127.0.0.1:$port" 2 2 2 >"$dir/many.log" 2>&1 &
mpid=$!
pids+=("$mpid")
for i in $(seq 50); do grep -q listening "$dir/many.log" && break; sleep 0.1; done
cpids=()
for k in 1 2 3; do
  "$prefix/bin/parley" call --connect "127.0.0.1:$port" --tone 1000 --duration 4 --quiet \
    --record "$dir/many$k.wav" >"$dir/many$k.log" 2>&1 &
  cpids+=($!)
done
ok=0 busy=0
for k in 1 2 3; do
  if wait "${cpids[$((k - 1))]}"; then ok=$((ok + 1)); else
    grep -q "busy" "$dir/many$k.log" && busy=$((busy + 1)); fi
done
[ $ok = 2 ] && [ $busy = 1 ] || { cat "$dir"/many*.log; fail "serve_many: $ok calls, $busy busy (want 2, 1)"; }
/usr/bin/python3 - "$dir" <<'PY' || fail "serve_many's tones"
import glob, os, sys, wave
import numpy as np
got = []
for p in sorted(glob.glob(sys.argv[1] + "/many[123].wav")):
    w = wave.open(p)
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(float)
    if len(x) < w.getframerate():
        continue  # the busy caller's empty recording
    y = x[w.getframerate() // 2:]
    got.append(round(np.fft.rfftfreq(len(y), 1 / w.getframerate())[np.argmax(np.abs(np.fft.rfft(y)))]))
print("serve_many callers heard", sorted(got), "Hz")
assert sorted(got) == [300, 400], got
PY
for i in $(seq 100); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
wait "$mpid" || { cat "$dir/many.log"; fail "serve_many did not exit after its calls"; }
grep -q "per thread: 1 calls .* 1 calls" "$dir/many.log" ||
  { cat "$dir/many.log"; fail "serve_many did not put its two calls on two threads"; }
echo "ok: serve_many answered two callers on two threads, refused the third, exited"
