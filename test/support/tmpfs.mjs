// A small tmpfs to fill up, for the disk-full tests. Mounting needs root (CAP_SYS_ADMIN); the
// mount is removed in after(), also when a test failed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, rmdirSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { need, rootSkip } from './skips.mjs';

function mount(dir, bytes) {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: 'pipe', timeout: 10_000 });
}

function unmount(dir) {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe', timeout: 10_000 });
  } catch {
    // still busy (a file left open by a failed test): detach it now, it goes when released
    execFileSync('umount', ['-l', dir], { stdio: 'pipe', timeout: 10_000 });
  }
  rmdirSync(dir);
}

/** false when a tmpfs can be mounted here, otherwise the reason to skip. */
export const tmpfsSkip = (() => {
  const root = rootSkip('mounts a small tmpfs to fill up');
  if (root) return root;
  const dir = mkdtempSync(join(tmpdir(), 'pcapkit-tmpfs-probe-'));
  try {
    mount(dir, 1 << 20);
  } catch (err) {
    rmdirSync(dir);
    return need(`cannot mount a tmpfs here (${String(err.stderr ?? err.message).trim()})`);
  }
  unmount(dir);
  return false;
})();

/**
 * Mounts a tmpfs of `bytes` bytes on a fresh directory (unmounted in after()). Returns
 * { dir, available(), leaveFree(n), clear() }: leaveFree fills the disk with a filler file
 * until only n bytes are left; clear removes every file.
 */
export function mountTmpfs(bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'pcapkit-tmpfs-'));
  try {
    mount(dir, bytes);
  } catch (err) {
    rmdirSync(dir);
    throw err;
  }
  after(() => unmount(dir));
  const available = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    available,
    leaveFree(n) {
      const fill = available() - n;
      if (fill < 0) throw new Error(`only ${available()} bytes free, cannot leave ${n}`);
      writeFileSync(join(dir, 'filler'), Buffer.alloc(fill));
      if (available() !== n) throw new Error(`meant to leave ${n} bytes free, ${available()} are`);
    },
    clear() {
      for (const name of readdirSync(dir)) rmSync(join(dir, name), { recursive: true, force: true });
    },
  };
}
