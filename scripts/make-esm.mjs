// Writes dist/esm/index.mjs: an ES module facade over the CommonJS build, so `import` and
// `require` share one instance of every class (no dual-package hazard).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const names = Object.keys(require(join(root, 'dist/cjs/index.js'))).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import cjs from '../cjs/index.js';",
  ...names.map((n) => `export const ${n} = cjs.${n};`),
  'export default cjs;',
  '',
];
mkdirSync(join(root, 'dist/esm'), { recursive: true });
writeFileSync(join(root, 'dist/esm/index.mjs'), lines.join('\n'));
writeFileSync(join(root, 'dist/esm/index.d.mts'), "export * from '../cjs/index.js';\nimport * as pcapkit from '../cjs/index.js';\nexport default pcapkit;\n");
