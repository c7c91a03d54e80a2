#!/usr/bin/env node
// Writes test/fuzz-regressions/: the hostile inputs built by test/support/fuzz-findings.mjs, and a
// README listing them. test/fuzz-regressions.test.mjs replays every file there and fails when
// the folder and the builders disagree, so run this after adding a finding:
//
//   node scripts/make-fuzz-regressions.mjs
//
// (scripts/fuzz.sh --replay test/fuzz-regressions/ runs the same files through the native fuzz
// target.)
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findings } from '../test/support/fuzz-findings.mjs';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fuzz-regressions');
mkdirSync(dir, { recursive: true });
const list = findings();
const names = new Set(list.map((f) => f.name));
for (const old of readdirSync(dir)) if (!names.has(old) && old !== 'README.md') rmSync(join(dir, old));
for (const f of list) writeFileSync(join(dir, f.name), f.bytes);
writeFileSync(join(dir, 'README.md'), `# Fuzz regressions

Hostile capture files replayed by \`test/fuzz-regressions.test.mjs\` (every file here, through
PCAPReader at both precisions and two batch sizes, checkFile and repairFile) and by
\`scripts/fuzz.sh --replay test/fuzz-regressions/\`. Each must read cleanly or end in a PcapError
(EFORMAT / ETRUNCATED), never crash or hang.

They are built byte by byte by \`test/support/fuzz-findings.mjs\` (nothing is copied from the
real-capture corpus) and written by \`node scripts/make-fuzz-regressions.mjs\`; the suite fails
when this folder and the builders disagree. Add a finding there, not here.

| file | bytes | what it does | expected |
| --- | ---: | --- | --- |
${list.map((f) => `| ${f.name} | ${f.bytes.length} | ${f.about} | ${f.expect ? `${f.expect.packets} packet(s), then ${f.expect.code}` : 'a clean read or a PcapError'} |`).join('\n')}
`);
console.log(`wrote ${list.length} files to ${dir}`);
