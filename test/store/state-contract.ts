// The StateStore contract: what every implementation (the SQLite store, the PostgreSQL control plane) must do,
// run against each by its own test file (test/store/state.test.ts, test/cluster/control-plane.test.ts).
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { VigilError } from '../../src/errors.js';
import { DEAD_LETTER_AT, StoreError, type FindingRecord, type RunCommit, type StateStore } from '../../src/store/types.js';
import { makeRun, runId } from './fixtures/runs.js';
import { event } from './helpers.js';

export type ContractStore = StateStore & { close(): Promise<void> };

export interface StateBackend {
  name: string;
  /** Skips the contract (the backend's server is not reachable). */
  skip?: boolean;
  fresh(): Promise<ContractStore>;
  /** Every event the store's run commits stored, wherever it keeps them (stored fields only). */
  events(s: ContractStore): Promise<Event[]>;
}

const T = 1_700_000_000;
const HOUR = 3600;

/** The error a promise rejects with (fails the test when it resolves). */
export async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

/** A StoreError's reason, a VigilError's code, else the message: what the tests compare. */
export function reason(e: Error): string {
  return e instanceof StoreError ? e.reason : e instanceof VigilError ? e.code : e.message;
}

export function stateContract(backend: StateBackend): void {
  const fresh = () => backend.fresh();
  const storedRaws = async (s: ContractStore) =>
    (await backend.events(s))
      .filter((e) => e.index === 'risk' || e.index === 'notable')
      .map((e) => e._raw)
      .sort();

  describe.skipIf(backend.skip)(`StateStore contract: ${backend.name}`, () => {
    describe('commitRun', () => {
      it('round-trips a run: ledger row, events in their indexes, findings, outbox, suppressions', async () => {
        const s = await fresh();
        expect(await s.hasRun('d1', T)).toBe(false);
        expect(await s.lastRun('d1')).toBeNull();
        const c = makeRun('d1', T, { risk: 4, notable: 2, findings: 2, outbox: 2, suppressions: 2 });
        c.run.startedAt = T + 0.123456; // fractional times come back exactly
        await s.commitRun(c);
        // A read right after the resolved commit sees it.
        expect(await s.hasRun('d1', T)).toBe(true);
        expect(await s.hasRun('d1', T + HOUR)).toBe(false);
        expect(await s.hasRun('d2', T)).toBe(false);
        expect(await s.lastRun('d1')).toEqual(c.run);
        expect(await s.runs()).toEqual([c.run]);

        const events = await backend.events(s);
        expect(events.sort((a, b) => a._raw.localeCompare(b._raw))).toEqual(c.events.map((e) => ({ ...e })).sort((a, b) => a._raw.localeCompare(b._raw)));

        expect(await s.findings()).toEqual([...c.findings].reverse()); // same time: latest inserted first
        expect(await s.finding(c.findings[0]!.id)).toEqual({ finding: c.findings[0], comments: [] });
        expect(await s.finding('nope')).toBeNull();
        expect(await s.dueOutbox(T + 10, 10)).toEqual(c.outbox.map((o) => ({ ...o, attempts: 0, lastError: null })));
        expect(await s.suppressed(['d1:k0', 'd1:k1', 'other'], T)).toEqual(new Set(['d1:k0', 'd1:k1']));
        await s.close();
      });

      it('commits a run without outputs (a failed run is a ledger row too)', async () => {
        const s = await fresh();
        const c: RunCommit = { ...makeRun('d1', T, { risk: 0, findings: 0, outbox: 0, suppressions: 0 }) };
        c.run.status = 'failed';
        c.run.error = 'search "x" exceeded its 300 s time limit';
        await s.commitRun(c);
        expect(await s.lastRun('d1')).toEqual(c.run);
        await s.close();
      });

      it('rejects a second commit of the same run with STORE_CONFLICT and stores nothing of it', async () => {
        const s = await fresh();
        await s.commitRun(makeRun('d1', T, { risk: 3 }));
        const before = { raws: await storedRaws(s), findings: (await s.findings()), outbox: (await s.dueOutbox(1e12, 100)), runs: (await s.runs()) };

        const again = makeRun('d1', T, { risk: 5, findings: 2, outbox: 2, suppressions: 1 });
        again.run.resultCount = 99;
        again.events.push(event({ _time: T, index: 'main', _raw: 'from the duplicate' }));
        again.findings[1]!.id = 'brand-new-finding';
        again.outbox[1]!.id = 'brand-new-outbox';
        again.suppressions[0]!.until = T + 99 * HOUR;
        const err = await failure(s.commitRun(again));
        expect(err).toBeInstanceOf(StoreError);
        expect(reason(err)).toBe('STORE_CONFLICT');
        expect(err.message).toMatch(/already in the ledger/);

        expect(await storedRaws(s)).toEqual(before.raws);
        expect((await backend.events(s)).filter((e) => e.index === 'main')).toEqual([]);
        expect(await s.findings()).toEqual(before.findings);
        expect(await s.finding('brand-new-finding')).toBeNull();
        expect(await s.dueOutbox(1e12, 100)).toEqual(before.outbox);
        expect(await s.runs()).toEqual(before.runs);
        expect(await s.suppressed(['d1:k0'], T + 2 * HOUR)).toEqual(new Set()); // not extended by the rejected commit
        // The same scheduled time of another detection is another run.
        await s.commitRun(makeRun('d2', T));
        expect((await s.runs()).map((r) => r.detectionId).sort()).toEqual(['d1', 'd2']);
        await s.close();
      });

      it('keeps existing findings and outbox items when a later run carries the same ids', async () => {
        const s = await fresh();
        const first = makeRun('rule', T, { findings: 1, outbox: 1 });
        await s.commitRun(first);
        const fid = first.findings[0]!.id;
        const oid = first.outbox[0]!.id;
        await s.updateFinding(fid, { status: 'in progress', owner: 'alice' }, 'alice', T + 10);
        await s.outboxFailed(oid, 'HTTP 503', T + 100);

        const second = makeRun('rule', T + HOUR, { findings: 1, outbox: 1 });
        second.findings[0] = { ...second.findings[0]!, id: fid, riskScore: 1 };
        second.outbox[0] = { ...second.outbox[0]!, id: oid, payload: 'changed' };
        await s.commitRun(second);
        expect((await s.finding(fid))?.finding).toMatchObject({ status: 'in progress', owner: 'alice', riskScore: 100, updatedAt: T + 10 });
        expect(await s.findings()).toHaveLength(1);
        expect(await s.dueOutbox(1e12, 10)).toEqual([{ ...first.outbox[0]!, attempts: 1, lastError: 'HTTP 503', nextAttemptAt: T + 100 }]);
        expect(await s.runs()).toHaveLength(2);
        await s.close();
      });

      it('validates before queueing: a bad event or row refuses the whole run', async () => {
        const s = await fresh();
        const badEvent = makeRun('d1', T);
        badEvent.events[1] = { ...badEvent.events[1]!, _time: Number.NaN };
        let err = await failure(s.commitRun(badEvent));
        expect(reason(err)).toBe('INPUT_MALFORMED');
        expect(err.message).toMatch(/event 1 of the batch/);

        const badTime = makeRun('d1', T);
        badTime.run.scheduledTime = Number.POSITIVE_INFINITY;
        err = await failure(s.commitRun(badTime));
        expect(reason(err)).toBe('INPUT_MALFORMED');
        expect(err.message).toMatch(/scheduledTime must be a finite number/);

        const badFinding = makeRun('d1', T);
        (badFinding.findings[0] as { status: string }).status = 'open';
        err = await failure(s.commitRun(badFinding));
        expect(err.message).toMatch(/finding 0: status must be one of 'new', 'in progress', 'resolved', 'closed'/);

        const badStatus = makeRun('d1', T);
        (badStatus.run as { status: string }).status = 'ok';
        expect(reason(await failure(s.commitRun(badStatus)))).toBe('INPUT_MALFORMED');

        expect(await s.hasRun('d1', T)).toBe(false);
        expect(await storedRaws(s)).toEqual([]);
        await s.commitRun(makeRun('d1', T));
        expect(await s.hasRun('d1', T)).toBe(true);
        await s.close();
      });

      it('admits one of two concurrent commits of the same run; the other is STORE_CONFLICT', async () => {
        const s = await fresh();
        const results = await Promise.all(
          [1, 2].map(() =>
            s.commitRun(makeRun('d', T, { risk: 2, findings: 2, outbox: 2 })).then(
              () => 'ok',
              (e: Error) => reason(e),
            ),
          ),
        );
        expect(results.sort()).toEqual(['STORE_CONFLICT', 'ok']);
        expect(await s.runs()).toHaveLength(1);
        expect(await s.findings()).toHaveLength(2);
        expect(await s.dueOutbox(1e12, 100)).toHaveLength(2);
        expect(await storedRaws(s)).toHaveLength(2);
        await s.close();
      });
    });

    describe('runs and cursors', () => {
      it('filters runs by detection, status and time, newest first, and finds the last run by scheduled time', async () => {
        const s = await fresh();
        // Committed out of order: lastRun is by scheduled time, not by commit order.
        const times = [T + 2 * HOUR, T, T + 3 * HOUR, T + HOUR];
        for (const t of times) {
          for (const d of ['a', 'b']) {
            const c = makeRun(d, t, { risk: 0, findings: 0, outbox: 0, suppressions: 0 });
            if (d === 'b' && t === T + HOUR) {
              c.run.status = 'timeout';
              c.run.error = 'too slow';
            }
            await s.commitRun(c);
          }
        }
        expect((await s.lastRun('a'))?.scheduledTime).toBe(T + 3 * HOUR);
        expect((await s.runs()).map((r) => `${r.detectionId}@${r.scheduledTime - T}`)).toEqual([
          `b@${3 * HOUR}`,
          `a@${3 * HOUR}`,
          `b@${2 * HOUR}`,
          `a@${2 * HOUR}`,
          `b@${HOUR}`,
          `a@${HOUR}`,
          'b@0',
          'a@0',
        ]);
        expect((await s.runs({ detectionId: 'a' })).map((r) => r.scheduledTime)).toEqual([T + 3 * HOUR, T + 2 * HOUR, T + HOUR, T]);
        expect(await s.runs({ status: 'timeout' })).toMatchObject([{ detectionId: 'b', scheduledTime: T + HOUR, error: 'too slow' }]);
        expect((await s.runs({ since: T + HOUR, until: T + 3 * HOUR, detectionId: 'b' })).map((r) => r.scheduledTime)).toEqual([T + 2 * HOUR, T + HOUR]);
        expect(await s.runs({ limit: 3 })).toHaveLength(3);
        expect(await s.runs({ limit: 0 })).toEqual([]);
        expect(await s.runs({ detectionId: 'zzz' })).toEqual([]);
        await expect(s.runs({ limit: -1 })).rejects.toThrow(/limit/);
        await s.close();
      });

      it('keeps one cursor per detection', async () => {
        const s = await fresh();
        expect(await s.cursor('a')).toBeNull();
        await s.setCursor('a', T);
        await s.setCursor('b', T + 1.5);
        await s.setCursor('a', T + HOUR);
        expect(await s.cursor('a')).toBe(T + HOUR);
        await s.setCursor('a', T - HOUR); // the scheduler may move it back (a replay)
        expect([await s.cursor('a'), await s.cursor('b'), await s.cursor('c')]).toEqual([T - HOUR, T + 1.5, null]);
        expect(reason(await failure(s.setCursor('a', Number.NaN)))).toBe('INPUT_MALFORMED');
        await s.close();
      });
    });

    describe('findings', () => {
      async function seeded(): Promise<{ s: ContractStore; all: FindingRecord[] }> {
        const s = await fresh();
        for (let h = 0; h < 4; h++) await s.commitRun(makeRun('rule', T + h * HOUR, { risk: 0, findings: 3, outbox: 0 }));
        return { s, all: (await s.findings()) };
      }

      it('filters by status, owner, risk object and time, newest first', async () => {
        const { s, all } = await seeded();
        expect(all).toHaveLength(12);
        expect(all.map((f) => f.time)).toEqual([...all.map((f) => f.time)].sort((a, b) => b - a));
        const id = (h: number, j: number) => `${runId('rule', T + h * HOUR)}#f${j}`;
        await s.updateFinding(id(0, 0), { status: 'resolved', owner: 'alice' }, 'alice', T + 9);
        await s.updateFinding(id(2, 1), { owner: 'alice' }, 'bob', T + 10);
        await s.updateFinding(id(3, 2), { status: 'in progress' }, 'bob', T + 11);

        expect((await s.findings({ status: 'resolved' })).map((f) => f.id)).toEqual([id(0, 0)]);
        expect(await s.findings({ status: 'new' })).toHaveLength(10);
        expect((await s.findings({ owner: 'alice' })).map((f) => f.id)).toEqual([id(2, 1), id(0, 0)]);
        expect((await s.findings({ owner: 'alice', status: 'new' })).map((f) => f.id)).toEqual([id(2, 1)]);
        expect((await s.findings({ riskObject: 'pod-1' })).map((f) => f.id)).toEqual([3, 2, 1, 0].map((h) => id(h, 1)));
        expect((await s.findings({ since: T + 2 * HOUR })).every((f) => f.time >= T + 2 * HOUR)).toBe(true);
        expect(await s.findings({ since: T + 2 * HOUR })).toHaveLength(6);
        expect((await s.findings({ since: T + 2 * HOUR, riskObject: 'pod-2', status: 'in progress' })).map((f) => f.id)).toEqual([id(3, 2)]);
        expect((await s.findings({ limit: 2 })).map((f) => f.id)).toEqual([id(3, 2), id(3, 1)]);
        await s.close();
      });

      it('updates status and owner, returning the record; unknown ids are CONTENT_NOT_FOUND', async () => {
        const { s, all } = await seeded();
        const f = all[0]!;
        const updated = await s.updateFinding(f.id, { status: 'in progress', owner: 'alice' }, 'alice', T + 100);
        expect(updated).toEqual({ ...f, status: 'in progress', owner: 'alice', updatedAt: T + 100 });
        expect((await s.finding(f.id))?.finding).toEqual(updated);
        // owner undefined keeps it; null unassigns; the status is kept when not given.
        expect(await s.updateFinding(f.id, {}, 'bob', T + 101)).toEqual({ ...updated, updatedAt: T + 101 });
        expect(await s.updateFinding(f.id, { owner: null }, 'bob', T + 102)).toEqual({ ...updated, owner: null, updatedAt: T + 102 });
        expect(await s.updateFinding(f.id, { status: 'closed' }, 'bob', T + 103)).toMatchObject({ status: 'closed', owner: null });

        const err = await failure(s.updateFinding('missing', { status: 'closed' }, 'bob', T));
        expect(err).toBeInstanceOf(VigilError);
        expect(reason(err)).toBe('CONTENT_NOT_FOUND');
        expect(err.message).toMatch(/no finding with id "missing"/);
        expect(reason(await failure(s.updateFinding(f.id, { status: 'open' as 'new' }, 'bob', T)))).toBe('INPUT_MALFORMED');
        expect(reason(await failure(s.updateFinding(f.id, {}, 'bob', Number.NaN)))).toBe('INPUT_MALFORMED');
        expect(await s.findings()).toHaveLength(12);
        await s.close();
      });

      it('keeps comments in time order; commenting on an unknown finding is CONTENT_NOT_FOUND', async () => {
        const { s, all } = await seeded();
        const [a, b] = [all[0]!.id, all[1]!.id];
        await s.addComment({ findingId: a, time: T + 20, author: 'bob', text: 'second' });
        await s.addComment({ findingId: a, time: T + 10, author: 'alice', text: 'first' });
        await s.addComment({ findingId: a, time: T + 20, author: 'carol', text: 'third (same time, added later)' });
        await s.addComment({ findingId: b, time: T, author: 'alice', text: 'other finding' });
        expect((await s.finding(a))?.comments).toEqual([
          { findingId: a, time: T + 10, author: 'alice', text: 'first' },
          { findingId: a, time: T + 20, author: 'bob', text: 'second' },
          { findingId: a, time: T + 20, author: 'carol', text: 'third (same time, added later)' },
        ]);
        expect((await s.finding(b))?.comments).toHaveLength(1);
        const err = await failure(s.addComment({ findingId: 'missing', time: T, author: 'x', text: 'y' }));
        expect(reason(err)).toBe('CONTENT_NOT_FOUND');
        expect(await s.finding('missing')).toBeNull();
        await s.close();
      });
    });

    describe('outbox and suppressions', () => {
      it('returns due items by next attempt, counts failed attempts, removes delivered ones', async () => {
        const s = await fresh();
        const c = makeRun('d', T, { outbox: 0 });
        c.outbox = [
          { id: 'late', action: 'webhook', payload: '{"n":1}', createdAt: T, nextAttemptAt: T + 30 },
          { id: 'early', action: 'hec', payload: '{"n":2}', createdAt: T + 1, nextAttemptAt: T + 10 },
          { id: 'mid', action: 'file', payload: '{"n":3}', createdAt: T + 2, nextAttemptAt: T + 20 },
          { id: 'future', action: 'webhook', payload: '{"n":4}', createdAt: T + 3, nextAttemptAt: T + 1000 },
        ];
        await s.commitRun(c);
        const ids = async (now: number, limit = 10) => (await s.dueOutbox(now, limit)).map((o) => o.id);
        expect(await ids(T + 5)).toEqual([]);
        expect(await ids(T + 10)).toEqual(['early']); // due at exactly nextAttemptAt
        expect(await ids(T + 30)).toEqual(['early', 'mid', 'late']);
        expect(await ids(T + 30, 2)).toEqual(['early', 'mid']);
        // The dispatcher leaves out its busy actions, so their backlog does not starve the others.
        expect((await s.dueOutbox(T + 30, 2, ['hec', 'file'])).map((o) => o.id)).toEqual(['late']);

        await s.outboxFailed('early', 'HTTP 500', T + 40);
        await s.outboxFailed('early', 'connection refused', T + 25);
        expect(await ids(T + 30)).toEqual(['mid', 'early', 'late']);
        expect((await s.dueOutbox(T + 30, 10)).find((o) => o.id === 'early')).toEqual({
          id: 'early',
          action: 'hec',
          payload: '{"n":2}',
          createdAt: T + 1,
          attempts: 2,
          nextAttemptAt: T + 25,
          lastError: 'connection refused',
        });

        await s.outboxDelivered('mid');
        await s.outboxDelivered('mid'); // twice is fine (at-least-once deliverers may race)
        await s.outboxFailed('gone', 'x', T); // unknown: nothing to do
        expect(await ids(T + 2000)).toEqual(['early', 'late', 'future']);
        await s.close();
      });

      it('prunes dead letters raised before a time, a batch at a time, and nothing else', async () => {
        const s = await fresh();
        const c = makeRun('d', T, { outbox: 0 });
        const item = (id: string, createdAt: number, nextAttemptAt: number) => ({ id, action: 'webhook', payload: '{}', createdAt, nextAttemptAt });
        c.outbox = [item('dead1', T, T), item('dead2', T + 1, T), item('dead3', T + 5, T), item('retrying', T, T + 10), item('new', T, T)];
        await s.commitRun(c);
        for (const id of ['dead1', 'dead2', 'dead3']) await s.outboxFailed(id, 'gave up after 10 attempts: HTTP 429', DEAD_LETTER_AT);
        await s.outboxFailed('retrying', 'HTTP 500', T + 60);
        const left = async () => (await s.dueOutbox(1e300, 100)).map((o) => o.id).sort();
        expect(await s.pruneDeadLetters(T, 100)).toBe(0); // created at T is not before T
        expect(await s.pruneDeadLetters(T + 2, 0)).toBe(0);
        expect(await s.pruneDeadLetters(T + 2, 1)).toBe(1);
        expect(await left()).toHaveLength(4);
        expect(await s.pruneDeadLetters(T + 2, 100)).toBe(1);
        expect(await left()).toEqual(['dead3', 'new', 'retrying']);
        expect(await s.pruneDeadLetters(T + 1e6, 100)).toBe(1); // dead3; items still owed are never pruned
        expect(await left()).toEqual(['new', 'retrying']);
        expect(reason(await failure(s.pruneDeadLetters(T, -1)))).toBe('USAGE');
        expect(reason(await failure(s.pruneDeadLetters(Number.NaN, 1)))).toBe('INPUT_MALFORMED');
        await s.close();
      });

      it('suppresses a key until `until` (exclusive), keeping the later `until` on upsert', async () => {
        const s = await fresh();
        const c = makeRun('d', T, { suppressions: 0 });
        c.suppressions = [
          { key: 'k1', until: T + 100 },
          { key: 'k2', until: T + 50 },
          { key: 'k1', until: T + 60 }, // the same key twice in one commit: the later until wins
        ];
        await s.commitRun(c);
        expect(await s.suppressed(['k1', 'k2', 'k3'], T + 49)).toEqual(new Set(['k1', 'k2']));
        expect(await s.suppressed(['k1', 'k2'], T + 50)).toEqual(new Set(['k1'])); // at until: no longer suppressed
        expect(await s.suppressed(['k1'], T + 99.5)).toEqual(new Set(['k1']));
        expect(await s.suppressed(['k1'], T + 100)).toEqual(new Set());
        expect(await s.suppressed([], T)).toEqual(new Set());

        const later = makeRun('d', T + HOUR, { suppressions: 0 });
        later.suppressions = [
          { key: 'k1', until: T + 10 }, // earlier: does not shorten
          { key: 'k2', until: T + 500 }, // later: extends
        ];
        await s.commitRun(later);
        expect(await s.suppressed(['k1', 'k2'], T + 99)).toEqual(new Set(['k1', 'k2']));
        expect(await s.suppressed(['k1', 'k2'], T + 200)).toEqual(new Set(['k2']));
        // Many keys at once (no bound-parameter limit).
        const many = Array.from({ length: 40_000 }, (_, i) => `m${i}`);
        expect(await s.suppressed([...many, 'k2'], T)).toEqual(new Set(['k2']));
        await s.close();
      });
    });

    describe('run leases', () => {
      it('claims, renews, expires, releases, and refuses commits that are not the holder’s', async () => {
        const s = await fresh();
        expect(await s.claimRun('d', T, 'A', 30_000, T)).toBe(true);
        expect(await s.claimRun('d', T, 'B', 30_000, T + 29.9)).toBe(false); // live
        expect(await s.claimRun('d', T, 'A', 30_000, T + 10)).toBe(true); // its own: extended to T + 40
        expect(await s.claimRun('d', T, 'B', 30_000, T + 39)).toBe(false);
        expect(await s.renewRun('d', T, 'A', 30_000, T + 39)).toBe(true); // until T + 69
        expect(await s.renewRun('d', T, 'B', 30_000, T + 40)).toBe(false); // not B's
        expect(await s.renewRun('d', T + HOUR, 'A', 30_000, T)).toBe(false); // no lease
        // A commit from B while A's lease is live: refused, nothing stored.
        let err = await failure(s.commitRun({ ...makeRun('d', T), lease: { node: 'B', now: T + 60 } }));
        expect(reason(err)).toBe('STORE_CONFLICT');
        expect(err.message).toMatch(/leased to node A/);
        expect(await s.hasRun('d', T)).toBe(false);
        expect(await storedRaws(s)).toEqual([]);
        // A stops renewing: at expiry B takes the run over; A's renewal and commit then fail.
        expect(await s.claimRun('d', T, 'B', 30_000, T + 69)).toBe(true);
        expect(await s.renewRun('d', T, 'A', 30_000, T + 70)).toBe(false);
        err = await failure(s.commitRun({ ...makeRun('d', T), lease: { node: 'A', now: T + 70 } }));
        expect(err.message).toMatch(/leased to node B/);
        // An expired lease nobody took is still its holder's to renew.
        expect(await s.renewRun('d', T, 'B', 30_000, T + 500)).toBe(true);
        await s.commitRun({ ...makeRun('d', T), lease: { node: 'B', now: T + 501 } });
        // In the ledger: nobody claims or renews it any more, and a second commit conflicts.
        expect(await s.claimRun('d', T, 'A', 30_000, T + 1e6)).toBe(false);
        expect(await s.claimRun('d', T, 'B', 30_000, T + 502)).toBe(false);
        expect(await s.renewRun('d', T, 'B', 30_000, T + 502)).toBe(false);
        err = await failure(s.commitRun({ ...makeRun('d', T), lease: { node: 'B', now: T + 503 } }));
        expect(err.message).toMatch(/already in the ledger/);

        // leaseMs 0 releases: the next node takes it at once.
        expect(await s.claimRun('d', T + HOUR, 'A', 30_000, T)).toBe(true);
        expect(await s.renewRun('d', T + HOUR, 'A', 0, T + 1)).toBe(true);
        expect(await s.claimRun('d', T + HOUR, 'B', 30_000, T + 1)).toBe(true);
        // A commit from no node (a backfill) is checked against the wall clock: refused while a lease is live.
        const wall = Date.now() / 1000;
        expect(await s.claimRun('d', T + 3 * HOUR, 'A', 60_000, wall)).toBe(true);
        err = await failure(s.commitRun(makeRun('d', T + 3 * HOUR)));
        expect(err.message).toMatch(/leased to node A/);
        expect(await s.renewRun('d', T + 3 * HOUR, 'A', 0, wall)).toBe(true);
        await s.commitRun(makeRun('d', T + 3 * HOUR));
        // A run committed without a lease cannot be claimed afterwards.
        await s.commitRun(makeRun('d', T + 2 * HOUR));
        expect(await s.claimRun('d', T + 2 * HOUR, 'B', 30_000, T)).toBe(false);

        for (const bad of [
          () => s.claimRun('d', T, '', 1000, T),
          () => s.claimRun('', T, 'A', 1000, T),
          () => s.claimRun('d', T, 'A', -1, T),
          () => s.renewRun('d', Number.NaN, 'A', 1000, T),
          () => s.claimRun('d', T, 'A', 1000, Number.POSITIVE_INFINITY),
          () => s.commitRun({ ...makeRun('d', T + 9 * HOUR), lease: { node: '', now: T } }),
        ]) {
          expect(reason(await failure(bad()))).toBe('INPUT_MALFORMED');
        }
        await s.close();
      });

      it('many nodes claiming one run at once: exactly one wins; the instant of expiry is no longer live', async () => {
        const s = await fresh();
        const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => s.claimRun('d', T, `node-${i}`, 30_000, T)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        const holder = `node-${wins.indexOf(true)}`;
        expect(await s.claimRun('d', T, 'other', 30_000, T + 29.999)).toBe(false);
        expect(await s.claimRun('d', T, 'other', 30_000, T + 30)).toBe(true); // held until T + 30, exclusive
        expect(await s.renewRun('d', T, holder, 30_000, T + 30)).toBe(false);
        await s.close();
      });
    });

    describe('closed stores', () => {
      it('refuses writes with STORE_CLOSED and rejects reads', async () => {
        const s = await fresh();
        await s.commitRun(makeRun('d', T));
        await s.close();
        expect(reason(await failure(s.commitRun(makeRun('d', T + HOUR))))).toBe('STORE_CLOSED');
        expect(reason(await failure(s.setCursor('d', T)))).toBe('STORE_CLOSED');
        expect(reason(await failure(s.claimRun('d', T + HOUR, 'A', 1000, T)))).toBe('STORE_CLOSED');
        await expect(s.hasRun('d', T)).rejects.toThrow(/closed/);
      });
    });
  });
}
