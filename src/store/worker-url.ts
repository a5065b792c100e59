/**
 * Where the store's worker scripts are. Built code (dist/bundle/) runs the `.js` file next to this one; from
 * TypeScript sources (tests under vitest) a worker first installs the transpile-only hooks in dev/, through
 * a small inline module, since worker threads do not go through vitest's transform.
 */
export function storeWorkerUrl(name: 'writer-worker' | 'checkpoint-worker' | 'scan-worker'): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL(`./${name}.js`, here);
  const hooks = new URL('./dev/register.mjs', here).href;
  const entry = new URL(`./${name}.ts`, here).href;
  const code = `await import(${JSON.stringify(hooks)});\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
