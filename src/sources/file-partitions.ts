/**
 * Partitions of file inputs for a parallel scan (src/parallel/): byte ranges of plain files cut just
 * after a line feed, so each range holds whole lines (0x0A never occurs inside a UTF-8 sequence, and a
 * CRLF stays with its line); a gzip file is one partition (a gzip member cannot be entered in the middle).
 * Each range is read by a FileSource with `range` (file.ts).
 */
import { open, stat } from 'node:fs/promises';

export interface FilePartition {
  /** The file as given on the command line. */
  path: string;
  /** Which input it is (its position in the list of paths). */
  input: number;
  /** Bytes [start, end) of the file; for gzip, the whole file (0, size). */
  start: number;
  end: number;
  gzip: boolean;
}

/** Bytes read at a time to find the end of the line a cut point falls in. */
const PROBE = 1 << 16;

/**
 * The partitions of `paths`, in input order, each plain file cut into ranges of about `target` bytes; null
 * when an input cannot be partitioned (stdin, or one that cannot be read: the one-thread scan reports it
 * with its usual error). Empty files have no partition.
 */
export async function filePartitions(paths: readonly string[], target: number): Promise<FilePartition[] | null> {
  const out: FilePartition[] = [];
  for (let input = 0; input < paths.length; input++) {
    const path = paths[input]!;
    if (path === '-') return null;
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    try {
      const st = await stat(path);
      if (!st.isFile()) return null;
      if (st.size === 0) continue;
      fh = await open(path, 'r');
      const head = Buffer.alloc(2);
      const { bytesRead } = await fh.read(head, 0, 2, 0);
      if (bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b) {
        out.push({ path, input, start: 0, end: st.size, gzip: true });
        continue;
      }
      const probe = Buffer.allocUnsafe(PROBE);
      let start = 0;
      while (start < st.size) {
        let end = st.size;
        // The cut: just after the first line feed at or beyond start + target.
        for (let at = start + Math.max(1, target) - 1; at < st.size; ) {
          const n = (await fh.read(probe, 0, PROBE, at)).bytesRead;
          if (n === 0) break;
          const nl = probe.subarray(0, n).indexOf(10);
          if (nl >= 0) {
            end = Math.min(st.size, at + nl + 1);
            break;
          }
          at += n;
        }
        out.push({ path, input, start, end, gzip: false });
        start = end;
      }
    } catch {
      return null;
    } finally {
      await fh?.close();
    }
  }
  return out;
}
