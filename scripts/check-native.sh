#!/usr/bin/env bash
# Memory checks of the native addon: AddressSanitizer + UndefinedBehaviorSanitizer over the test
# suite, then valgrind memcheck over a small reading / filtering / writing / capture workload.
#
#   scripts/check-native.sh                   both checks, the whole test suite under ASan (~6 min)
#   scripts/check-native.sh --quick           only the test files that reach native code (~2 min)
#   scripts/check-native.sh --no-valgrind     ASan+UBSan only      (--no-asan: valgrind only)
#   scripts/check-native.sh test/x.test.mjs   ASan+UBSan over these test files instead
#
# Nothing in the working tree is rebuilt: the tree (tracked and untracked, not ignored files) is
# copied twice into a temporary directory, one copy built with clang -fsanitize=address,undefined,
# the other a plain -g build for valgrind; build/Release stays as it is.
#
# ASan: the addon links the shared ASan runtime, which is preloaded into node (LD_PRELOAD) with
# detect_leaks=0 (node itself does not free everything at exit; leaks are valgrind's job). The
# preload stays in the environment (node children, also through `ip netns exec`, setpriv or
# script, need it) except for the tools that hang at exit with it (Wireshark's capinfos, editcap,
# mergecap...), which get wrappers first in PATH; test/report-html.test.mjs starts Chromium by its
# absolute path, which hangs the same way, so the whole-suite run leaves that one file out (it
# reaches no native code). Every sanitizer report goes to a log file; any report, or any failing
# test, fails the check. Tests needing root skip themselves without it.
#
# valgrind: --leak-check=full --errors-for-leak-kinds=definite; the workload writes ~3000
# packets, reads them (for-await + decode, batches, a filter, setFilter, an early break),
# filterFile, checkFile/repairFile of a cut copy, BpfFilter, a pcapng file, and as root a
# short capture on lo with writeBatch. Memory errors or definite leaks fail the check.
#
# Prints one summary line per check and exits non-zero when either finds something.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

do_asan=1
do_valgrind=1
quick=0
tests=()
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --no-asan) do_asan=0 ;;
    --no-valgrind) do_valgrind=0 ;;
    -h|--help) sed -n 2,30p "$0"; exit 0 ;;
    -*) echo "check-native: unknown option $a" >&2; exit 64 ;;
    *) tests+=("$a") ;;
  esac
