// Development only: module hooks that let Node run this repository's TypeScript sources directly
// (transpile-only, no type check). The store uses them for its writer worker when it is itself running
// from `.ts` (under vitest); tests use them for child processes. Built code (dist/) never loads this.
// Output is cached by content hash in the OS temp dir: loading `typescript` costs ~0.6 s per thread.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const CACHE = join(tmpdir(), 'vigil-ts-cache');
const VERSION = 'esnext-es2022-1';
let ts = null;

/** `./x.js` imported from a `.ts` file resolves to `./x.ts` when only the source exists (NodeNext style). */
export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  const local = specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:');
  if (parent && parent.startsWith('file:') && parent.endsWith('.ts') && local && specifier.endsWith('.js')) {
    const js = new URL(specifier, parent);
    if (!existsSync(fileURLToPath(js))) {
      const tsUrl = new URL(js.href.slice(0, -3) + '.ts');
      if (existsSync(fileURLToPath(tsUrl))) return { url: tsUrl.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.ts')) {
    const path = fileURLToPath(url);
    return { format: 'module', source: await transpile(path), shortCircuit: true };
  }
  return next(url, context);
}

async function transpile(path) {
  const text = readFileSync(path, 'utf8');
  const key = createHash('sha256').update(VERSION).update(path).update(text).digest('hex');
  const file = join(CACHE, `${key}.js`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    // not cached yet
  }
  ts ??= (await import('typescript')).default;
  const out = ts.transpileModule(text, {
    fileName: path,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, inlineSourceMap: true },
  }).outputText;
  try {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, out);
    renameSync(tmp, file);
  } catch {
    // caching is best effort
  }
  return out;
}
