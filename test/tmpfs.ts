import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A real full disk for a test file: a tmpfs of `size` (mount's `size=`, e.g. `8m`) mounted on a new directory and
 * unmounted after the file's tests. Only root can mount, and a container may refuse it: `mounted` is then false and
 * the tests skip (`describe.skipIf(!mounted)`).
 */
export function tmpfsForTests(prefix: string, size: string): { dir: string; mounted: boolean } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let mounted = false;
  try {
    if (process.getuid?.() === 0) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
      mounted = true;
    }
  } catch {
    mounted = false;
  }
  afterAll(() => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, mounted };
}
