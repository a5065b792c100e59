import { describe, expect, it } from 'vitest';
import { packWith, processExec, rows, splError } from '../datamodel/helpers.js';

/** `| datamodel <M> <D> search|flat` and `| from datamodel:<M>.<D>` over the bundled Endpoint model. */
const pack = packWith();
const EVENTS = [
  processExec(100, { binary: '/usr/bin/curl', arguments: '-k https://example.org', pid: 42 }, { binary: '/bin/bash', pid: 41 }),
  { _time: 101, sourcetype: 'cisco:isovalent', _raw: JSON.stringify({ process_exit: { process: { binary: '/usr/bin/curl', pid: 42 } } }) },
  processExec(102, { binary: '/usr/bin/id', pid: 43 }),
];

describe('datamodel', () => {
  it('search mode: the dataset events with prefixed fields, the calculated ones included', async () => {
    expect(
      await rows(pack, '| datamodel Endpoint Processes search | table _time sourcetype Processes.process_name Processes.process Processes.parent_process_name Processes.loaded_file Processes.process_name_x process_name', EVENTS),
    ).toEqual([
      // id has no parent: parent_process_name is filled with "unknown"; fields outside the dataset have no value.
      { _time: '102', sourcetype: 'cisco:isovalent:processExec', 'Processes.process_name': 'id', 'Processes.process': '/usr/bin/id', 'Processes.parent_process_name': 'unknown', 'Processes.loaded_file': 'unknown' },
      { _time: '100', sourcetype: 'cisco:isovalent:processExec', 'Processes.process_name': 'curl', 'Processes.process': '/usr/bin/curl -k https://example.org', 'Processes.parent_process_name': 'bash', 'Processes.loaded_file': 'unknown' },
    ]);
  });

  it('flat mode: the same without the prefix; strict_fields=false keeps the event\'s other fields', async () => {
    expect(await rows(pack, '| datamodel Endpoint Processes flat | table process_name vendor_product pod_name', EVENTS)).toEqual([
      { process_name: 'id', vendor_product: 'Cisco Isovalent' },
      { process_name: 'curl', vendor_product: 'Cisco Isovalent' },
    ]);
    expect(await rows(pack, '| datamodel Endpoint Processes search strict_fields=false | table Processes.pid process_exec.process.pid', EVENTS)).toEqual([
      { 'process_exec.process.pid': '43' },
      { 'process_exec.process.pid': '42' },
    ]);
  });

  it('errors: unknown data model or dataset, a missing or unsupported mode', async () => {
    expect((await splError(pack, '| datamodel Endpoint Nope search')).code).toBe('SPL_UNKNOWN_DATAMODEL');
    expect((await splError(pack, '| datamodel Nope Processes flat')).format()).toContain('at 1:13');
    expect((await splError(pack, '| datamodel Endpoint Processes')).message).toContain('needs a data model, a dataset and a mode');
    expect((await splError(pack, '| datamodel Endpoint Processes search_string')).message).toBe('datamodel mode search_string is not supported (modes: search, flat)');
    // Search Reference, datamodel: the options are strict_fields, allow_old_summaries and summariesonly; anything
    // else written key=value is named at its key (it was "unexpected '='"), a filter pointed to | search.
    const e = await splError(pack, '| datamodel Endpoint Processes search Processes.dest=n1');
    expect({ code: e.code, message: e.message, at: e.format().split('\n')[1]!.trim() }).toEqual({
      code: 'SPL_BAD_ARGUMENT',
      message: 'unknown datamodel option "Processes.dest" (options: strict_fields, allow_old_summaries, summariesonly; to filter the events, | search after it)',
      at: 'at 1:39',
    });
    expect((await splError(pack, '| datamodel Endpoint Processes search strict_field=false')).message).toContain('unknown datamodel option "strict_field"');
  });
});

describe('from', () => {
  it('datamodel:<M>.<D> and datamodel <M>.<D>: the events with plain names and their calculated fields', async () => {
    const want = [
      { process_name: 'id', user: 'unknown', parent_process: 'unknown' },
      { process_name: 'curl', user: 'unknown', parent_process: '/bin/bash' },
    ];
    expect(await rows(pack, '| from datamodel:Endpoint.Processes | table process_name user parent_process', EVENTS)).toEqual(want);
    expect(await rows(pack, '| from datamodel Endpoint.Processes | table process_name user parent_process', EVENTS)).toEqual(want);
    expect(await rows(pack, '| from datamodel:"Endpoint.Processes" | stats count', EVENTS)).toEqual([{ count: '2' }]);
  });

  it('errors: other dataset types, unknown data models, not first', async () => {
    expect((await splError(pack, '| from lookup:users')).message).toContain('from supports data model datasets only');
    expect((await splError(pack, '| from datamodel:Nope.X')).code).toBe('SPL_UNKNOWN_DATAMODEL');
    expect((await splError(pack, '| makeresults | from datamodel:Endpoint.Processes')).message).toContain('must be the first command');
  });
});
