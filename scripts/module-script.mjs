// An ES module as a script that V8's code cache can serve (scripts/bundle.mjs runs the engine's file this way).
// Node 20 caches no compiled ES module (`module.enableCompileCache` is Node 22): compiling the engine's file (~0.85 MB)
// was ~35-55 ms of every command that runs a search, on every thread that loads it, and each of its functions was
// compiled again the first time it ran. V8's code cache is reachable through `vm.Script` `cachedData` only, so the
// module's body becomes a script: a function that takes its imports, `import.meta.url` and a dynamic import, and
// returns its exports. The module that replaces it, under its name, imports what it imported, runs the script (with
// the code cache `<base>.v8cache` when present: scripts/code-cache.mjs makes it after a run; V8 rejects a cache made by
// another V8 or with other flags, and compiles as without one) and exports what it returned, so no importer changes.
// What it requires of the module (else it throws, and the build fails): imports and one `export { ... }` at the top
// level, each import on one line; `import.meta.url` the only `import.meta`; dynamic imports of `node:` builtins only
// (a script has no module loader of its own in Node 20: the module imports them for it); no top-level await. Its
// imports are evaluated before it (no cycle through it: the engine's imports are other chunks and builtins), and its
// exports are read once, after it ran (`export const`: nothing it exports is reassigned later). Line numbers stay as
// they were (each import becomes one line in its place; `import.meta.url` a name of the same length), so the module's
// source map holds for the script.
import { parseAst } from 'rollup/parseAst';
import { Script } from 'node:vm';

/** `code` (an ES module) as `{ body, module }`: the script's text (`<base>.body.cjs`) and the module that runs it. */
export function moduleAsScript(code, base) {
  const imports = [];
  let exported = null;
  const edits = [];
  for (const node of parseAst(code).body) {
    if (node.type === 'ImportDeclaration') {
      const k = imports.push(node.source.value) - 1;
      const named = [];
      let whole = null;
      for (const s of node.specifiers) {
        if (s.type === 'ImportNamespaceSpecifier') whole = s.local.name;
        else named.push(`${s.type === 'ImportDefaultSpecifier' ? 'default' : s.imported.type === 'Identifier' ? s.imported.name : JSON.stringify(s.imported.value)}: ${s.local.name}`);
      }
      if (code.slice(node.start, node.end).includes('\n')) throw new Error(`${base}: an import spans lines (the source map would shift)`);
      edits.push([node.start, node.end, [named.length > 0 ? `const { ${named.join(', ')} } = __imports[${k}];` : '', whole !== null ? `const ${whole} = __imports[${k}];` : ''].join(' ')]);
    } else if (node.type === 'ExportNamedDeclaration' && node.declaration === null && node.source === null && exported === null) {
      exported = node.specifiers.map((s) => [s.exported.type === 'Identifier' ? s.exported.name : s.exported.value, s.local.name]);
      edits.push([node.start, node.end, `return { ${exported.map(([e, l]) => `${JSON.stringify(e)}: ${l}`).join(', ')} };`]);
    } else if (node.type.startsWith('Export')) {
      throw new Error(`${base}: a top-level ${node.type} (only one \`export { ... }\` can become a script's return)`);
    }
  }
  exported ??= [];
  if (exported.some(([e]) => !/^[A-Za-z_$][\w$]*$/.test(e) || e.startsWith('__'))) throw new Error(`${base}: an export name the module that runs it cannot declare`);
  let body = code;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0])) body = body.slice(0, start) + text + body.slice(end);
  body = body.replaceAll('import.meta.url', '__importMetaUrl');
  if (body.includes('import.meta')) throw new Error(`${base}: it reads import.meta other than its url`);
  const dynamic = [...body.matchAll(/\bimport\(\s*(['"]?)([^'")]*)/g)].filter((m) => m[1] === '' || !m[2].startsWith('node:'));
  if (dynamic.length > 0) throw new Error(`${base}: it imports ${dynamic.map((m) => (m[1] === '' ? 'an expression' : m[2])).join(', ')} dynamically: only node: builtins can be`);
  body = body.replace(/\bimport\((?=\s*['"]node:)/g, '__import(');
  body = `(function (__imports, __importMetaUrl, __import) { 'use strict'; ${body}\n})\n//# sourceMappingURL=${base}.body.cjs.map\n`;
  new Script(body, { filename: `${base}.body.cjs` }); // a syntax error (a top-level await) fails here, not in a command
  const names = imports.map((_, k) => `__i${k}`);
  const module = [
    `// ${base}.body.cjs run as a script with V8's code cache (scripts/module-script.mjs).`,
    ...imports.map((spec, k) => `import * as ${names[k]} from ${JSON.stringify(spec)};`),
    `import { readFileSync as __read } from 'node:fs';`,
    `import { fileURLToPath as __path } from 'node:url';`,
    `import { Script as __Script } from 'node:vm';`,
    `const __body = new URL('./${base}.body.cjs', import.meta.url);`,
    `let __cache;`,
    `try {`,
    `  __cache = __read(new URL('./${base}.v8cache', import.meta.url));`,
    `} catch {}`,
    `/** The script: scripts/code-cache.mjs writes its code cache after a run; \`cachedDataRejected\` says whether V8 took it. */`,
    `export const __script = new __Script(__read(__body, 'utf8'), { filename: __path(__body), cachedData: __cache });`,
    `export const { ${exported.map(([e]) => e).join(', ')} } = __script.runInThisContext()([${names.join(', ')}], import.meta.url, (builtin) => import(builtin));`,
    '',
  ].join('\n');
  return { body, module };
}
