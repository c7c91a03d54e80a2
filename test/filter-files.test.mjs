// filterFiles(): several filter jobs at once; each output as tcpdump writes it.
import { before, after } from 'node:test';
import { test, skipFor } from './support/skips.mjs';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterFiles, PcapError } from '../dist/esm/index.mjs';
import { writeSampleCapture } from '../scripts/sample.mjs';
import { tcpdumpFilter, toolsSkip } from './support/oracle.mjs';

let dir;
const inputs = [];
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcapkit-ffs-'));
  for (let i = 0; i < 4; i++) inputs.push(await writeSampleCapture(join(dir, `in${i}.pcap`), 20_000 + i * 1000, { start: 1_700_000_000 + i }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every job runs, in parallel, with outputs identical to tcpdump', async (t) => {
  const jobs = inputs.map((input, i) => ({ input, output: join(dir, `out${i}.pcap`), expression: i % 2 ? 'arp' : 'tcp port 443' }));
  const done = [];
  const outcomes = await filterFiles(jobs, { concurrency: 2, onJobDone: (job) => done.push(job.input) });
  assert.equal(outcomes.length, 4);
  assert.equal(done.length, 4);
  outcomes.forEach((o, i) => {
    assert.equal(o.job, jobs[i], 'outcomes are in the order of the jobs');
    assert.equal(o.error, undefined);
    assert.equal(o.result.packetsRead, 20_000 + i * 1000);
  });
  if (skipFor(t, toolsSkip)) return;
  jobs.forEach((job) => {
    const ref = join(dir, 'ref.pcap');
    tcpdumpFilter(job.input, ref, job.expression);
    assert.ok(readFileSync(job.output).equals(readFileSync(ref)), `${job.output} equals tcpdump's`);
  });
});

test('a failing job does not stop the others; bad options are refused', async () => {
  const jobs = [
    { input: inputs[0], output: join(dir, 'a.pcap') },
    { input: join(dir, 'missing.pcap'), output: join(dir, 'b.pcap') },
    { input: inputs[1], output: join(dir, 'c.pcap'), expression: 'tcp port' },
    { input: inputs[2], output: join(dir, 'd.pcap') },
  ];
  const outcomes = await filterFiles(jobs, { expression: 'udp', concurrency: 3 });
  assert.ok(outcomes[0].result.packetsWritten > 0);
  assert.equal(outcomes[1].error.code, 'ENOENT');
  assert.equal(outcomes[2].error.code, 'EFILTER');
  assert.ok(outcomes[3].result.packetsWritten > 0);
  await assert.rejects(filterFiles(jobs, { concurrency: 0 }), (e) => e instanceof PcapError && e.code === 'EINVAL');
  await assert.rejects(filterFiles(jobs, { signal: AbortSignal.abort() }), (e) => e.name === 'AbortError');
});

test('concurrency 2 writes byte for byte what concurrency 1 writes', async () => {
  const expressions = ['tcp port 443', 'arp or udp port 53', '', 'icmp'];
  const jobsFor = (c) => inputs.map((input, i) => ({ input, output: join(dir, `c${c}-${i}.pcap`), expression: expressions[i] }));
  const one = await filterFiles(jobsFor(1), { concurrency: 1 });
  const two = await filterFiles(jobsFor(2), { concurrency: 2 });
  jobsFor(1).forEach((job, i) => {
    assert.equal(one[i].error, undefined);
    assert.deepEqual(two[i].result, one[i].result, `job ${i}: same counts`);
    assert.ok(one[i].result.packetsWritten > 0, `job ${i} writes something`);
    assert.ok(readFileSync(jobsFor(2)[i].output).equals(readFileSync(job.output)), `job ${i}: outputs byte-identical`);
  });
});

test('two jobs writing one file, or a job writing another job\'s input: EINVAL before any job runs', async () => {
  const a = join(dir, 'shared-a.pcap');
  await writeSampleCapture(a, 50);
  const before = readFileSync(a);
  const out = join(dir, 'shared-out.pcap');
  await assert.rejects(
    filterFiles([{ input: a, output: out }, { input: a, output: join(dir, '.', 'shared-out.pcap') }]),
    (e) => e instanceof PcapError && e.code === 'EINVAL' && /jobs 0 and 1 both write/.test(e.message),
  );
  await assert.rejects(
    filterFiles([{ input: a, output: out }, { input: out, output: a }]),
    (e) => e instanceof PcapError && e.code === 'EINVAL' && /which job \d reads/.test(e.message),
  );
  assert.ok(readFileSync(a).equals(before), 'the input is untouched');
});
