import { describe, expect, it } from 'vitest';
import { compilePrefix } from '../../src/schedule/incremental.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { NO_LOOKUPS } from '../../src/spl/lookups.js';
import { packWith, processExec } from '../spl/datamodel/helpers.js';

/** Filter prefixes of searches that use event types (tag=, eventtype=) or read data models. */
describe('incremental prefixes and event types', () => {
  const pack = packWith();
  const exec = processExec(1, { binary: '/usr/bin/curl', pid: 1 });
  const exit = { _time: 2, index: 'main', sourcetype: 'cisco:isovalent', source: 's', host: 'h', _raw: JSON.stringify({ process_exit: { process: { binary: '/usr/bin/curl', pid: 1 } } }) };
  const event = (e: typeof exec) => ({ _time: e._time!, index: 'main', sourcetype: e.sourcetype!, source: 's', host: 'h', _raw: e._raw! });

  it('a leading tag= is expanded with the content: the prefix matches what the search matches', () => {
    const p = compilePrefix({ name: 'd', search: 'tag=process process_name=curl | stats count' }, pack, 'UTC');
    expect(p).not.toBeNull();
    expect(p!.accepts(event(exec))).toBe(true);
    expect(p!.accepts(exit)).toBe(false);
  });

  it('without the content (the match worker), or with tag read after the lead, there is no prefix: runs scan', () => {
    const bare = { macros: new MacroLibrary(), lookups: NO_LOOKUPS };
    expect(compilePrefix({ name: 'd', search: 'tag=process | stats count' }, bare, 'UTC')).toBeNull();
    expect(compilePrefix({ name: 'd', search: 'process_name=curl | search tag=process | stats count' }, pack, 'UTC')).toBeNull();
    expect(compilePrefix({ name: 'd', search: 'process_name=curl | stats count' }, bare, 'UTC')).not.toBeNull();
  });

  it('tstats, datamodel and from have no prefix', () => {
    for (const search of ['| tstats count from datamodel=Endpoint.Processes by Processes.dest', '| from datamodel:Endpoint.Processes | stats count', '| datamodel Endpoint Processes flat | stats count']) {
      expect(compilePrefix({ name: 'd', search }, pack, 'UTC'), search).toBeNull();
    }
  });
});
