import { describe, expect, it } from 'vitest';
import type { Result } from '../../../src/events/result.js';
import type { FieldValue } from '../../../src/events/value.js';
import { jsonEvents, search } from '../../helpers.js';
import { at, errorOf, run } from './helpers.js';

const fieldsOf = (r: Result): [string, FieldValue | null][] => r.fieldNames().map((f) => [f, r.get(f)]);

describe('rename', () => {
  const events = jsonEvents([
    { src_ip: '10.0.0.1', dest_ip: '10.0.0.2', user: 'root' },
    { src_ip: '10.0.0.1', dest_ip: '10.0.0.3', user: 'bob' },
  ]);

  it('keeps a stats column in its place (Splunk: `stats count by src | rename src AS Source` shows Source, then count)', async () => {
    const rows = await search('* | stats count by src_ip | rename src_ip AS Source', events);
    expect(rows.map(fieldsOf)).toEqual([
      [
        ['Source', '10.0.0.1'],
        ['count', 2],
      ],
    ]);
  });

  it('keeps table columns in place, wildcards included; renaming onto a column replaces it', async () => {
    const rows = await search('* | table src_ip dest_ip user | rename *_ip AS * | rename user AS src', events);
    expect(rows.map(fieldsOf)).toEqual([
      [
        ['dest', '10.0.0.3'],
        ['src', 'bob'],
      ],
      [
        ['dest', '10.0.0.2'],
        ['src', 'root'],
      ],
    ]);
  });

  it('renames in order (a AS b, b AS c)', async () => {
    const rows = await search('* | head 1 | table user dest_ip | rename user AS b, b AS c', events);
    expect(rows.map(fieldsOf)).toEqual([
      [
        ['c', 'bob'],
        ['dest_ip', '10.0.0.3'],
      ],
    ]);
  });

  // SPL reference, rename, "Renaming a field that does not exist": "Suppose you rename fieldA to fieldB, but fieldA
  // does not exist. If fieldB does not exist, nothing happens. If fieldB does exist, the result of the rename is that
  // the data in fieldB is removed"; "... | rename pid AS product_id ... overwrites product_id with Null values where
  // pid does not exist for the event".
  it('removes the target when the renamed field is missing', async () => {
    const rows = await search('* | head 1 | table user dest_ip | rename nope AS dest_ip, nothing AS absent', events);
    expect(rows.map(fieldsOf)).toEqual([[['user', 'bob']]]);
    const spl = '| makeresults count=2 | streamstats count as n | eval pid=if(n==1, 7, null()), product_id=99 | rename pid AS product_id | table n product_id';
    expect(await run(spl)).toEqual([{ n: 1, product_id: 7 }, { n: 2 }]);
    // A raw event's field too.
    const raw = await search('* | head 1 | rename nope AS user', events);
    expect(raw[0]!.get('user')).toBeNull();
  });

  // SPL reference, rename: "Both the original and renamed fields must include the same number of wildcards,
  // otherwise a wildcard mismatch error is returned."
  it('refuses names with different numbers of wildcards', async () => {
    expect((await errorOf('| makeresults | eval ab=1 | rename a* AS b')).message).toMatch(/wildcards in both names/);
    expect((await errorOf('| makeresults | eval ab=1 | rename a AS b*')).message).toMatch(/wildcards in both names/);
  });

  // SPL reference, rename: "You can't rename one field with multiple names. For example if you have field A, you
  // can't specify | rename A as B, A as C."
  it('refuses one field renamed to several names', async () => {
    const spl = '| makeresults | eval a=1 | rename a AS b, a AS c';
    const e = await errorOf(spl);
    expect(e.message).toMatch(/a is renamed twice/);
    expect(e.format()).toContain(at(spl, 'a AS c'));
    // A rename of the new name is a chain, not a second name.
    expect(await run('| makeresults | eval a=1 | rename a AS b, b AS c | table a b c')).toEqual([{ c: 1 }]);
  });

  it('moves a raw event field: the old name is gone, the new one holds its value', async () => {
    const rows = await search('* | head 1 | rename user AS account | eval seen=if(isnull(user), "gone", "kept")', events);
    expect(rows[0]!.get('account')).toBe('bob');
    expect(rows[0]!.get('user')).toBeNull();
    expect(rows[0]!.get('seen')).toBe('gone');
  });
});
