/**
 * The exact-value conditions on indexed fields a plan hands its source (ScanRequest.indexed): only those where
 * `process_name=value` keeps exactly the events whose process name, lower-cased, is the value lower-cased.
 */
import { describe, expect, it } from 'vitest';
import { emptyScanRequest, type ScanRequest } from '../../src/events/scan.js';
import { unionRequest } from '../../src/spl/exec/multi.js';
import type { Knowledge } from '../../src/spl/datamodel/types.js';
import { plan } from '../../src/spl/index.js';
import { explainPlan } from '../../src/spl/plan/explain.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';

const indexed = (spl: string, knowledge?: Knowledge) => plan(spl, { macros: new MacroLibrary(), now: 0, tz: 'UTC', ...(knowledge ? { knowledge } : {}) }).scan.indexed ?? [];

describe('indexed field conditions', () => {
  it('come from the leading search: one value, a list, a disjunction of the field, lower-cased and once each', () => {
    expect(indexed('sourcetype=x process_name="CuRl"')).toEqual([{ field: 'process_name', values: ['curl'] }]);
    expect(indexed('process_name IN ("sh", "SH", "bash")')).toEqual([{ field: 'process_name', values: ['sh', 'bash'] }]);
    expect(indexed('(process_name=sh OR process_name IN (bash, zsh)) user=root')).toEqual([{ field: 'process_name', values: ['sh', 'bash', 'zsh'] }]);
    expect(indexed('process_name=sh process_name IN (sh, bash)')).toEqual([
      { field: 'process_name', values: ['sh'] },
      { field: 'process_name', values: ['sh', 'bash'] },
    ]);
    expect(indexed('process_name=""')).toEqual([{ field: 'process_name', values: [''] }]);
    expect(indexed('* | search process_name=sh | stats count')).toEqual([{ field: 'process_name', values: ['sh'] }]);
    const text = explainPlan(plan('process_name IN (curl, Wget)', { macros: new MacroLibrary(), now: 0, tz: 'UTC' }));
    expect(text).toContain('indexed field process_name IN ("curl", "wget") (the store reads these from its index)');
  });

  it('are none where the comparison keeps other texts, or the field is not the event own', () => {
    for (const spl of [
      'process_name=cu*', // a wildcard
      'process_name=7', // numbers match numerically (7.0)
      'process_name=10.0.0.0/8', // a CIDR block matches addresses
      'process_name=CASE(curl)', // case-sensitive
      'NOT process_name=curl',
      'process_name!=curl',
      '(process_name=sh OR user=root)',
      'process_name IN (sh, cu*)',
      'parent_process_name=sh', // not an indexed field
      'curl',
      '* | eval process_name="sh" | search process_name=sh',
    ]) {
      expect(indexed(spl), spl).toEqual([]);
    }
    // A field knowledge computes is not the event's own (today event types and tags; a calculated field would be).
    const knowledge: Knowledge = {
      dataset: () => ({ ok: false, code: 'SPL_UNKNOWN_DATAMODEL', message: 'none' }),
      dataModelNames: () => [],
      expand: (e) => e,
      derived: { names: new Set(['process_name']), compute: () => new Map() },
    };
    expect(indexed('process_name=sh', knowledge)).toEqual([]);
  });

  it('of a shared scan: the values of them all when every search has one on the field, else none', () => {
    const req = (values?: string[]): ScanRequest => ({ ...emptyScanRequest(), ...(values ? { indexed: [{ field: 'process_name', values }] } : {}) });
    expect(unionRequest([req(['sh']), req(['curl', 'sh'])]).indexed).toEqual([{ field: 'process_name', values: ['sh', 'curl'] }]);
    expect(unionRequest([req(['sh']), req()]).indexed).toBeUndefined();
    // Two conditions of one search on the field: its narrower one.
    const two: ScanRequest = { ...emptyScanRequest(), indexed: [{ field: 'process_name', values: ['a', 'b', 'c'] }, { field: 'process_name', values: ['a'] }] };
    expect(unionRequest([two, req(['d'])]).indexed).toEqual([{ field: 'process_name', values: ['a', 'd'] }]);
  });
});
