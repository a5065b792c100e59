import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

// npm 11.16+ ends `npm ci` with "N packages have install scripts not yet covered by allowScripts" for every
// dependency with an install script that package.json's `allowScripts` does not list, and a later npm skips
// those scripts: better-sqlite3's (its native binding: no store without it) and esbuild's would not run.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { allowScripts?: Record<string, unknown> };
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

describe('install scripts', () => {
  it('every locked dependency with an install script is approved by name in package.json allowScripts', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript === true)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts).toContain('better-sqlite3');
    const approved = Object.entries(pkg.allowScripts ?? {}).filter(([, v]) => v === true).map(([k]) => k);
    expect(withScripts.filter((name) => !approved.includes(name))).toEqual([]);
  });
});
