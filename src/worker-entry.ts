/**
 * The URL to start a worker thread from, for a worker module next to `moduleUrl`. Built code runs the
 * `.js` file (in dist/bundle/, next to every chunk: scripts/bundle.mjs names each worker entry by its file);
 * from TypeScript sources (tests under vitest, which does not transform workers) the worker
 * first installs the transpile-only hooks in store/dev/.
 */
export function workerEntry(moduleUrl: string, name: string): URL {
  if (!moduleUrl.endsWith('.ts')) return new URL(`./${name}.js`, moduleUrl);
  const hooks = new URL('./store/dev/register.mjs', import.meta.url).href;
  const entry = new URL(`./${name}.ts`, moduleUrl).href;
  const code = `await import(${JSON.stringify(hooks)});\nawait import(${JSON.stringify(entry)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
