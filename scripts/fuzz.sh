#!/usr/bin/env bash
# Coverage-guided fuzzing of the capture-file engine with libFuzzer (clang, ASan + UBSan).
#
#   scripts/fuzz.sh [SECONDS]        build native/fuzz/capture_file_fuzzer.cc and fuzz for SECONDS (60)
#   scripts/fuzz.sh --replay PATH..  run the fuzzer once over files or directories (crash inputs,
#                                    test/fuzz-regressions/) and exit non-zero if one fails
#
# The target links native/engine/*.cc, the engine the addon ships, directly (not the addon:
# build/Release is never touched); see the comment at the top of the target for what it
# reads and checks. Seeds: files pcapkit writes itself (test/support/fuzz-seeds.mjs: several link
# types, both precisions, a byte-swapped file, pcapng with one and with two interfaces) and, when
# present, every capture in ../shared/corpus/pcaps (read in place, never copied). Inputs the
# fuzzer finds interesting accumulate in fuzz-out/corpus (so later runs start further on);
# crashes land in fuzz-out/crashes/.
#
# Environment: FUZZ_MAX_LEN (bytes per input, default 65536), FUZZ_FRESH=1 (start from the seeds
# only), PCAPKIT_FUZZ_NO_DIFF=1 (do not require the direct reader and libpcap to agree).
#
# Prints a summary line:
#   fuzz: N executions in S s (R exec/s), coverage C of E edges (F features), corpus K inputs, crashes: 0
# libpcap itself is the system library, not instrumented: its internals are exercised (and every
# memcpy/fread it does into our buffers is checked by ASan's interceptors) but give no coverage
# feedback; the coverage figures are those of pcapkit's native reader code.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mode=fuzz
duration=60
replay=()
if [ "${1:-}" = "--replay" ]; then
  mode=replay
  shift
  replay=("$@")
  [ ${#replay[@]} -gt 0 ] || { echo "usage: scripts/fuzz.sh --replay FILE|DIR..." >&2; exit 64; }
elif [ $# -gt 0 ]; then
  case "$1" in
    ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] | --replay FILE|DIR..." >&2; exit 64 ;;
    *) duration=$1 ;;
  esac
fi
max_len=${FUZZ_MAX_LEN:-65536}

# --- toolchain: clang with its libFuzzer/ASan/UBSan runtime (Debian: clang + libclang-rt-N-dev)
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
have_runtime() {
  command -v clang++ >/dev/null 2>&1 || return 1
  local dir; dir=$(clang++ -print-resource-dir 2>/dev/null) || return 1
  [ -f "$dir/lib/linux/libclang_rt.fuzzer-x86_64.a" ] || ls "$dir"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1
}
if ! have_runtime; then
  echo "fuzz: installing clang and its sanitizer/libFuzzer runtime with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  command -v clang++ >/dev/null 2>&1 || as_root apt-get install -y -qq --no-install-recommends clang >/dev/null
  major=$(clang++ -dumpversion | cut -d. -f1)
  as_root apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null ||
    as_root apt-get install -y -qq --no-install-recommends "libclang-common-$major-dev" >/dev/null
  have_runtime || { echo "fuzz: no libFuzzer runtime for $(clang++ --version | head -1)" >&2; exit 1; }
fi
# The engine inflates gzip captures with zlib: the fuzzer (no node to provide it) links libz.
if [ ! -f /usr/include/zlib.h ]; then
  echo "fuzz: installing zlib1g-dev with apt-get"
  as_root apt-get install -y -qq --no-install-recommends zlib1g-dev >/dev/null
fi
command -v pcap-config >/dev/null 2>&1 || [ -f /usr/include/pcap/pcap.h ] ||
  { echo "fuzz: libpcap-dev is missing (scripts/setup.sh installs it)" >&2; exit 1; }

# --- build (only when a source is newer than the binary)
out=${FUZZ_DIR:-fuzz-out}  # (not under build/: node-gyp rebuild empties that)
bin=$out/capture_file_fuzzer
mkdir -p "$out/obj" "$out/corpus" "$out/crashes"
srcs=(native/fuzz/capture_file_fuzzer.cc native/engine/*.cc)
napi_inc=$(node -p "require('node-addon-api').include_dir")
node_inc=""
for d in /usr/include/node "$(dirname "$(dirname "$(command -v node)")")/include/node"; do
  [ -f "$d/node_api.h" ] && { node_inc=$d; break; }
done
[ -n "$node_inc" ] || { echo "fuzz: node_api.h not found (Debian: apt-get install libnode-dev)" >&2; exit 1; }
defs=(-DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED)
inc=(-I "$napi_inc" -I "$node_inc" $(pcap-config --cflags 2>/dev/null || true))
cxx=(clang++ -std=c++17 -g -O1 -fno-omit-frame-pointer "${defs[@]}" "${inc[@]}")
rebuild=0
[ -x "$bin" ] || rebuild=1
for s in "${srcs[@]}" native/engine/*.h; do [ "$s" -nt "$bin" ] && rebuild=1; done
if [ "$rebuild" = 1 ]; then
  echo "fuzz: building $bin"
  # The engine is plain C++ (no N-API): the target links exactly the files the addon ships.
  "${cxx[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "${srcs[@]}" $(pcap-config --libs 2>/dev/null || echo -lpcap) -lz -o "$bin.tmp"
  mv "$bin.tmp" "$bin"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64:detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "$mode" = replay ]; then
  files=()
  for p in "${replay[@]}"; do
    if [ -d "$p" ]; then while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$p" -type f ! -name '*.md' -print0 | sort -z)
    else files+=("$p"); fi
  done
  [ ${#files[@]} -gt 0 ] || { echo "fuzz: nothing to replay"; exit 0; }
  if "$bin" -runs=1 "${files[@]}" >"$out/replay.log" 2>&1; then
    echo "fuzz: replayed ${#files[@]} inputs: no crash, no leak, no disagreement"
  else
    tail -40 "$out/replay.log"
    echo "fuzz: replay FAILED (log: $out/replay.log)" >&2
    exit 1
  fi
  exit 0
fi

# --- seeds
seeds=$(mktemp -d "${TMPDIR:-/tmp}/pcapkit-fuzz-seeds.XXXXXX")
trap 'rm -rf "$seeds"' EXIT
[ -f dist/esm/index.mjs ] || npm run --silent build:ts
node test/support/fuzz-seeds.mjs "$seeds/own" >/dev/null
seed_dirs=("$seeds/own")
nseeds=$(ls "$seeds/own" | wc -l)
corpus_pcaps=$(cd .. && pwd)/shared/corpus/pcaps
if [ -d "$corpus_pcaps" ]; then
  seed_dirs+=("$corpus_pcaps")
  nseeds="$nseeds own + $(ls "$corpus_pcaps" | wc -l) from ../shared/corpus/pcaps"
else
  nseeds="$nseeds own (../shared/corpus absent)"
fi
[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$out/corpus" && mkdir -p "$out/corpus"

echo "fuzz: $bin for ${duration}s, seeds: $nseeds, max input $max_len bytes"
log=$out/fuzz.log
set +e
"$bin" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
  -print_final_stats=1 -artifact_prefix="$out/crashes/" "$out/corpus" "${seed_dirs[@]}" >"$log" 2>&1
rc=$?
set -e

edges=$(grep -m1 -oE 'Loaded [0-9]+ modules +\(([0-9]+) inline 8-bit counters' "$log" | grep -oE '\(([0-9]+)' | tr -d '(' || true)
final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -1 || true)
[ -n "$final" ] || final=$(grep -E '^#[0-9]+[[:space:]]' "$log" | tail -1 || true)
execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
[ -n "$execs" ] || execs=$(echo "$final" | grep -oE '^#[0-9]+' | tr -d '#')
rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
cov=$(echo "$final" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')
ft=$(echo "$final" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
corp=$(echo "$final" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+')
secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE 'in [0-9]+' | grep -oE '[0-9]+' || echo "$duration")
crashes=$(grep -cE '^artifact_prefix=|Test unit written to' "$log" || true)
if [ "$rc" != 0 ]; then
  echo "---- last lines of $log ----"
  grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)' "$log" | tail -60
  echo "----"
fi
echo "fuzz: ${execs:-?} executions in ${secs} s (${rate:-?} exec/s), coverage ${cov:-?} edges of ${edges:-?} instrumented (${ft:-?} features), corpus ${corp:-?} inputs, crashes: ${crashes}"
if [ "$rc" != 0 ]; then
  echo "fuzz: FAILED (exit $rc). Inputs: $(grep -oE 'Test unit written to [^ ]+' "$log" | awk '{print $5}' | tr '\n' ' ')" >&2
  echo "fuzz: minimize with: $bin -minimize_crash=1 -runs=20000 FILE; then add it to test/fuzz-regressions/" >&2
  exit 1
fi
