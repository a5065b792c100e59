import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The architecture's one rule about dependencies: no cycles, between folders of src/ or between files.
 * (Each folder is one concept; `cli`, `hec` and `web` are edges that call in and nothing imports them.)
 */
const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The relative modules a file depends on: `import … from`, `export … from` (`export * from` too),
 * side-effect `import './x.js'` and dynamic `import('./x.js')`, which loads lazily but is a dependency all the same.
 */
function relativeImports(text: string): string[] {
  return [...text.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
}

const graph = new Map<string, Set<string>>();
for (const f of files(SRC)) {
  const deps = new Set<string>();
  for (const m of relativeImports(readFileSync(f, 'utf8'))) deps.add(normalize(join(dirname(f), m)).replace(/\.js$/, '.ts'));
  graph.set(f, deps);
}
const folderOf = (f: string) => relative(SRC, f).split('/').slice(0, -1)[0] ?? '(root)';

function cycles(g: Map<string, Set<string>>): string[][] {
  const out: string[][] = [];
  const color = new Map<string, number>();
  const stack: string[] = [];
  const visit = (u: string) => {
    color.set(u, 1);
    stack.push(u);
    for (const v of g.get(u) ?? []) {
      if (color.get(v) === 1) out.push([...stack.slice(stack.indexOf(v)), v]);
      else if (!color.has(v)) visit(v);
    }
    stack.pop();
    color.set(u, 2);
  };
  for (const u of g.keys()) if (!color.has(u)) visit(u);
  return out;
}

describe('architecture', () => {
  it('sees every kind of import', () => {
    const text = [
      "import { a } from './a.js';",
      "import type {\n  B,\n} from '../b.js';",
      "export * from './c.js';",
      "export { d } from \"./d.js\";",
      "import './e.js';",
      "const f = await import('./f.js');",
      "import('../g/g.js').then(run);",
      "import { h } from 'node:fs';",
    ].join('\n');
    expect(relativeImports(text)).toEqual(['./a.js', '../b.js', './c.js', './d.js', './e.js', './f.js', '../g/g.js']);
  });

  it('has no import cycles between files', () => {
    expect(cycles(graph).map((c) => c.map((f) => relative(SRC, f)).join(' -> '))).toEqual([]);
  });

  it('has no import cycles between folders, and nothing imports the edges', () => {
    const folders = new Map<string, Set<string>>();
    for (const [f, deps] of graph) {
      const a = folderOf(f);
      for (const d of deps) {
        const b = folderOf(d);
        if (a !== b) (folders.get(a) ?? folders.set(a, new Set()).get(a)!).add(b);
      }
    }
    expect(cycles(folders).map((c) => c.join(' -> '))).toEqual([]);
    const intoEdges = [...folders].filter(([a, bs]) => a !== 'cli' && a !== 'web' && (bs.has('cli') || bs.has('web'))).map(([a]) => a);
    expect(intoEdges).toEqual([]);
  });
});
