#!/usr/bin/env node
// The last step of `npm run build:server`: V8's code cache of the engine's script (scripts/bundle.mjs, scriptEngine),
// made after the pack ran over a few generated events, so that it holds the functions a run compiles (parsing,
// planning, the file source's scan, the commands the detections use), not only the script's top level.
// `dist/bundle/engine-<hash>.v8cache`: the engine passes it to V8, which rejects it (and compiles, as without one)
// when it was made by another V8 or with other flags; made here, per build, for this build's script only.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from '../bench/generate.mjs';

const BUNDLE = fileURLToPath(new URL('../dist/bundle/', import.meta.url));
const engine = readdirSync(BUNDLE).find((f) => /^engine-[^.]+\.js$/.test(f) && !f.startsWith('engine-chunk-'));
if (engine === undefined) throw new Error('code-cache: no engine-<hash>.js in dist/bundle');
const { __script } = await import(join(BUNDLE, engine));
const { loadContent } = await import(join(BUNDLE, 'detections.content.js'));
const { FileSource } = await import(join(BUNDLE, 'sources.file.js'));
const { runDetections } = await import(join(BUNDLE, 'detections.run.js'));

const dir = mkdtempSync(join(tmpdir(), 'vigil-code-cache-'));
try {
  const events = join(dir, 'events.jsonl');
  await generate(events, 2000);
  const pack = loadContent();
  const now = 1795200000;
  const detections = pack.detections.filter((d) => d.type !== 'Correlation');
  // All in one pass (a shared scan), then each detection alone (a raw prefilter and its line scan), the seed's path
  // last: V8 drops the bytecode of functions left unused over a few collections, which the cache would then lack.
  await runDetections(pack, detections, { source: new FileSource([events], { now }), now, tz: 'UTC', earliest: null, latest: null });
  for (const d of detections) await runDetections(pack, [d], { source: new FileSource([events], { now }), now, tz: 'UTC', earliest: null, latest: null });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const cache = __script.createCachedData();
writeFileSync(join(BUNDLE, engine.replace(/\.js$/, '.v8cache')), cache);
process.stdout.write(`code cache: ${(cache.length / 1024).toFixed(0)} KiB -> dist/bundle/${engine.replace(/\.js$/, '.v8cache')}\n`);
