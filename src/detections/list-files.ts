import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

/** Where a folder listing reports what it cannot read or will not follow (a content problem at line 0). */
export type ListingProblem = (path: string, message: string, severity: 'error' | 'warning') => void;

/**
 * The files of a folder (none when it does not exist). A folder that cannot be listed (a file named
 * `macros`, no permission) is reported rather than thrown: one bad folder never hides the others. Symbolic
 * links are not followed (a link to a parent folder loops) and, when they would have been read, reported.
 */
export function listFiles(dir: string, accept: (f: string) => boolean, recursive = false, report?: ListingProblem): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') report?.(dir, `cannot read the folder: ${(e as Error).message}`, 'error');
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory() && recursive) out.push(...listFiles(p, accept, true, report));
    else if (e.isFile() && accept(e.name)) out.push(p);
    else if (e.isSymbolicLink() && (recursive || accept(e.name))) report?.(p, 'a symbolic link: not read (content files and folders must be regular ones)', 'warning');
  }
  return out.sort();
}
