import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';

/**
 * The Search Manual's own examples, run as written, their expected results copied from the page they come from
 * (Splunk Enterprise 9.x Search Manual, cited per test).
 */
const idsOf = async (spl: string, events: ReturnType<typeof jsonEvents>) => rowsText(await search(spl, events)).map((r) => r['ID']).sort();

describe('Search Manual examples', () => {
  it('"Difference between != and NOT": the Ponies table', async () => {
    // The page's events (ID, Name, Color, Location; a missing value is an absent field) and its two results.
    const ponies = jsonEvents([
      { ID: '101M3', Name: 'McIntosh', Color: 'Chestnut', Location: 'Marin Meadows' },
      { ID: '104F5', Name: 'Lyra', Color: 'Bay' },
      { ID: '104M6', Name: 'Rutherford', Color: 'Dun', Location: 'Placer Pastures' },
      { ID: '101F2', Name: 'Rarity', Location: 'Marin Meadows' },
      { ID: '102M7', Name: 'Dash', Color: 'Black', Location: 'Calaveras Farms' },
      { ID: '102M1', Name: 'Roan' },
      { ID: '101F6', Color: 'Chestnut', Location: 'Marin Meadows' },
      { ID: '104F4', Name: 'Pinkie', Color: 'Sorrel', Location: 'Placer Pastures' },
      { ID: '102M8', Name: 'Spike', Color: 'Grey', Location: 'Calaveras Farms' },
    ]);
    // "Events that do not have Location value are not included in the results."
    expect(await idsOf('Location!="Calaveras Farms"', ponies)).toEqual(['101F2', '101F6', '101M3', '104F4', '104M6']);
    // "every event is returned except the events that contain the value ... This includes events that do not have
    // a Location value."
    expect(await idsOf('NOT Location="Calaveras Farms"', ponies)).toEqual(['101F2', '101F6', '101M3', '102M1', '104F4', '104F5', '104M6']);
    // "If you search for a Location that does not exist using the != expression, all of the events that have a
    // Location value are returned."
    expect(await idsOf('Location!="Sonoma Stables"', ponies)).toEqual(['101F2', '101F6', '101M3', '102M7', '102M8', '104F4', '104M6']);
  });

  it('"Boolean expressions with logical operators": search evaluates OR before AND, eval and where AND before OR', async () => {
    // The page's order for the search command: parentheses, NOT, OR, AND; for eval and where: parentheses, NOT,
    // AND, OR, XOR.
    const events = jsonEvents([
      { ID: '1', a: '1', b: '0', c: '0' },
      { ID: '2', a: '0', b: '0', c: '1' },
      { ID: '3', a: '1', b: '1', c: '0' },
      { ID: '4', a: '0', b: '1', c: '1' },
    ]);
    // a=1 AND (b=1 OR c=1)
    expect(await idsOf('a=1 b=1 OR c=1', events)).toEqual(['3']);
    expect(await idsOf('a=1 AND b=1 OR c=1', events)).toEqual(['3']);
    // (a=1 AND b=1) OR c=1
    expect(await idsOf('* | where a=1 AND b=1 OR c=1', events)).toEqual(['2', '3', '4']);
    // NOT binds tighter than OR in both: (NOT a=1) OR b=1
    expect(await idsOf('NOT a=1 OR b=1', events)).toEqual(['2', '3', '4']);
    expect(await idsOf('* | where NOT a=1 OR b=1', events)).toEqual(['2', '3', '4']);
    // "The NOT operator only applies to the term immediately following NOT"
    expect(await idsOf('NOT a=1 c=1', events)).toEqual(['2', '4']);
    // XOR last: (a=1 AND b=1) XOR c=1
    expect(await idsOf('* | where a=1 AND b=1 XOR c=1', events)).toEqual(['2', '3', '4']);
  });

  it('"Use CASE() and TERM() to match phrases"', async () => {
    const events = jsonEvents([
      { ID: 'upper', h: 'LOCALHOST', msg: '%ASA-1-134568 denied' },
      { ID: 'lower', h: 'localhost', msg: '%asa-1-12345 from 127.0.0.1' },
      { ID: 'minor', h: 'x', msg: 'ip=127.0.0.1' },
    ]);
    // "The following search only matches events that contain localhost in uppercase in the host field."
    expect(await idsOf('h=CASE(LOCALHOST)', events)).toEqual(['upper']);
    // "searching for CASE(%ASA-1*) returns events matching values such as %ASA-1-134568 and %ASA-1-12345" (in that case)
    expect(await idsOf('CASE(%ASA-1*)', events)).toEqual(['upper']);
    expect(await idsOf('%ASA-1*', events)).toEqual(['lower', 'upper']);
    // TERM: "Is bound by major breakers, such as spaces or commas"; `=` is a minor breaker.
    expect(await idsOf('TERM(127.0.0.1)', events)).toEqual(['lower']);
    expect(await idsOf('127.0.0.1', events)).toEqual(['lower', 'minor']);
    // TERM "Match[es] whatever is inside the parentheses as a single term ... even if it contains characters that are
    // usually recognized as minor breakers": `=` is one, so TERM(ip=127.0.0.1) is one term, written bare (it was a
    // syntax error at the `=`), with wildcards, and as a field's value.
    expect(await idsOf('TERM(ip=127.0.0.1)', events)).toEqual(['minor']);
    expect(await idsOf('TERM(ip=127.*)', events)).toEqual(['minor']);
    expect(await idsOf('NOT TERM(ip=127.0.0.1)', events)).toEqual(['lower', 'upper']);
    expect(await idsOf('msg=TERM(ip=127.0.0.1)', events)).toEqual(['minor']);
    expect(await idsOf('CASE(IP=127.0.0.1)', events)).toEqual([]);
  });

  it('"Wildcards": my* matches myhost1 and myhost.ny.mydomain.com; NOT * returns no event', async () => {
    const events = jsonEvents([{ ID: 'a', h: 'myhost1' }, { ID: 'b', h: 'myhost.ny.mydomain.com' }, { ID: 'c', h: 'yourhost' }]);
    expect(await idsOf('h="my*"', events)).toEqual(['a', 'b']);
    expect(await idsOf('my*', events)).toEqual(['a', 'b']);
    // "the following searches containing wildcards do not return any events, as expected: NOT *, ... sourcetype=* NOT *"
    expect(await idsOf('NOT *', events)).toEqual([]);
    expect(await idsOf('sourcetype=* NOT *', events)).toEqual([]);
  });

  it('"Search command primer": a file path needs its backslashes escaped', async () => {
    // "To search for a file path, such as D:\Digital\RTFM, you must escape the backslash characters in the path, for
    // example D:\\Digital\\RTFM."
    const events = jsonEvents([{ ID: 'p', path: 'D:\\Digital\\RTFM' }, { ID: 'q', path: 'D:DigitalRTFM' }]);
    expect(await idsOf('path=D:\\\\Digital\\\\RTFM', events)).toEqual(['p']);
    expect(await idsOf('path="D:\\\\Digital\\\\RTFM"', events)).toEqual(['p']);
  });
});
