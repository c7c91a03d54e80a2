#!/usr/bin/env node
'use strict';
// The `pcapkit` command: the CLI itself is lib/cli/main.ts, compiled to dist/cjs/cli/main.js.
let cli;
try {
  cli = require('../dist/cjs/cli/main.js');
} catch (err) {
  // e.g. the native addon or libpcap is missing: say so in one line, not a stack trace
  if (err && err.name === 'PcapError') {
    process.stderr.write(`pcapkit: ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
cli.main(process.argv);
