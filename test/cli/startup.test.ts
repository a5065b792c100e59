import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_MODULES } from '../../src/cli/main.js';

/**
 * What a command imports on its path: `bin/vigil.js` under a module loader hook that records every module
 * URL it loads. A command must not load code it does not use (start-up time is module loading).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const tmp = mkdtempSync(join(tmpdir(), 'vigil-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

writeFileSync(
  join(tmp, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.VIGIL_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`,
);
// ES modules through the loader hook; CommonJS packages (yaml, better-sqlite3) are require()d, which the hook
// does not see in Node 20: Module._load records those.
writeFileSync(
  join(tmp, 'register.mjs'),
  `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(join(tmp, 'hooks.mjs')).href)});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    appendFileSync(process.env.VIGIL_TEST_MODULE_LOG, pathToFileURL(Module._resolveFilename(request, parent, isMain)).href + '\\n');
  } catch {}
  return load.apply(this, arguments);
};
`,
);

let n = 0;
/**
 * The modules of this repository (and its dependencies) that a command loads, as paths relative to the root.
 * The bin runs the bundle (scripts/bundle.mjs): a chunk it loads stands for the compiled modules it holds
 * (dist/bundle/modules.json), so that what is asserted is which code runs, whatever the chunking.
 */
function modulesLoadedBy(args: string[], script = BIN): { code: number | null; modules: string[]; files: Map<string, string[]> } {
  const log = join(tmp, `modules-${n++}.log`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(tmp, 'register.mjs')).href, script, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, VIGIL_TEST_MODULE_LOG: log },
  });
  const root = pathToFileURL(ROOT).href + '/';
  const chunks = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle', 'modules.json'), 'utf8')) as Record<string, string[]>;
  const loaded = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith(root)).map((u) => u.slice(root.length)) : [];
  const modules = loaded.flatMap((m) => (m.startsWith('dist/bundle/') ? (chunks[m.slice('dist/bundle/'.length)] ?? [m]) : [m]));
  // The bundle's files loaded, each with the compiled modules it holds.
  const files = new Map(loaded.filter((m) => m.startsWith('dist/bundle/')).map((m) => [m, chunks[m.slice('dist/bundle/'.length)] ?? []]));
  return { code: r.status, modules, files };
}

// outputs/json.ts is the result-to-JSON rendering the CLI prints with; the rest of outputs/ is alert actions.
const SERVER_CODE = /^(dist\/(web|hec|store|schedule|config|replay|testing)\/|dist\/outputs\/(?!(json|printable)\.js$)|node_modules\/(hono|@hono|better-sqlite3|croner)\/)/;

// Node's own modules a command loads (process.moduleLoadList at exit), for the built-ins loaded on first use.
writeFileSync(
  join(tmp, 'builtins.mjs'),
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.VIGIL_TEST_BUILTIN_LOG, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join('\\n')));
`,
);

function builtinsLoadedBy(args: string[]): string[] {
  const log = join(tmp, `builtins-${n++}.log`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(tmp, 'builtins.mjs')).href, BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, VIGIL_TEST_BUILTIN_LOG: log },
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(log, 'utf8').split('\n');
}

describe('start-up: what each command loads', () => {
  it('loads node:crypto, node:zlib, node:http/https/tls only where they are used (md5/sha, .gz, the server API)', () => {
    const heavy = (m: string): boolean => /^(crypto|zlib|http|https|tls)$/.test(m);
    expect(builtinsLoadedBy(['--help']).filter(heavy)).toEqual([]);
    expect(builtinsLoadedBy(['run', SEED, '--events', DATA, '--threads', '1']).filter(heavy)).toEqual([]);
    // Loaded when used: a search that hashes.
    expect(builtinsLoadedBy(['search', '| makeresults | eval h=md5("abc")']).filter(heavy)).toContain('crypto');
  });

  it('vigil run over a file loads no server, store, scheduler or console code, and no YAML parser (the content snapshot)', () => {
    const { code, modules } = modulesLoadedBy(['run', SEED, '--events', DATA]);
    expect(code).toBe(0);
    expect(modules).toContain('dist/spl/index.js');
    expect(modules.filter((m) => SERVER_CODE.test(m))).toEqual([]);
    expect(modules.filter((m) => m.startsWith('node_modules/yaml/'))).toEqual([]);
    // Nor the definitions of the other commands.
    expect(modules.filter((m) => m.startsWith('dist/cli/commands/') && !/\/(run|content-errors)\.js$/.test(m))).toEqual([]);
  });

  it('vigil run loads the engine from one file (scripts/bundle.mjs mergeEngine: Node pays per file)', () => {
    const { code, files } = modulesLoadedBy(['run', SEED, '--events', DATA, '--threads', '1']);
    expect(code).toBe(0);
    // The parser, the planner, the executor, the content and the file source: all in one output (what the
    // store's threads also load, the Tetragon reader among it, stays apart).
    const engine = ['dist/spl/parse/parser.js', 'dist/spl/plan/plan.js', 'dist/spl/exec/run.js', 'dist/detections/content.js', 'dist/sources/file.js'];
    const holding = new Set(engine.map((m) => [...files].find(([, mods]) => mods.includes(m))?.[0]));
    expect([...holding]).toHaveLength(1);
    expect([...holding][0]).toMatch(/^dist\/bundle\/engine-/);
    // esbuild alone made 45 files of that run. The 31st: spl/lookups.js, shared by the engine and the CLI's
    // --lookup-max-* defaults (so not merged into the engine, which --help must not load).
    expect(files.size).toBeLessThanOrEqual(31);
  });

  it('the engine loads no command-line code: the threads that load it (file reader, search workers, scheduled runs) do not parse options', () => {
    // What the benchmarks and a worker thread import (bench/engine.mjs, src/parallel/worker.ts).
    const script = join(tmp, 'engine.mjs');
    writeFileSync(script, ['detections.content.js', 'detections.run.js', 'sources.file.js'].map((f) => `await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'bundle', f)).href)});`).join('\n'));
    const { code, modules } = modulesLoadedBy([], script);
    expect(code).toBe(0);
    expect(modules).toContain('dist/spl/parse/parser.js');
    expect(modules.filter((m) => m.startsWith('node_modules/commander/') || /^dist\/cli\/(shared|output|main)\.js$/.test(m))).toEqual([]);
  });

  it('vigil search over a file loads no server, store, scheduler or console code', () => {
    const { code, modules } = modulesLoadedBy(['search', '`cisco_isovalent_process_exec` | stats count by pod_name', '--events', DATA]);
    expect(code).toBe(0);
    expect(modules.filter((m) => SERVER_CODE.test(m))).toEqual([]);
  });

  it('vigil --help loads only the command definitions: no engine, content, server or store', () => {
    const { code, modules } = modulesLoadedBy(['--help']);
    expect(code).toBe(0);
    expect(modules.filter((m) => SERVER_CODE.test(m) || /^dist\/(spl\/(index|commands|exec|plan|parse|eval)|detections|normalize|sources|datamodels)\b/.test(m) || m.startsWith('node_modules/yaml/'))).toEqual([]);
  });

  it('knows which module registers each command (the table that lets a command line load only its own)', async () => {
    const all = new Command();
    for (const m of COMMAND_MODULES) {
      const program = new Command();
      (await m.register())(program);
      expect(program.commands.map((c) => c.name())).toEqual(m.names);
      (await m.register())(all);
    }
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', cwd: ROOT });
    expect(help.status).toBe(0);
    for (const c of all.commands) expect(help.stdout).toContain(`  ${c.name()} `);
  });
});
