import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, metadataPredicate, type ScanRequest } from '../../src/events/scan.js';
import type { EventSource } from '../../src/events/scan.js';
import { MIXED_PART, createPartSql, partTable } from '../../src/store/schema.js';
import { STORE_FILE } from '../../src/store/sqlite-store.js';
export { rng } from '../rng.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const TS_HOOKS = join(REPO, 'src/store/dev/register.mjs');

const dirs: string[] = [];

/** A fresh temp dir, removed by `cleanupDirs()` (call it in afterAll/afterEach). */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-store-'));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Turns a closed store into what a build before migration 5 left: each bucket one mixed table `b<id>` holding all
 * its rows (same rowids), no `bucket_parts`, schema version 4.
 */
export function toVersion4(dir: string): void {
  const db = new Database(join(dir, STORE_FILE));
  db.transaction(() => {
    const parts = db.prepare<[], { bucket_id: number; st: number }>('SELECT bucket_id, st FROM bucket_parts').all();
    for (const { bucket_id: id } of parts) {
      if (!parts.some((p) => p.bucket_id === id && p.st === MIXED_PART)) {
        db.exec(createPartSql(id, MIXED_PART, 0, false));
        parts.push({ bucket_id: id, st: MIXED_PART });
      }
    }
    for (const { bucket_id: id, st } of parts) {
      if (st === MIXED_PART) continue;
      db.exec(`INSERT INTO b${id} (rowid, t, st, src, host, raw, flags) SELECT rowid, t, st, src, host, raw, flags FROM ${partTable(id, st)}`);
      db.exec(`DROP TABLE ${partTable(id, st)}`);
    }
    db.exec('DROP TABLE bucket_parts');
    db.pragma('user_version = 4');
  })();
  db.close();
}


export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export async function collect(src: EventSource, req: Partial<ScanRequest> = {}): Promise<Event[]> {
  const out: Event[] = [];
  for await (const b of src.scan({ ...emptyScanRequest(), ...req })) out.push(...b);
  return out;
}

/** What a scan must return: the request applied to every event, newest first, ties newest-inserted first. */
export function bruteForce(events: readonly Event[], req: ScanRequest): Event[] {
  const meta = metadataPredicate(req);
  const raw = compileRawFilter(req.raw);
  const keep = events
    .map((e, seq) => ({ e, seq }))
    .filter(({ e }) => (req.earliest === null || e._time >= req.earliest) && (req.latest === null || e._time < req.latest) && meta(e) && (!raw || raw(e._raw)));
  keep.sort((a, b) => b.e._time - a.e._time || b.seq - a.seq);
  return keep.map(({ e }) => e);
}

/** Events without the optional `json`, for deep equality. */
export function plain(events: readonly Event[]): Omit<Event, 'json'>[] {
  return events.map(({ _time, index, sourcetype, source, host, _raw }) => ({ _time, index, sourcetype, source, host, _raw }));
}

export function event(over: Partial<Event> & { _time: number }): Event {
  return { index: 'main', sourcetype: 'st', source: 'src', host: 'h', _raw: '{}', ...over };
}

/** Runs a TypeScript file in a child `node` with the dev transpile hooks. */
export function spawnTs(script: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TS_HOOKS, script, ...args], { cwd: REPO, stdio: 'pipe' });
}

/** Calls `onLine` for each stdout line of a child. */
export function onLines(child: ChildProcessWithoutNullStreams, onLine: (line: string) => void): void {
  let buf = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
}

export function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}
