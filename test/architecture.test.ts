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

const graph = new Map<string, Set<string>>();
for (const f of files(SRC)) {
  const deps = new Set<string>();
  for (const m of readFileSync(f, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    deps.add(normalize(join(dirname(f), m[1]!)).replace(/\.js$/, '.ts'));
  }
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
