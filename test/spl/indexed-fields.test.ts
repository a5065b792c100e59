import { describe, expect, it } from 'vitest';
import { rowsText, search } from '../helpers.js';
import type { Event } from '../../src/events/event.js';
import { parseSearchSource } from '../../src/spl/parse/parser.js';
import { SourceText } from '../../src/spl/source.js';

// HEC `fields` (indexed fields) as OpenTelemetry's splunk_hec exporter sends Kubernetes metadata: the values are not
// in `_raw`. Splunk's "Format events for HTTP Event Collector": `fields` "specifies a JSON object that contains
// explicit custom fields to be defined at index time"; searched as `name::value` (indexed term) and shown as fields.
const events: Partial<Event>[] = [
  { _raw: JSON.stringify({ id: 'a', msg: 'started' }), sourcetype: 'otel', host: 'node-1', fields: { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['blue', 'canary'] } },
  { _raw: JSON.stringify({ id: 'b', msg: 'started' }), sourcetype: 'otel', host: 'node-2', fields: { 'k8s.pod.name': 'WEB-2', 'k8s.namespace.name': 'shop' } },
  // The same name searched at search time (KV_MODE=json) and indexed: both values.
  { _raw: JSON.stringify({ id: 'c', msg: 'started', 'k8s.pod.name': 'from-raw' }), sourcetype: 'otel', fields: { 'k8s.pod.name': 'db-1' } },
  // No indexed fields; its text mentions web-1.
  { _raw: JSON.stringify({ id: 'd', msg: 'k8s.pod.name::web-1 web-1' }), sourcetype: 'otel', host: 'node-1' },
  // An indexed process_name on a non-Tetragon line (the pn pushdown must not drop it).
  { _raw: JSON.stringify({ id: 'e' }), sourcetype: 'otel', fields: { process_name: 'curl' } },
  // A client naming metadata in its `fields`: the event stays in its own index, host and sourcetype.
  { _raw: JSON.stringify({ id: 'f' }), sourcetype: 'otel', index: 'main', fields: { index: 'risk', host: 'spoof', sourcetype: 'stash' } },
];
const ids = async (spl: string) => rowsText(await search(spl, events)).map((r) => r['id'] as string).sort();

describe('indexed fields (HEC `fields`)', () => {
  it('are fields of their events: filters, table, stats', async () => {
    expect(await ids('k8s.pod.name=web-1')).toEqual(['a']);
    // Case-insensitive and wildcards, as any field comparison.
    expect(await ids('k8s.pod.name=web-*')).toEqual(['a', 'b']);
    expect(await ids('tags=canary')).toEqual(['a']);
    expect(await ids('process_name=curl')).toEqual(['e']);
    expect(await ids('k8s.namespace.name IN (shop)')).toEqual(['a', 'b']);
    const rows = rowsText(await search('k8s.namespace.name=shop | stats count by k8s.pod.name', events));
    expect(rows).toEqual([
      { 'k8s.pod.name': 'WEB-2', count: '1' },
      { 'k8s.pod.name': 'web-1', count: '1' },
    ]);
    const table = rowsText(await search('id=a | table id tags', events));
    expect(table).toEqual([{ id: 'a', tags: ['blue', 'canary'] }]);
  });

  it('a name both extracted and indexed has both values, the extracted first', async () => {
    const rows = rowsText(await search('id=c | table k8s.pod.name', events));
    expect(rows).toEqual([{ 'k8s.pod.name': ['from-raw', 'db-1'] }]);
    expect(await ids('k8s.pod.name=db-1')).toEqual(['c']);
    expect(await ids('k8s.pod.name=from-raw')).toEqual(['c']);
  });

  it('name::value matches indexed fields only, never _raw or search-time fields', async () => {
    expect(await ids('k8s.pod.name::web-1')).toEqual(['a']);
    expect(await ids('k8s.pod.name::WEB*')).toEqual(['a', 'b']);
    expect(await ids('tags::blue')).toEqual(['a']);
    // `from-raw` is extracted at search time, not indexed.
    expect(await ids('k8s.pod.name::from-raw')).toEqual([]);
    expect(await ids('NOT k8s.pod.name::web-1')).toEqual(['b', 'c', 'd', 'e', 'f']);
    expect(await ids('k8s.pod.name::"web-1"')).toEqual(['a']);
    // host, source, sourcetype are indexed terms of every event.
    expect(await ids('host::node-1')).toEqual(['a', 'd']);
    expect(await ids('sourcetype::otel id=b')).toEqual(['b']);
    // index too: a `fields` entry named index, host or sourcetype is not the event's.
    expect(await ids('index::main')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(await ids('index::risk')).toEqual([]);
    expect(await ids('index=risk OR host=spoof OR sourcetype=stash')).toEqual([]);
    expect(await ids('host::spoof')).toEqual([]);
    expect(await ids('sourcetype::stash')).toEqual([]);
  });

  it('name::value after a transforming command matches nothing (its rows have no indexed fields)', async () => {
    expect(rowsText(await search('* | stats count by k8s.pod.name | search k8s.pod.name::web-1', events))).toEqual([]);
  });

  it('tstats over index data reads them, as Splunk\'s tstats reads indexed fields: WHERE, BY, name::value', async () => {
    // The Search Reference, tstats: "Use the tstats command to perform statistical queries on indexed fields in tsidx files".
    const tstats = async (q: string) => rowsText(await search(q, events));
    expect(await tstats('| tstats count where index=main by k8s.pod.name')).toEqual([
      { 'k8s.pod.name': 'WEB-2', count: '1' },
      { 'k8s.pod.name': 'db-1', count: '1' },
      { 'k8s.pod.name': 'web-1', count: '1' },
    ]);
    expect(await tstats('| tstats count where index=main k8s.namespace.name=shop')).toEqual([{ count: '2' }]);
    expect(await tstats('| tstats count where index=main k8s.pod.name::web*')).toEqual([{ count: '2' }]);
    // Only indexed values: `from-raw` is extracted from _raw at search time, which tstats never reads.
    expect(await tstats('| tstats count where index=main k8s.pod.name=from-raw')).toEqual([{ count: '0' }]);
    expect(await tstats('| tstats dc(tags) as tags where index=main')).toEqual([{ tags: '2' }]);
  });

  it('parses name::value as an indexed term, other `::` words as terms, tag::field=value as a comparison', () => {
    const parse = (q: string) => parseSearchSource(new SourceText(q));
    expect(parse('k8s.pod.name::web-1')).toMatchObject({ kind: 'indexed', field: 'k8s.pod.name', value: { value: 'web-1' } });
    expect(parse('host::"web 01"')).toMatchObject({ kind: 'indexed', field: 'host', value: { value: 'web 01', quoted: true } });
    expect(parse('*sekurlsa::pth*')).toMatchObject({ kind: 'term', value: { value: '*sekurlsa::pth*' } });
    expect(parse('::1')).toMatchObject({ kind: 'term' });
    expect(parse('tag::host=web')).toMatchObject({ kind: 'compare', field: 'tag::host' });
    // `host:: "x"` (a space): a term and a phrase, as Splunk reads the words.
    expect(parse('host:: "x"')).toMatchObject({ kind: 'and' });
  });
});
