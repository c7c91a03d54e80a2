// A copy of the built package that any user can read, for tests that run pcapkit as the user
// nobody: the checkout itself may sit under a private directory (CI clones into a 0700 one).
// Holds package.json, bin/, dist/, the addon where node-gyp-build finds it (build/Release after
// node-gyp, prebuilds/<platform>-<arch>/ after prebuildify), and the runtime dependencies.
import { copyFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Copies the package at `root` into `dest` (made world-readable); returns `dest`. */
export function readableCopy(root, dest) {
  const req = createRequire(join(root, 'package.json'));
  const addon = req('node-gyp-build').path(root);
  mkdirSync(dirname(join(dest, relative(root, addon))), { recursive: true });
  copyFileSync(addon, join(dest, relative(root, addon)));
  copyFileSync(join(root, 'package.json'), join(dest, 'package.json'));
  cpSync(join(root, 'dist'), join(dest, 'dist'), { recursive: true });
  cpSync(join(root, 'bin'), join(dest, 'bin'), { recursive: true });
  const seen = new Set();
  const copyDeps = (pkgJson) => {
    for (const dep of Object.keys(JSON.parse(readFileSync(pkgJson, 'utf8')).dependencies ?? {})) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      const src = join(root, 'node_modules', dep);
      cpSync(src, join(dest, 'node_modules', dep), { recursive: true, dereference: true });
      copyDeps(join(src, 'package.json'));
    }
  };
  copyDeps(join(root, 'package.json'));
  execFileSync('chmod', ['-R', 'a+rX', dest]);
  return dest;
}
