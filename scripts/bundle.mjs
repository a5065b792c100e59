#!/usr/bin/env node
// Step 2 of `npm run build:server` (after tsc, before the content snapshot): bundles the compiled modules
// (dist/<folder>/*.js) into dist/bundle/, the code bin/vigil.js, the worker threads and the benchmarks run.
// Node 20 pays ~1 ms per ES module it loads (no compile cache): `vigil run` loaded 126 of them, 27 files
// now (esbuild's 45, the engine's chunks merged: mergeEngine). Code splitting keeps every lazy `import()` a
// separate chunk, so a command still loads only what it runs.
// All outputs sit side by side in dist/bundle/, two levels below the package root as dist/<folder>/x.js
// are: paths the code builds from `import.meta.url` (../../content, ../content-snapshot.json, a worker
// `./<name>.js` next to its caller) resolve the same from either.
import { build } from 'esbuild';
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { moduleAsScript } from './module-script.mjs';

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
  'sources/read-thread',
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

/** Where the engine starts: what `vigil run <detection> --events <file>` and the benchmark's seed phase import (mergeEngine). */
const ENGINE = ['detections/content', 'sources/file', 'detections/run', 'cli/file-source'].map((m) => `dist/${m}.js`);
/**
 * Entries that run no SPL and that short commands load (the state commands open the store), or that a command loads
 * before the engine (`vigil run --all` starts the file's read thread first): kept light (mergeEngine).
 */
const LIGHT_LOADS = ['store/sqlite-store', 'store/clickhouse/store', 'sources/read-thread'];

