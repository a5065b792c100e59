import { describe, expect, it } from 'vitest';
import type { Result } from '../../../src/events/result.js';
import type { FieldValue } from '../../../src/events/value.js';
import { jsonEvents, search } from '../../helpers.js';

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

  it('renames in order (a AS b, b AS c), and a missing field changes nothing', async () => {
    const rows = await search('* | head 1 | table user dest_ip | rename user AS b, b AS c, nope AS dest_ip', events);
    expect(rows.map(fieldsOf)).toEqual([
      [
        ['c', 'bob'],
        ['dest_ip', '10.0.0.3'],
      ],
    ]);
  });

  it('moves a raw event field: the old name is gone, the new one holds its value', async () => {
    const rows = await search('* | head 1 | rename user AS account | eval seen=if(isnull(user), "gone", "kept")', events);
    expect(rows[0]!.get('account')).toBe('bob');
    expect(rows[0]!.get('user')).toBeNull();
    expect(rows[0]!.get('seen')).toBe('gone');
  });
});
