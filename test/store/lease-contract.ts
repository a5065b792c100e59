// The run-lease contract of StateStore (claimRun, renewRun, and commitRun's lease check): what every
// implementation must do, run against each by its own test file (test/store/leases.test.ts for SQLite).
// Two "nodes" are two node names; time is the `now` each call is given (epoch seconds).
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { StoreError, type StateStore } from '../../src/store/types.js';
import { makeRun } from './fixtures/runs.js';

export interface LeaseBackend {
  name: string;
  /** Skips the contract (the backend's server is not reachable). */
  skip?: boolean;
  fresh(): Promise<StateStore & { close(): Promise<void> }>;
}

const T = 1_700_000_000;
const LEASE_MS = 30_000;

async function reasonOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e instanceof StoreError ? e.reason : e instanceof VigilError ? e.code : String(e)),
  );
}

export function leaseContract(backend: LeaseBackend): void {
  describe.skipIf(backend.skip)(`run leases (${backend.name})`, () => {
    it('one node at a time: a live lease refuses other nodes, its holder may claim again', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 1)).toBe(false);
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 29.999)).toBe(false);
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T + 10)).toBe(true); // its own: extended
      // Leases are per (detection, scheduled time).
      expect(await s.claimRun('d', T + 3600, 'node-b', LEASE_MS, T + 1)).toBe(true);
      expect(await s.claimRun('other', T, 'node-b', LEASE_MS, T + 1)).toBe(true);
      await s.close();
    });

    it('an expired lease is taken over; the old holder then cannot renew it', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      // Expiry is exclusive of the instant: at now = T + 30 the lease (until T + 30) is no longer live.
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 30)).toBe(true);
      expect(await s.renewRun('d', T, 'node-a', LEASE_MS, T + 31)).toBe(false);
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T + 31)).toBe(false);
      expect(await s.renewRun('d', T, 'node-b', LEASE_MS, T + 31)).toBe(true);
      await s.close();
    });

    it('renewing keeps other nodes off past the first expiry; an expired lease nobody took is still renewable', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      expect(await s.renewRun('d', T, 'node-a', LEASE_MS, T + 20)).toBe(true); // now until T + 50
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 40)).toBe(false);
      expect(await s.renewRun('d', T, 'node-a', LEASE_MS, T + 60)).toBe(true); // expired at T + 50, nobody took it
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 70)).toBe(false);
      // No lease at all: nothing to renew.
      expect(await s.renewRun('d', T + 3600, 'node-a', LEASE_MS, T)).toBe(false);
      await s.close();
    });

    it('renewing with 0 ms releases the lease: another node takes it at once', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      expect(await s.renewRun('d', T, 'node-a', 0, T + 5)).toBe(true);
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 5)).toBe(true);
      await s.close();
    });

    it('commitRun refuses a run another live node holds, accepts the holder\'s, and then nobody can claim it', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      expect(await reasonOf(s.commitRun({ ...makeRun('d', T), lease: { node: 'node-b', now: T + 1 } }))).toBe('STORE_CONFLICT');
      expect(await s.hasRun('d', T)).toBe(false); // nothing of it stored
      expect(await s.findings()).toEqual([]);
      expect(await reasonOf(s.commitRun({ ...makeRun('d', T), lease: { node: 'node-a', now: T + 1 } }))).toBe('resolved');
      expect(await s.hasRun('d', T)).toBe(true);
      expect(await s.claimRun('d', T, 'node-b', LEASE_MS, T + 3600)).toBe(false);
      expect(await s.renewRun('d', T, 'node-a', LEASE_MS, T + 2)).toBe(false);
      await s.close();
    });

    it('commitRun of an expired lease\'s run from another node is accepted (the ledger still keeps it once)', async () => {
      const s = await backend.fresh();
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, T)).toBe(true);
      expect(await reasonOf(s.commitRun({ ...makeRun('d', T), lease: { node: 'node-b', now: T + 31 } }))).toBe('resolved');
      expect(await reasonOf(s.commitRun({ ...makeRun('d', T), lease: { node: 'node-a', now: T + 1 } }))).toBe('STORE_CONFLICT');
      expect(await s.runs()).toHaveLength(1);
      await s.close();
    });

    it('a commit without a lease (a local backfill) is refused while a node holds a live lease, by the wall clock', async () => {
      const s = await backend.fresh();
      const now = Date.now() / 1000;
      expect(await s.claimRun('d', T, 'node-a', LEASE_MS, now)).toBe(true);
      expect(await reasonOf(s.commitRun(makeRun('d', T)))).toBe('STORE_CONFLICT');
      // Another run, and one whose lease expired long ago, commit without one.
      expect(await reasonOf(s.commitRun(makeRun('d', T + 3600)))).toBe('resolved');
      expect(await s.claimRun('e', T, 'node-a', LEASE_MS, now - 3600)).toBe(true);
      expect(await reasonOf(s.commitRun(makeRun('e', T)))).toBe('resolved');
      await s.close();
    });

    it('many nodes claiming one run at once: exactly one wins', async () => {
      const s = await backend.fresh();
      const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => s.claimRun('d', T, `node-${i}`, LEASE_MS, T)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      await s.close();
    });

    it('refuses malformed arguments with INPUT_MALFORMED', async () => {
      const s = await backend.fresh();
      expect(await reasonOf(s.claimRun('', T, 'node-a', LEASE_MS, T))).toBe('INPUT_MALFORMED');
      expect(await reasonOf(s.claimRun('d', T, '', LEASE_MS, T))).toBe('INPUT_MALFORMED');
      expect(await reasonOf(s.claimRun('d', T, 'node-a', -1, T))).toBe('INPUT_MALFORMED');
      expect(await reasonOf(s.claimRun('d', T, 'node-a', LEASE_MS, Number.NaN))).toBe('INPUT_MALFORMED');
      expect(await reasonOf(s.renewRun('d', Number.POSITIVE_INFINITY, 'node-a', LEASE_MS, T))).toBe('INPUT_MALFORMED');
      expect(await reasonOf(s.commitRun({ ...makeRun('d', T), lease: { node: '', now: T } }))).toBe('INPUT_MALFORMED');
      await s.close();
    });
  });
}