// Built beside the live bundle and swapped in, so that a `vigil` running from this tree meanwhile keeps
// finding its chunks.
const split = `${OUT}.split-${process.pid}`;
const next = `${OUT}.next-${process.pid}`;
const old = `${OUT}.old-${process.pid}`;
rmSync(split, { recursive: true, force: true });
rmSync(next, { recursive: true, force: true });
const { metafile } = await build({
  entryPoints,
  absWorkingDir: ROOT,
  outdir: split,
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
// What each of esbuild's outputs holds (code, not just types; paths from the package root).
const inSplit = {};
for (const [file, out] of Object.entries(metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  inSplit[join(ROOT, file)] = Object.entries(out.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([input]) => input);
}
const entryOutputs = Object.entries(metafile.outputs).filter(([, out]) => out.entryPoint !== undefined);
const engineRoots = entryOutputs.filter(([, out]) => ENGINE.includes(out.entryPoint)).map(([file]) => join(ROOT, file));
if (engineRoots.length !== ENGINE.length) throw new Error(`bundle: the engine's modules ${ENGINE.join(', ')} are not all entries or lazy imports`);

/**
 * esbuild splits the code into one chunk per set of entries (and lazy imports) that reach it: the seed's
 * path loaded 30 files (610 KB), and Node 20 pays per file (resolution, a read through the thread pool,
 * a compile, linking) besides the bytes: importing them cost ~85 ms of CPU where one file of the same code
 * cost ~50 (2 cores, load 3-5). Rollup re-chunks esbuild's output: the chunks the engine's modules reach
 * statically become one `engine-<hash>.js`, but for those that a light load also reaches: cli.js, cli.js
 * with each command definition (what a command line loads before its action; all of them for `--help`),
 * LIGHT_LOADS and the worker threads that do not reach the SPL parser (the store's; not the file source's read thread). Those stay apart, grouped by the set of light loads that reach each, so
 * that no light load gets more than before. Every other chunk stays as esbuild made it: a load that
 * reaches one module of `engine-<hash>.js` (the server, the scheduler, the benchmarks' LIBRARY) loads all
 * of it, and runs the engine anyway.
 */
async function mergeEngine() {
  const input = Object.fromEntries(entryOutputs.map(([file]) => [basename(file, '.js'), join(ROOT, file)]));
  const entries = new Set(Object.values(input));
  const parser = Object.keys(inSplit).find((f) => inSplit[f].includes('dist/spl/parse/parser.js'));
  // Without it every load would count as light and the engine be split again, silently slower.
  if (parser === undefined) throw new Error('bundle: no chunk holds dist/spl/parse/parser.js (moved? update mergeEngine)');
  const cli = join(split, 'cli.js');
  const reach = (roots, info) => {
    const seen = new Set();
    for (const stack = [...roots]; stack.length > 0; ) {
      const id = stack.pop();
      if (seen.has(id) || !id.startsWith(split)) continue;
      seen.add(id);
      stack.push(...info(id).importedIds);
    }
    return seen;
  };
  /** Chunk name by module, for the engine's modules. */
  let chunkOf;
  const engineChunks = (info) => {
    const engine = reach(engineRoots, info);
    const stores = LIGHT_LOADS.map((m) => input[m.replaceAll('/', '.')]);
    // The file source's read thread (sources/read-worker.ts) runs part of the engine: it loads the engine's file
    // rather than having that part split out of it for every `vigil run`.
    const workers = [...entries].filter((e) => /(^|-)worker\.js$/.test(basename(e)) && basename(e) !== 'read-worker.js');
    const commands = info(cli).dynamicallyImportedIds.map((d) => [cli, d]);
    const light = [[cli], ...commands, ...[...stores, ...workers].map((e) => [e])].map((roots) => reach(roots, info)).filter((r) => !r.has(parser));
    const groups = new Map();
    for (const id of [...engine].filter((m) => !entries.has(m)).sort()) {
      const key = light.flatMap((r, i) => (r.has(id) ? [i] : [])).join(',');
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    return new Map([...groups].flatMap(([key, ids]) => ids.map((id) => [id, key === '' ? 'engine' : `engine-${basename(ids[0], '.js')}`])));
  };
  const bundle = await rollup({
    input,
    external: (id) => !id.startsWith('.') && !id.startsWith(split),
    preserveEntrySignatures: 'allow-extension',
    // esbuild's source maps, so that the bundle's map still points into src/.
    plugins: [{ name: 'esbuild-maps', load: (id) => ({ code: readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'), map: readFileSync(`${id}.map`, 'utf8') }) }],
    onwarn: (w, warn) => (w.code === 'CIRCULAR_DEPENDENCY' ? undefined : warn(w)),
  });
  const { output } = await bundle.write({
    dir: next,
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].js',
    chunkFileNames: (c) => (c.name === 'engine' ? '[name]-[hash].js' : '[name].js'),
    manualChunks(id, { getModuleInfo }) {
      chunkOf ??= engineChunks(getModuleInfo);
      if (entries.has(id)) return undefined;
      return chunkOf.get(id) ?? basename(id, '.js'); // else esbuild's chunk, as it was
    },
  });
  await bundle.close();
  // Which compiled modules each output holds: test/cli/startup.test.ts reads what a command loads through it,
  // and it answers "where did module X go" when reading a stack trace.
  const modules = {};
  for (const o of output) if (o.type === 'chunk') modules[o.fileName] = Object.keys(o.modules).flatMap((m) => inSplit[m] ?? []);
  writeFileSync(join(next, 'modules.json'), JSON.stringify(modules, null, 1));
}

/**
 * The engine's file as a script run with V8's code cache (scripts/module-script.mjs says why and how): the body
 * `engine-<hash>.body.cjs` (its source map renamed with it) and, under the same name, the module that runs it.
 */
function scriptEngine() {
  const name = readdirSync(next).find((f) => /^engine-[^.]+\.js$/.test(f) && !f.startsWith('engine-chunk-'));
  if (name === undefined) throw new Error('bundle: no engine-<hash>.js in the bundle (mergeEngine names it)');
  const base = basename(name, '.js');
  const file = join(next, name);
  const { body, module } = moduleAsScript(readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'), base);
  writeFileSync(join(next, `${base}.body.cjs`), body);
  renameSync(`${file}.map`, join(next, `${base}.body.cjs.map`));
  writeFileSync(file, module);
}

try {
  await mergeEngine();
  scriptEngine();
} finally {
  rmSync(split, { recursive: true, force: true });
}
try {
  renameSync(OUT, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, OUT);
rmSync(old, { recursive: true, force: true });
process.stdout.write(`bundle: ${Object.keys(entryPoints).length} entries -> ${relative(ROOT, OUT)}/\n`);
