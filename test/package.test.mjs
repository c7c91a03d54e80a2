// Packaging: the npm tarball carries a prebuilt N-API binary that loads without compiling.
// Builds the prebuild with prebuildify, packs, installs the tarball with --ignore-scripts into
// an empty project (so nothing can compile there), and uses the library and the CLI from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

test('npm pack + install --ignore-scripts loads the prebuild and works', { timeout: 300_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'pcapkit-pack-'));
  try {
    run('npx', ['--no-install', 'prebuildify', '--napi', '--strip'], root);
    const prebuilds = join(root, 'prebuilds', 'linux-x64');
    assert.ok(readdirSync(prebuilds).some((f) => f.endsWith('.node')), 'prebuildify made a binary');

    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root));
    const files = packed[0].files.map((f) => f.path);
    assert.ok(files.some((f) => f.startsWith('prebuilds/linux-x64/') && f.endsWith('.node')), 'tarball has the prebuild');
    assert.ok(files.includes('dist/esm/index.mjs') && files.includes('dist/cjs/index.js'));
    assert.ok(!files.some((f) => f.startsWith('build/')), 'no local build in the tarball');

    const app = join(work, 'app');
    run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', join(work, packed[0].filename)], app);
    const pkgDir = join(app, 'node_modules', 'pcapkit');
    assert.ok(!existsSync(join(pkgDir, 'build')), 'nothing was compiled');

    const script = `
      const gyp = require('node-gyp-build');
      const where = gyp.path(${JSON.stringify(pkgDir)});
      const { PCAPWriter, PCAPReader, libpcapVersion } = require('pcapkit');
      (async () => {
        const w = new PCAPWriter('out.pcap');
        w.write(Buffer.alloc(60, 1), { tsSec: 1, tsNsec: 2 });
        await w.close();
        let n = 0;
        for await (const p of new PCAPReader('out.pcap')) n += p.tsNsec === 2 ? 1 : 0;
        const esm = await import('pcapkit');
        console.log(JSON.stringify({ where, n, v: libpcapVersion(), esm: typeof esm.PCAPReader }));
      })();`;
    const out = JSON.parse(run('node', ['-e', script], app));
    assert.match(out.where, /prebuilds\/linux-x64\/.*\.node$/);
    assert.equal(out.n, 1);
    assert.match(out.v, /libpcap/);
    assert.equal(out.esm, 'function');
    assert.match(run(join(app, 'node_modules', '.bin', 'pcapkit'), ['--version'], app), /libpcap/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
