#!/usr/bin/env node
// Step 2 of `npm run build:server` (after tsc, before the content snapshot): bundles the compiled modules
// (dist/<folder>/*.js) into dist/bundle/, the code bin/vigil.js, the worker threads and the benchmarks run.
// Node 20 pays ~1 ms per ES module it loads (no compile cache): `vigil run` loaded 126 of them, 44 files
// now. Code splitting keeps every lazy `import()` a separate chunk, so a command still loads only what it runs.
// All outputs sit side by side in dist/bundle/, two levels below the package root as dist/<folder>/x.js
// are: paths the code builds from `import.meta.url` (../../content, ../content-snapshot.json, a worker
// `./<name>.js` next to its caller) resolve the same from either.
import { build } from 'esbuild';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'bundle');

/**
 * Modules the benchmarks (bench/*.mjs) and the snapshot step import, named by their path with dots
 * (detections/content.js -> detections.content.js): they load what `vigil` loads, not a second copy.
 */
const LIBRARY = [
  'acceleration/service',
  'acceleration/settings',
  'control-plane/control-plane',
  'detections/content',
  'detections/run',
  'events/result',
  'events/scan',
  'hec/events',
  'parallel/run',
  'schedule/incremental',
  'schedule/projection',
  'schedule/window',
  'sources/file',
  'sources/tetragon',
  'spl/index',
  'spl/macros/macros',
  'store/clickhouse/store',
  'store/sqlite-store',
];

/** tsc's output: every `.js` under dist/ but the bundle's (and a failed build's `bundle.next-*`). */
function compiled() {
  return readdirSync(DIST, { recursive: true })
    .filter((f) => f.endsWith('.js') && !f.startsWith('bundle'))
    .map((f) => join(DIST, f));
}

const entryPoints = { cli: join(DIST, 'cli', 'main.js') };
for (const m of LIBRARY) entryPoints[m.replaceAll('/', '.')] = join(DIST, `${m}.js`);
// A worker thread starts from `<name>.js` next to the module that starts it (worker-entry.ts,
// store/worker-url.ts): in the bundle, next to every chunk, so each worker is an entry by its file name.
for (const file of compiled().filter((f) => /(^|-)worker\.js$/.test(basename(f)))) {
  const name = basename(file, '.js');
  if (entryPoints[name]) throw new Error(`bundle: two workers are named ${name}.js (${entryPoints[name]}, ${file}): worker names must be unique`);
  entryPoints[name] = file;
}

// Built beside the live bundle and swapped in, so that a `vigil` running from this tree meanwhile keeps
// finding its chunks.
const next = `${OUT}.next-${process.pid}`;
const old = `${OUT}.old-${process.pid}`;
rmSync(next, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints,
  absWorkingDir: ROOT,
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // npm dependencies load from node_modules as before: native or heavy (better-sqlite3, pg, the ClickHouse
  // client), used by few commands (hono, croner), or few files: bundling commander saved no measurable time
  // on `vigil --help` (src/cli/CONTEXT.md, "The bundle").
  packages: 'external',
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
// Which compiled modules each output holds (code, not just types; paths from the package root):
// test/cli/startup.test.ts reads what a command loads through it, and it answers "where did module X go"
// when reading a stack trace.
const modules = {};
for (const [file, out] of Object.entries(metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  modules[relative(next, join(ROOT, file))] = Object.entries(out.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([input]) => input);
}
writeFileSync(join(next, 'modules.json'), JSON.stringify(modules, null, 1));
try {
  renameSync(OUT, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, OUT);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`bundle: ${Object.keys(entryPoints).length} entries -> ${relative(ROOT, OUT)}/\n`);
