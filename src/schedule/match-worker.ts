/**
 * The worker thread behind MatchIndexThread (match-thread.ts): holds a MatchIndex and evaluates the
 * detections' filter prefixes on every committed batch the server posts, off the thread that answers HEC
 * requests. Messages are handled in the order they were posted, so a lookup sees every batch posted
 * before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Event } from '../events/event.js';
import { NO_LOOKUPS } from '../spl/lookups.js';
import { MacroLibrary } from '../spl/macros/macros.js';
import { MatchIndex } from './incremental.js';
import { MATCH_STRINGS_PER_EVENT, type FromMatchWorker, type MatchWorkerSetup, type ToMatchWorker } from './match-thread.js';

const setup = workerData as MatchWorkerSetup;
const index = new MatchIndex(setup.startedAfter, setup.horizonSeconds);
// Searches arrive with their macros expanded; prefixes never use lookups.
const content = { macros: new MacroLibrary(), lookups: NO_LOOKUPS };
const port = parentPort!;
const reply = (m: FromMatchWorker) => port.postMessage(m);

port.on('message', (m: ToMatchWorker) => {
  switch (m.type) {
    case 'observe': {
      const events: Event[] = new Array<Event>(m.times.length);
      for (let i = 0, j = 0; i < events.length; i++, j += MATCH_STRINGS_PER_EVENT) {
        const s = m.strings;
        events[i] = { _time: m.times[i]!, index: s[j]!, sourcetype: s[j + 1]!, source: s[j + 2]!, host: s[j + 3]!, _raw: s[j + 4]! };
        const f = m.fields?.[i];
        if (f !== undefined && f !== null) events[i]!.fields = f;
      }
      try {
        index.observe(events, m.firstSeq);
      } catch {
        // A prefix that throws on some event (it should not: the engine reports bad values as null) must
        // not end the index: that batch becomes a gap, and its windows scan (where the error is reported).
        index.gap(m.times.reduce((a, t) => Math.max(a, t), -Infinity)); // not a spread: a batch may hold 100k+ times
      }
      reply({ type: 'observed' });
      return;
    }
    case 'gap':
      index.gap(m.upTo);
      return;
    case 'detections':
      index.setDetections(m.detections, { ...content, runsDerive: m.runsDerive }, m.tz);
      return;
    case 'prune':
      index.prune();
      return;
    case 'forget':
      index.forget(m.index, m.before);
      return;
    case 'lookup':
      void index.lookup(m.detectionId, m.earliest, m.latest).then((matches) => {
        const p = matches?.projection;
        // The rows' arrays move to the server's thread instead of being copied.
        const transfer = p ? [p.times.buffer, p.seqs.buffer, p.indexCodes.buffer, ...p.columns.map((c) => c.codes.buffer)] : [];
        port.postMessage({ type: 'lookup', id: m.id, matches } satisfies FromMatchWorker, transfer as ArrayBuffer[]);
      });
      return;
    case 'stats':
      reply({ type: 'stats', id: m.id, stats: index.stats() });
      return;
  }
});
