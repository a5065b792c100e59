import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, metadataPredicate, type ScanRequest } from '../../src/events/scan.js';
import type { EventSource } from '../../src/events/scan.js';
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
