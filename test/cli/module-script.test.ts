import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script, plain JavaScript without declarations
import { moduleAsScript } from '../../scripts/module-script.mjs';

const asScript = moduleAsScript as (code: string, base: string) => { body: string; module: string };
const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-module-script-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** `code` turned into a script and its module in a directory of its own: the module's path. */
function written(code: string): string {
  const dir = join(tmp, `m${n++}`);
  const { body, module } = asScript(code, 'mod');
  mkdirSync(dir);
  writeFileSync(join(dir, 'mod.body.cjs'), body);
  writeFileSync(join(dir, 'mod.js'), module);
  return join(dir, 'mod.js');
}

/** What `script` (an ES module's text, run in a fresh process) prints. */
function run(script: string): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

const SAMPLE = [
  "import { basename as base, join } from 'node:path';",
  "import fs from 'node:fs';",
  "import * as os from 'node:os';",
  'const here = import.meta.url;',
  'class Counter { n = 0; add() { return ++this.n; } }',
  'function boom() {',
  "  throw new Error('boom');",
  '}',
  "async function later() { const { sep } = await import('node:path'); return sep; }",
  'const counter = new Counter();',
  "export { base as b, join as j, fs as f, os as o, here as h, counter as c, boom as x, later as l, Counter as C };",
  '',
].join('\n');

describe('an ES module as a script with a code cache (scripts/module-script.mjs)', () => {
  it('runs the module: its imports (named, default, namespace), import.meta.url, a dynamic import, its exports', () => {
    const mod = written(SAMPLE);
    const url = pathToFileURL(mod).href;
    const out = run(
      `const m = await import(${JSON.stringify(url)});` +
        `console.log(JSON.stringify({ b: m.b('/a/b.txt'), j: m.j('a', 'b'), f: typeof m.f.readFileSync, o: typeof m.o.tmpdir, h: m.h, c: [m.c.add(), m.c.add()], inst: m.c instanceof m.C, l: await m.l() }));`,
    );
    // import.meta.url is the module's (the script's paths resolve as the module's did).
    expect(JSON.parse(out)).toEqual({ b: 'b.txt', j: join('a', 'b'), f: 'function', o: 'function', h: url, c: [1, 2], inst: true, l: '/' });
  });

  it('keeps line numbers: an error thrown on line 7 of the module is on line 7 of the script', () => {
    const mod = written(SAMPLE);
    const out = run(`const m = await import(${JSON.stringify(pathToFileURL(mod).href)}); try { m.x(); } catch (e) { console.log(e.stack.split('\\n')[1]); }`);
    expect(out).toMatch(/mod\.body\.cjs:7:\d+\)?$/);
  });

  it('takes the code cache a run made, and runs without one or with a bad one', () => {
    const mod = written(SAMPLE);
    const url = JSON.stringify(pathToFileURL(mod).href);
    const cache = join(mod, '..', 'mod.v8cache');
    expect(run(`const m = await import(${url}); console.log(m.__script.cachedDataRejected)`)).toBe('undefined'); // no cache: none offered
    run(`import { writeFileSync } from 'node:fs'; const m = await import(${url}); m.x.length; writeFileSync(${JSON.stringify(cache)}, m.__script.createCachedData());`);
    expect(run(`const m = await import(${url}); console.log(m.__script.cachedDataRejected, m.b('/x/y'))`)).toBe('false y');
    writeFileSync(cache, Buffer.alloc(4096, 7));
    expect(run(`const m = await import(${url}); console.log(m.__script.cachedDataRejected, m.b('/x/y'))`)).toBe('true y');
  });

  it('refuses what a script cannot do, naming it', () => {
    expect(() => asScript('export default 1;\n', 'm')).toThrow(/ExportDefaultDeclaration/);
    expect(() => asScript("export { x } from './x.js';\n", 'm')).toThrow(/ExportNamedDeclaration/);
    expect(() => asScript('export const x = 1;\n', 'm')).toThrow(/ExportNamedDeclaration/);
    expect(() => asScript("const m = await import('node:fs');\nexport { m };\n", 'm')).toThrow(/await/);
    expect(() => asScript("const f = () => import('./other.js');\nexport { f };\n", 'm')).toThrow(/\.\/other\.js dynamically/);
    expect(() => asScript('const f = (x) => import(x);\nexport { f };\n', 'm')).toThrow(/an expression dynamically/);
    expect(() => asScript('const d = import.meta.dirname;\nexport { d };\n', 'm')).toThrow(/import\.meta other than its url/);
    expect(() => asScript("import {\n  join\n} from 'node:path';\nexport { join };\n", 'm')).toThrow(/spans lines/);
  });

  it("the build's engine runs from its script with the code cache V8 accepts", () => {
    const bundle = join(ROOT, 'dist', 'bundle');
    const engine = readdirSync(bundle).find((f) => /^engine-[^.]+\.js$/.test(f) && !f.startsWith('engine-chunk-'));
    expect(engine).toBeDefined();
    expect(readdirSync(bundle)).toContain(engine!.replace(/\.js$/, '.v8cache'));
    expect(run(`const m = await import(${JSON.stringify(pathToFileURL(join(bundle, engine!)).href)}); console.log(m.__script.cachedDataRejected)`)).toBe('false');
  });
});