done
if [ ${#tests[@]} -eq 0 ] && [ "$quick" = 0 ]; then
  for t in test/*.test.mjs; do
    case "$t" in test/report-html.test.mjs) continue ;; esac
    tests+=("$t")
  done
elif [ ${#tests[@]} -eq 0 ]; then
  # Everything that reaches native code: files, filters, writing, pcapng (the native BPF on
  # its batches), the CLI over files, the fuzz mutants; and, as root, devices and live capture.
  tests=(test/reader.test.mjs test/corpus.test.mjs test/filter-file.test.mjs test/filter-files.test.mjs
         test/writer.test.mjs test/pcapng.test.mjs test/cli-read.test.mjs test/cli.test.mjs
         test/fuzz-regressions.test.mjs test/devices.test.mjs test/socket.test.mjs
         test/capture.test.mjs test/cli-live.test.mjs)
fi
for t in "${tests[@]}"; do [ -f "$t" ] || { echo "check-native: no such test file: $t" >&2; exit 64; }; done

# --- tools -------------------------------------------------------------------------------------
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
need=()
if [ "$do_asan" = 1 ]; then
  command -v clang++ >/dev/null 2>&1 || need+=(clang)
fi
if [ "$do_valgrind" = 1 ]; then command -v valgrind >/dev/null 2>&1 || need+=(valgrind); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "check-native: installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
asan_rt=""
if [ "$do_asan" = 1 ]; then
  asan_rt=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
  if [ ! -f "$asan_rt" ]; then
    major=$(clang -dumpversion | cut -d. -f1)
    echo "check-native: installing libclang-rt-$major-dev (the sanitizer runtimes) with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -qq --no-install-recommends "libclang-rt-$major-dev" >/dev/null ||
      as_root apt-get install -y -qq --no-install-recommends "libclang-common-$major-dev" >/dev/null
    asan_rt=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
    [ -f "$asan_rt" ] || { echo "check-native: no shared ASan runtime for clang $major" >&2; exit 1; }
  fi
fi
gyp=$root/node_modules/.bin/node-gyp
[ -x "$gyp" ] || { echo "check-native: node_modules missing: run scripts/setup.sh first" >&2; exit 1; }
# Build against the installed Node's headers when they are there (no header download).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node_api.h ]; then export npm_config_nodedir=/usr; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/pcapkit-check-native.XXXXXX")
keep_work=${KEEP_WORK:-0}
cleanup() { if [ "$keep_work" = 1 ]; then echo "check-native: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT
# Readable by all: a test drops privileges (setpriv) and loads the addon from the copy.
chmod 755 "$work"

# copy_tree DIR: the working tree as it is now (others' uncommitted edits included), with
# node_modules and, for the tests' ../shared/corpus, the shared directory linked beside it.
copy_tree() {
  mkdir -p "$1"
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$1"
  rm -f "$1/node_modules"  # (a symlinked node_modules is not ignored by node_modules/)
  ln -s "$root/node_modules" "$1/node_modules"
  if [ -d "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$(dirname "$1")/shared"; fi
}

# build_ts DIR [env...]: compile the TypeScript in the copy (make-esm loads the addon).
build_ts() {
  local dir=$1; shift
  (cd "$dir" && ./node_modules/.bin/tsc -p tsconfig.json && env "$@" node scripts/make-esm.mjs) >"$dir/build-ts.log" 2>&1 ||
    { tail -20 "$dir/build-ts.log"; echo "check-native: TypeScript build failed in $dir" >&2; return 1; }
}

status=0
asan_summary="asan: not run"
vg_summary="valgrind: not run"

# --- ASan + UBSan ----------------------------------------------------------------------------
if [ "$do_asan" = 1 ]; then
  dir=$work/asan/pcapkit
  copy_tree "$dir"
  san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -g"
  echo "check-native: building the addon with clang $san"
  (cd "$dir" && CC=clang CXX=clang++ CFLAGS="$san" CXXFLAGS="$san" \
     LDFLAGS="-fsanitize=address,undefined -shared-libasan -Wl,-rpath,$(dirname "$asan_rt")" \
     "$gyp" rebuild -j 2 >"$dir/build-native.log" 2>&1) ||
    { tail -30 "$dir/build-native.log"; echo "check-native: ASan build failed" >&2; exit 1; }
  logs=$work/asan-logs
  mkdir -p "$logs"
  asan_env=(LD_PRELOAD="$asan_rt"
            ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=0:log_path=$logs/asan"
            UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan")
  build_ts "$dir" "${asan_env[@]}"
  # Wrappers that run the tools that hang with the ASan preload without it.
  shims=$work/shims
  mkdir -p "$shims"
  for tool in capinfos editcap mergecap reordercap text2pcap captype randpkt chromium; do
    real=$(command -v "$tool" 2>/dev/null) || continue
    printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "$real" >"$shims/$tool"
    chmod +x "$shims/$tool"
  done
  echo "check-native: running ${#tests[@]} test files under ASan+UBSan"
  start=$(date +%s)
  set +e
  (cd "$dir" && env "${asan_env[@]}" PATH="$shims:$PATH" \
     node --test --test-concurrency=1 "${tests[@]}") >"$work/asan-tests.log" 2>&1
  trc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  pass=$(grep -E '^# pass ' "$work/asan-tests.log" | awk '{print $3}' | tail -1)
  fail=$(grep -E '^# fail ' "$work/asan-tests.log" | awk '{print $3}' | tail -1)
  skip=$(grep -E '^# skipped ' "$work/asan-tests.log" | awk '{print $3}' | tail -1)
  reports=$(find "$logs" -type f | wc -l)
  if [ "$reports" -gt 0 ]; then
    echo "---- sanitizer reports ($reports) ----"
    for f in $(find "$logs" -type f | head -3); do echo "== $f"; head -60 "$f"; done
    mkdir -p "$root/build/check-native" && cp -r "$logs" "$root/build/check-native/" && echo "(all reports copied to build/check-native/)"
  fi
  if [ "$trc" != 0 ]; then
    echo "---- failing tests ----"
    grep -E '^not ok|^# Subtest|error:|Error' "$work/asan-tests.log" | grep -B1 -A3 '^not ok' | head -60 || true
    mkdir -p "$root/build/check-native" && cp "$work/asan-tests.log" "$root/build/check-native/"
    echo "(full log: build/check-native/asan-tests.log)"
  fi
  asan_summary="asan+ubsan: ${#tests[@]} test files in ${secs} s: ${pass:-?} passed, ${fail:-?} failed, ${skip:-0} skipped; sanitizer reports: $reports"
  [ "$trc" = 0 ] && [ "$reports" = 0 ] || status=1
  echo "check-native: $asan_summary"
fi

# --- valgrind ------------------------------------------------------------------------------------
if [ "$do_valgrind" = 1 ]; then
  dir=$work/plain/pcapkit
  copy_tree "$dir"
  echo "check-native: building the addon (plain, -g) for valgrind"
  (cd "$dir" && CXXFLAGS="-g" "$gyp" rebuild -j 2 >"$dir/build-native.log" 2>&1) ||
    { tail -30 "$dir/build-native.log"; echo "check-native: build failed" >&2; exit 1; }
  build_ts "$dir"
  cat >"$dir/vg-workload.mjs" <<'EOF'
// The valgrind workload: small, every native path once or twice.
import { mkdtempSync, rmSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import {
  PCAPReader, PCAPWriter, PCAPSocket, filterFile, checkFile, repairFile, BpfFilter, Decoder, LayerType, PcapError,
  build, ether, ipv4, tcp, udp, payload,
} from './dist/esm/index.mjs';
import { pcapngOneInterface, pcapngTwoInterfaces } from './test/support/fuzz-seeds.mjs';

const N = Number(process.env.VG_PACKETS ?? 3000);
const dir = mkdtempSync(join(tmpdir(), 'pcapkit-vg-'));
const out = {};
const check = (cond, what) => { if (!cond) throw new Error(`workload: ${what}`); };
try {
  const A = { src: '10.0.0.1', dst: '10.0.0.2' };
  const frames = [
    build(ether(), ipv4(A), tcp({ sport: 1000, dport: 80, flags: 'S', options: { mss: 1460 } }), payload('x'.repeat(100))),
    build(ether(), ipv4(A), udp({ sport: 2000, dport: 53 }), payload('y'.repeat(40))),
  ];
  const file = join(dir, 'in.pcap');
  const w = new PCAPWriter(file, { precision: 'micro' });
  for (let i = 0; i < N; i++) w.write(frames[i % 2], { tsSec: 1_700_000_000 + i, tsNsec: i * 1000 });
  await w.close();

  const d = new Decoder();
  let n = 0, tcpCount = 0;
  for await (const p of new PCAPReader(file, { batchPackets: 256 })) { d.decodePacket(p); n++; if (d.has(LayerType.TCP)) tcpCount++; }
  check(n === N && tcpCount === N / 2, `read ${n}/${tcpCount}`);
  let viaBatches = 0;
  for await (const b of new PCAPReader(file, { filter: 'tcp', batchBytes: 8192 }).batches()) viaBatches += b.count;
  check(viaBatches === N / 2, `filtered batches ${viaBatches}`);
  const r = new PCAPReader(file, { precision: 'nano' });
  let k = 0;
  for await (const p of r) { if (++k === 10) r.setFilter('udp'); if (k === 500) break; }
  check(r.closed, 'break closes the reader');
  out.read = n;

  const res = await filterFile(file, join(dir, 'udp.pcap'), 'udp');
  check(res.packetsWritten === N / 2, `filterFile wrote ${res.packetsWritten}`);
  out.filterFile = res.packetsWritten;

  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, readFileSync(file));
  truncateSync(cut, statSync(cut).size - 37);
  const report = await checkFile(cut);
  check(report.status === 'truncated' && report.packets === N - 1, `checkFile ${report.status} ${report.packets}`);
  let err;
  try { for await (const p of new PCAPReader(cut)) void p; } catch (e) { err = e; }
  check(err instanceof PcapError && err.code === 'ETRUNCATED', `cut file: ${err}`);
  const rep = await repairFile(cut, join(dir, 'repaired.pcap'));
  check(rep.packetsWritten === N - 1, `repair wrote ${rep.packetsWritten}`);
  try { new PCAPReader(join(dir, 'nope.pcap')); } catch (e) { check(e.code === 'ENOENT', e.code); }
  try { new PCAPReader(file, { filter: 'tcp and and' }); } catch (e) { check(e.code === 'EFILTER', e.code); }

  const bpf = new BpfFilter('tcp port 80');
  check(bpf.matches(frames[0]) && !bpf.matches(frames[1]) && bpf.instructions().length > 0, 'BpfFilter');

  for (const [name, bytes] of [['one.pcapng', pcapngOneInterface()], ['two.pcapng', pcapngTwoInterfaces()]]) {
    writeFileSync(join(dir, name), bytes);
    let c = 0;
    for await (const p of new PCAPReader(join(dir, name), { filter: 'ip' })) { d.decodePacket(p); c++; }
    out[name] = c;
  }

  if (process.getuid?.() === 0 && process.env.VG_NO_CAPTURE !== '1') {
    const rx = dgram.createSocket('udp4');
    await new Promise((res) => rx.bind(0, '127.0.0.1', res));
    const port = rx.address().port;
    const sock = new PCAPSocket('lo', { filter: `udp dst port ${port}`, timeout: 200, immediate: true });
    const tx = dgram.createSocket('udp4');
    const want = 50;
    const sender = setInterval(() => { for (let i = 0; i < 5; i++) tx.send('z'.repeat(64), port, '127.0.0.1'); }, 50);
    const cap = new PCAPWriter(join(dir, 'live.pcap'));
    let got = 0;
    let stats;
    const deadline = setTimeout(() => void sock.close(), 60_000);
    for await (const b of sock.batches()) {
      cap.writeBatch(b);
      got += b.count;
      if (got >= want) {
        stats = sock.stats();
        break;
      }
    }
    clearTimeout(deadline);
    clearInterval(sender);
    out.capture = { got, ...stats };
    await sock.close();
    await cap.close();
    tx.close();
    rx.close();
    check(got >= want, `captured ${got}`);
  }
  console.log(`workload ok: ${JSON.stringify(out)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
EOF
  vglog=$work/valgrind.log
  # V8's garbage collector scans the machine stack conservatively, reading slots nobody wrote:
  # memcheck flags that in node itself on every GC. Only that is suppressed.
  cat >"$work/node.supp" <<'EOF'
{
   v8-conservative-stack-scan-cond
   Memcheck:Cond
   fun:*IteratePointersInStack*
}
{
   v8-conservative-stack-scan-value
   Memcheck:Value8
   fun:*IteratePointersInStack*
}
EOF
  echo "check-native: valgrind memcheck over the workload (slow: a few minutes)"
  start=$(date +%s)
  set +e
  (cd "$dir" && valgrind --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
     --show-leak-kinds=definite --num-callers=40 --error-exitcode=99 --log-file="$vglog" \
     --suppressions="$work/node.supp" \
     node vg-workload.mjs) >"$work/valgrind.out" 2>&1
  vrc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  errors=$(grep -oE 'ERROR SUMMARY: [0-9]+ errors' "$vglog" | grep -oE '[0-9]+' | tail -1)
  suppressed=$(grep -oE 'ERROR SUMMARY: .*suppressed: [0-9]+' "$vglog" | grep -oE '[0-9]+$' | tail -1)
  definite=$(grep -E 'definitely lost:' "$vglog" | tail -1 | sed -E 's/.*definitely lost: ([0-9,]+) bytes in ([0-9,]+) blocks.*/\1 bytes in \2 blocks/')
  workload=$(grep -E '^workload ok' "$work/valgrind.out" || true)
  vg_summary="valgrind: workload in ${secs} s: ${errors:-?} errors (${suppressed:-0} suppressed: V8 stack scan), definitely lost: ${definite:-0 bytes (no leak summary)}${workload:+; $workload}"
  if [ "$vrc" != 0 ] || [ -z "$workload" ]; then
    status=1
    echo "---- valgrind (exit $vrc) ----"
    tail -20 "$work/valgrind.out"
    grep -E '^==[0-9]+== ' "$vglog" | grep -vE '== *$' | head -80
    mkdir -p "$root/build/check-native" && cp "$vglog" "$root/build/check-native/" && echo "(full log: build/check-native/valgrind.log)"
  fi
  echo "check-native: $vg_summary"
fi

echo "check-native: $asan_summary"
echo "check-native: $vg_summary"
[ "$status" = 0 ] && echo "check-native: OK" || echo "check-native: FAILED"
exit "$status"
