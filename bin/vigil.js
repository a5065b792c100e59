#!/usr/bin/env node
// Thin launcher: the CLI is compiled and bundled to dist/bundle/ by `npm ci` (the `prepare` script).
import('../dist/bundle/cli.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`vigil: cannot start: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
