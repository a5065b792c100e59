import { describe, expect, it } from 'vitest';
import { runSearch } from '../../../src/spl/index.js';
import { toObject } from '../../../src/events/result.js';
import { MAX_JSON_DEPTH } from '../../../src/normalize/json-fields.js';
import { MAX_JSON_CREATED, MAX_JSON_TEXT, MAX_JSON_VALUES } from '../../../src/spl/eval/functions/json.js';
import { at, errorOf, NOW, run } from '../commands/helpers.js';
import { ArgParser } from '../../../src/spl/parse/parser.js';
import { Lexer } from '../../../src/spl/parse/lexer.js';
import { SourceText } from '../../../src/spl/source.js';
import { compileEval } from '../../../src/spl/eval/compile.js';
import { Row } from '../../../src/events/result.js';

/**
 * Splunk's JSON eval functions. Expectations come from the Search Reference ("JSON functions", Splunk 9.x, and
 * mv_to_json_array in "Multivalue eval functions"), quoted above each; vigil writes JSON compactly (no spaces).
 */

/** `text` as an SPL string literal (SPL unescapes \", \\ and \|; every backslash is doubled here). */
const q = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The fields one `| makeresults | eval ...` result ends with, without _time. */
async function evalRow(evals: string): Promise<Record<string, unknown>> {
  const rows = await run(`| makeresults | eval ${evals} | fields - _time`);
  return rows[0]!;
}

/** The value `expr` gives with the fields `fields` (JSON texts, numbers) set first. */
async function value(expr: string, fields: Record<string, string | number> = {}): Promise<unknown> {
  const sets = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'number' ? v : q(v)}`);
  const row = await evalRow([...sets, `out=${expr}`].join(', '));
  return row.out;
}

// The Search Reference's json_extract examples: "These examples use this JSON object, which is in a field called
// cities" (the examples index it as the array of cities, `{0}` being London).
const CITIES = JSON.stringify([
  { name: 'London', Bridges: [{ name: 'Tower Bridge', length: 801 }, { name: 'Millennium Bridge', length: 1066 }] },
  { name: 'Venice', Bridges: [{ name: 'Rialto Bridge', length: 157 }, { name: 'Bridge of Sighs', length: 36 }, { name: 'Ponte della Paglia' }] },
  { name: 'San Francisco', Bridges: [{ name: 'Golden Gate Bridge', length: 8981 }, { name: 'Bay Bridge', length: 23556 }] },
]);

describe('json_object and json_array', () => {
  it('builds the documented objects and arrays', async () => {
    // "The following example creates a basic JSON object { "name": "maria" }."
    expect(await value('json_object("name", "maria")')).toBe('{"name":"maria"}');
    // "The JSON object created is { "name": ["maria", "arun"] }."
    expect(await value('json_object("name", json_array("maria", "arun"))')).toBe('{"name":["maria","arun"]}');
    // "The result is the JSON object { "cities": ["London", "Sydney", "Berlin", "Santiago"] }."
    expect(await value('json_object("cities", json_array("London", "Sydney", "Berlin", "Santiago"))')).toBe('{"cities":["London","Sydney","Berlin","Santiago"]}');
    // "The following example creates a simple array ["buttercup", "fluttershy", "rarity"]."
    expect(await value('json_array("buttercup", "fluttershy", "rarity")')).toBe('["buttercup","fluttershy","rarity"]');
    // "The result is the JSON array [ "dubois", {"name": "patel}" ]."
    expect(await value('json_array("dubois", json_object("name", "patel"))')).toBe('["dubois",{"name":"patel"}]');
    expect(await value('json_object()')).toBe('{}');
    expect(await value('json_array()')).toBe('[]');
  });

  it('nests a field of JSON text as a string unless wrapped in json() (the documented nested object)', async () => {
    // "...| eval gamelist = json_array("Pandemic", "Forbidden Island", "Castle Panic"), games = json_object("category",
    // json_object("boardgames", json_object("cooperative", gamelist)))": the array nested, in vigil through json().
    const row = await evalRow('gamelist = json_array("Pandemic", "Forbidden Island", "Castle Panic"), games = json_object("category", json_object("boardgames", json_object("cooperative", json(gamelist)))), plain = json_object("l", gamelist)');
    expect(row.games).toBe('{"category":{"boardgames":{"cooperative":["Pandemic","Forbidden Island","Castle Panic"]}}}');
    expect(row.plain).toBe('{"l":"[\\"Pandemic\\",\\"Forbidden Island\\",\\"Castle Panic\\"]"}');
  });

  it('types values: numbers stay numbers, booleans and null are JSON literals, a multivalue is an array', async () => {
    expect(await value('json_array(1, 2.5, "3", true(), false(), null(), -0.5, 0.1+0.2)')).toBe('[1,2.5,"3",true,false,null,-0.5,0.3]');
    expect(await value('json_object("n", n, "s", s, "m", split("a,b", ","), "missing", nope)', { n: 42, s: 'x"y\\z' })).toBe('{"n":42,"s":"x\\"y\\\\z","m":["a","b"],"missing":null}');
  });

  it('keeps the order keys are written in, integer-like keys included; a repeated key keeps its first place', async () => {
    expect(await value('json_object("b", 1, "2", 2, "a", 3, "1", 4)')).toBe('{"b":1,"2":2,"a":3,"1":4}');
    expect(await value('json_object("a", 1, "b", 2, "a", 3)')).toBe('{"a":3,"b":2}');
    expect(await value('json_keys(j)', { j: '{"z":1,"10":2,"y":3,"2":4}' })).toBe('["z","10","y","2"]');
  });

  it('gives Splunk\'s fromjson example object its fields', async () => {
    const rows = await run('| makeresults | eval object=json_object("name", "maria", "age", 25, "tags", json_array("a", "b")) | fields - _time | fromjson object | fields - object');
    expect(rows).toEqual([{ name: 'maria', age: 25, tags: ['a', 'b'] }]);
  });

  it('rejects a key without a value and a key that is not a string, at the argument', async () => {
    const spl = '| makeresults | eval x=json_object("a", 1, "b")';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toBe('json_object() takes key-value pairs: this key has no value');
    expect(spl.slice(e.span.start, e.span.end)).toBe('"b"');
    const spl2 = '| makeresults | eval x=json_object(1, "a")';
    const e2 = await errorOf(spl2);
    expect(e2.message).toBe('json_object() takes a key as a quoted string; this is a number');
    expect(spl2.slice(e2.span.start, e2.span.end)).toBe('1');
    expect(e2.format()).toContain(at(spl2, '1, "a")'));
  });
});

describe('json and json_valid', () => {
  it('returns a JSON value unchanged and null for anything else', async () => {
    // "The following search verifies that {"animal" : "pony"} is a JSON value by returning its value"
    expect(await evalRow('animals = json_object("animal", "pony"), result = json(animals)')).toEqual({ animals: '{"animal":"pony"}', result: '{"animal":"pony"}' });
    // "When the value is not JSON, the function returns null": the row for "Golden Gate Bridge" has no bridgesAsJson.
    expect(await value('json(bridges)', { bridges: 'Golden Gate Bridge' })).toBeUndefined();
    const bridges = '[{"name":"Rialto Bridge","length":157}, {"name":"Bridge of Sighs","length":36}]';
    expect(await value('json(bridges)', { bridges })).toBe(bridges);
    expect(await value('json(7)')).toBe(7);
    expect(await value('json("\\"quoted\\"")')).toBe('"quoted"');
  });

  it('json_valid is true for valid JSON only (strict syntax), false for null', async () => {
    // "... | eval IsValid = if(json_valid(firstnames), "true", "false")"
    const cases: [string, boolean][] = [
      ['{ "names": ["maria", "arun"] }', true],
      ['[1, -2.5e3, true, false, null, "\\u00e9\\n"]', true],
      ['"text"', true],
      ['12', true],
      ['{names: ["maria"]}', false],
      ["{'a': 1}", false],
      ['[1, 2,]', false],
      ['01', false],
      ['{"a":1} x', false],
      ['"tab\there"', false],
      ['"bad \\x escape"', false],
      ['', false],
    ];
    for (const [text, valid] of cases) expect(await value('if(json_valid(j), "true", "false")', { j: text }), text).toBe(String(valid));
    expect(await value('if(json_valid(nope), "true", "false")')).toBe('false');
    expect(await run('| makeresults | eval j="[1]" | where json_valid(j) | table j')).toEqual([{ j: '[1]' }]);
  });
});

describe('json_extract and json_extract_exact', () => {
  it('gives the documented results over the cities example', async () => {
    // 1. "|eval extracted_cities = json_extract(cities,"{}")": every element of the array, so the array again (the docs
    // show the object around it; their other examples read the field as the array).
    expect(await value('json_extract(cities, "{}")', { cities: CITIES })).toBe(CITIES);
    // 2. "| eval London=json_extract(cities,"{0}")"
    expect(await value('json_extract(cities, "{0}")', { cities: CITIES })).toBe('{"name":"London","Bridges":[{"name":"Tower Bridge","length":801},{"name":"Millennium Bridge","length":1066}]}');
    // 3. "| eval San_Francisco=json_extract(cities,"{2}")"
    expect(await value('json_extract(cities, "{2}")', { cities: CITIES })).toBe('{"name":"San Francisco","Bridges":[{"name":"Golden Gate Bridge","length":8981},{"name":"Bay Bridge","length":23556}]}');
    // 4. "| eval my_cities=json_extract(cities,"{}.name")" gives ["London","Venice","San Francisco"]
    expect(await value('json_extract(cities, "{}.name")', { cities: CITIES })).toBe('["London","Venice","San Francisco"]');
    // 5. "| eval Bridges=json_extract(cities,"{}.Bridges{}")"
    expect(await value('json_extract(cities, "{}.Bridges{}")', { cities: CITIES })).toBe(
      '[{"name":"Tower Bridge","length":801},{"name":"Millennium Bridge","length":1066},{"name":"Rialto Bridge","length":157},{"name":"Bridge of Sighs","length":36},{"name":"Ponte della Paglia"},{"name":"Golden Gate Bridge","length":8981},{"name":"Bay Bridge","length":23556}]',
    );
    // 6. "| eval Bridge_names=json_extract(cities,"{}.Bridges{}.name")"
    expect(await value('json_extract(cities, "{}.Bridges{}.name")', { cities: CITIES })).toBe('["Tower Bridge","Millennium Bridge","Rialto Bridge","Bridge of Sighs","Ponte della Paglia","Golden Gate Bridge","Bay Bridge"]');
    // 7. "| eval GG_Bridge=json_extract(cities,"{2}.Bridges{0}")"
    expect(await value('json_extract(cities, "{2}.Bridges{0}")', { cities: CITIES })).toBe('{"name":"Golden Gate Bridge","length":8981}');
    // 8. "| eval GG_Bridge_length=json_extract(cities,"{2}.Bridges{0}.length")" gives 8981, a number.
    expect(await value('json_extract(cities, "{2}.Bridges{0}.length")', { cities: CITIES })).toBe(8981);
    expect(await value('json_extract(cities, "{2}.Bridges{0}.length") + 19', { cities: CITIES })).toBe(9000);
  });

  it('converts to native types: strings unquoted, numbers, true/false as text, null as null; no path is the whole value', async () => {
    const j = '{"s":"a \\"b\\"","n":-1.5,"t":true,"f":false,"z":null,"o":{"k":[1, 2]},"a":[]}';
    expect(await value('json_extract(j, "s")', { j })).toBe('a "b"');
    expect(await value('json_extract(j, "n")', { j })).toBe(-1.5);
    expect(await value('json_extract(j, "t")', { j })).toBe('true');
    expect(await value('json_extract(j, "f")', { j })).toBe('false');
    expect(await value('json_extract(j, "z")', { j })).toBeUndefined();
    expect(await value('json_extract(j, "o")', { j })).toBe('{"k":[1,2]}');
    expect(await value('json_extract(j, "a")', { j })).toBe('[]');
    expect(await value('json_extract(j, "o.k{1}")', { j })).toBe(2);
    expect(await value('json_extract(j, "o.k{-1}")', { j })).toBe(2);
    // "json_extract(<json>): Converts a JSON field to the Splunk software native type ... a JSON string to a string"
    expect(await value('json_extract(j)', { j: '"just text"' })).toBe('just text');
    expect(await value('json_extract(j)', { j: ' { "a" : [ 1 ] } ' })).toBe('{"a":[1]}');
  });

  it('gives null for a missing path, an index out of range, {} on a non-array and text that is not JSON', async () => {
    const j = '{"a":{"b":[10,20]},"x.y":1}';
    for (const path of ['c', 'a.c', 'a.b{2}', 'a{}', 'a.b{0}.c', 'x.y']) expect(await value(`json_extract(j, "${path}")`, { j }), path).toBeUndefined();
    expect(await value('json_extract(j, "a")', { j: '{"a": 1' })).toBeUndefined();
    expect(await value('json_extract(nope, "a")')).toBeUndefined();
  });

  it('gives a JSON array of the values of several paths (null where absent)', async () => {
    // "json_extract(<json>, <path>, <path>, ...): Extracts all of the paths from <json> and returns it as a JSON array."
    expect(await value('json_extract(j, "a", "b.c", "missing", "b")', { j: '{"a":"x","b":{"c":[1,{"d":true}]}}' })).toBe('["x",[1,{"d":true}],null,{"c":[1,{"d":true}]}]');
  });

  it('reads keys with dots only through json_extract_exact', async () => {
    // "Suppose you have a JSON event that looks like this: {"system.splunk.path":"/opt/splunk/"}"
    const splunk_path = '{"system.splunk.path":"/opt/splunk/"}';
    expect(await value('json_extract_exact(splunk_path, "system.splunk.path")', { splunk_path })).toBe('/opt/splunk/');
    expect(await value('json_extract(splunk_path, "system.splunk.path")', { splunk_path })).toBeUndefined();
    expect(await value('json_extract_exact(j, "a.b", "c", "d")', { j: '{"a.b":1,"c":{"x":"y"}}' })).toBe('[1,{"x":"y"},null]');
    expect(await value('json_extract_exact(j, "{0}")', { j: '[1]' })).toBeUndefined();
  });

  it('reads a computed path per row, and rejects an unreadable literal path at it', async () => {
    const rows = await run(`| makeresults count=3 | streamstats count as i | eval j=${q('{"a":[5,6,7]}')}, p="a{" . (i - 1) . "}", out=json_extract(j, p) | table out`);
    expect(rows).toEqual([{ out: 5 }, { out: 6 }, { out: 7 }]);
    expect(await value('json_extract(j, p)', { j: '{"a":1}', p: 'a{x}' })).toBeUndefined();
    const spl = '| makeresults | eval x=json_extract("{}", "a{x}")';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/^json_extract\(\): cannot read this path/);
    expect(spl.slice(e.span.start, e.span.end)).toBe('"a{x}"');
  });

  it('keeps the extracted value\'s JSON type inside another JSON function', async () => {
    const j = '{"n":5,"s":"5","o":{"k":1},"t":true}';
    expect(await value('json_array(json_extract(j, "n"), json_extract(j, "s"), json_extract(j, "o"), json_extract(j, "t"), json_extract(j, "nope"))', { j })).toBe('[5,"5",{"k":1},true,null]');
  });
});

describe('json_keys', () => {
  it('lists the keys of an object as a JSON array; null for an array or text that is not JSON', async () => {
    // "{"name": "Clifton Suspension Bridge", "length": 1352, "city": "Bristol", "country": "England"}" gives
    // "["name", "length", "city", "country"]"
    expect(await value('json_keys(bridges)', { bridges: '{"name": "Clifton Suspension Bridge", "length": 1352, "city": "Bristol", "country": "England"}' })).toBe('["name","length","city","country"]');
    // "The json_keys function cannot be used on JSON arrays."
    expect(await value('json_keys(j)', { j: '["a"]' })).toBeUndefined();
    expect(await value('json_keys(j)', { j: 'nope' })).toBeUndefined();
  });
});

describe('json_entries and json_has_key_exact', () => {
  // Search Reference, JSON functions (9.x table): json_entries "Converts a value to an array of JSON objects with key
  // and value fields"; json_has_key_exact "Returns TRUE if the field value is a JSON key in the provided JSON object".
  // They were unsupported-function errors.
  const BRIDGE = '{"name": "Clifton Suspension Bridge", "length": 1352, "open": true, "a.b": null}';

  it('json_entries gives each member as a {"key", "value"} object, in order; null for anything but an object', async () => {
    expect(await value('json_entries(bridge)', { bridge: BRIDGE })).toBe(
      '[{"key":"name","value":"Clifton Suspension Bridge"},{"key":"length","value":1352},{"key":"open","value":true},{"key":"a.b","value":null}]',
    );
    expect(await value('json_entries(json_object("cities", json_array("London", "Sydney")))')).toBe('[{"key":"cities","value":["London","Sydney"]}]');
    expect(await value('json_entries(json_object())')).toBe('[]');
    expect(await value('json_entries(j)', { j: '["a"]' })).toBeUndefined();
    expect(await value('json_entries(j)', { j: 'nope' })).toBeUndefined();
    // Its value nests as JSON inside another JSON function.
    expect(await value('json_extract(json_entries(json_object("k", 1)), "{0}.key")')).toBe('k');
  });

  it('json_has_key_exact is true for a top-level key taken literally (dots included), false otherwise', async () => {
    const row = await evalRow(
      [
        `bridge=${q(BRIDGE)}`,
        'a=if(json_has_key_exact(bridge, "length"), "y", "n")',
        'b=if(json_has_key_exact(bridge, "a.b"), "y", "n")',
        'c=if(json_has_key_exact(bridge, "country"), "y", "n")',
        'd=if(json_has_key_exact(json_object("x", json_object("y", 1)), "y"), "y", "n")',
        'e=if(json_has_key_exact("[\\"length\\"]", "length"), "y", "n")',
        'f=if(json_has_key_exact(nope, "length"), "y", "n")',
      ].join(', '),
    );
    expect(row).toMatchObject({ a: 'y', b: 'y', c: 'n', d: 'n', e: 'n', f: 'n' });
    expect((await errorOf('| makeresults | eval x=if(json_has_key_exact("{}", 1), 1, 0)')).code).toBe('SPL_BAD_ARGUMENT');
  });
});

describe('numbers past the largest double', () => {
  // docs/spl.md: "There are no NaN or infinite values ... text past the largest double ("1e309") is text, not a
  // number". A JSON number such as 1e400 is kept as its text: it was Infinity, printed "Infinity" by table/csv
  // output and null by JSON output, typeof String.
  it('are their text when extracted, and are written back as read', async () => {
    const row = await evalRow(
      [`j=${q('{"a":1e400,"b":[-2E+999,1]}')}`, 'x=json_extract(j, "a")', 'y=json_extract(j, "b{0}")', 'z=json_set(j, "c", 1)', 'm=json_array_to_mv(json_extract(j, "b"))'].join(', '),
    );
    expect(row.x).toBe('1e400');
    expect(row.y).toBe('-2E+999');
    expect(row.z).toBe('{"a":1e400,"b":[-2E+999,1],"c":1}');
    expect(row.m).toEqual(['-2E+999', 1]);
    const t = await evalRow(`j=${q('{"a":1e400}')} | eval t=typeof(json_extract(j, "a")), n=if(isnum(json_extract(j, "a")), "y", "n")`);
    expect(t).toMatchObject({ t: 'String', n: 'n' });
  });
});

describe('json_set and json_set_exact', () => {
  // "These examples use this JSON object, which is in a field called games"
  const games = '{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Castle Panic"}]}}}';

  it('overwrites and inserts as the documented examples do', async () => {
    // 1. "overwrites the value "Castle Panic" in the path [category.boardgames.cooperative] ... specifies {2} in the path"
    expect(await value('json_set(games, "category.boardgames.cooperative{2}", json_object("name", "Sherlock Holmes: Consulting Detective"))', { games })).toBe(
      '{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Sherlock Holmes: Consulting Detective"}]}}}',
    );
    // 2. "Because the key competitive doesn't exist in the path, the key is created."
    const competitive = 'json_array(json_object("name", "Settlers of Catan"), json_object("name", "Terraforming Mars"), json_object("name", "Ticket to Ride"))';
    const withCompetitive = '{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Castle Panic"}],"competitive":[{"name":"Settlers of Catan"},{"name":"Terraforming Mars"},{"name":"Ticket to Ride"}]}}}';
    expect(await value(`json_set(games, "category.boardgames.competitive", ${competitive})`, { games })).toBe(withCompetitive);
    // 3. "json_set(games,"category.boardgames.competitive{}.available", true())", then "{0}.available", false()
    expect(await value('json_set(json_set(games2, "category.boardgames.competitive{}.available", true()), "category.boardgames.competitive{0}.available", false())', { games2: withCompetitive })).toBe(
      '{"category":{"boardgames":{"cooperative":[{"name":"Pandemic"},{"name":"Forbidden Island"},{"name":"Castle Panic"}],"competitive":[{"name":"Settlers of Catan","available":false},{"name":"Terraforming Mars","available":true},{"name":"Ticket to Ride","available":true}]}}}',
    );
  });

  it('creates every missing key of the path, skips a path through a scalar, and applies pairs left to right', async () => {
    expect(await value('json_set(j, "x.y.z", 1)', { j: '{"a":1}' })).toBe('{"a":1,"x":{"y":{"z":1}}}');
    // "for object {"a": "b"}, json_set(.., "a.c", "d") produces no results since "a" has a string value"
    expect(await value('json_set(j, "a.c", "d")', { j: '{"a":"b"}' })).toBe('{"a":"b"}');
    expect(await value('json_set(j, "a", json_object(), "a.b", 2, "a.b", 3)', { j: '{"a":1}' })).toBe('{"a":{"b":3}}');
    expect(await value('json_set(j, "a{5}", 1)', { j: '{"a":[0]}' })).toBe('{"a":[0]}');
    // The document is not changed in place: the field keeps its text.
    expect(await evalRow(`j=${q('{"a":[{"b":1}]}')}, s=json_set(j, "a{}.b", 2)`)).toEqual({ j: '{"a":[{"b":1}]}', s: '{"a":[{"b":2}]}' });
    expect(await value('json_set(j, "a", 1)', { j: 'not json' })).toBeUndefined();
  });

  it('sets keys with dots literally through json_set_exact', async () => {
    // "| eval my_object=json_object(), splunk_path=json_set_exact(my_object, "system.splunk.path", "/opt/splunk")"
    expect(await value('json_set_exact(json_object(), "system.splunk.path", "/opt/splunk")')).toBe('{"system.splunk.path":"/opt/splunk"}');
    // "If you use json_set in the preceding search you get this JSON object: {"system":{"splunk":{"path":"/opt/splunk"}}}"
    expect(await value('json_set(json_object(), "system.splunk.path", "/opt/splunk")')).toBe('{"system":{"splunk":{"path":"/opt/splunk"}}}');
    expect(await value('json_set_exact(j, "b", 2, "a", 3)', { j: '{"a":1}' })).toBe('{"a":3,"b":2}');
    expect(await value('json_set_exact(j, "a", 1)', { j: '[1]' })).toBeUndefined();
  });

  it('needs a value for every path, at the argument', async () => {
    const spl = '| makeresults | eval x=json_set("{}", "a", 1, "b")';
    const e = await errorOf(spl);
    expect(e.message).toBe('json_set() takes path-value pairs: this path has no value');
    expect(spl.slice(e.span.start, e.span.end)).toBe('"b"');
    expect((await errorOf('| makeresults | eval x=json_set("{}", "a")')).message).toBe('json_set() takes at least 3 argument(s), got 2');
  });
});

describe('json_append and json_extend', () => {
  it('append as documented', async () => {
    // "The output of that eval statement is {"ponylist": ["Minty", "Rarity", "Buttercup", "Fluttershy"]}."
    expect(await evalRow('ponies = json_object("ponylist", json_array("Minty", "Rarity", "Buttercup")), updatePonies = json_append(ponies, "ponylist", "Fluttershy")')).toEqual({
      ponies: '{"ponylist":["Minty","Rarity","Buttercup"]}',
      updatePonies: '{"ponylist":["Minty","Rarity","Buttercup","Fluttershy"]}',
    });
    // "ponyDetailsUpdated = {"Fluttershy":{"ponySkills":["running","jumping","codebreaking"]}}"
    expect(await value('json_append(json_object("Fluttershy", json_object("ponySkills", json_array("running", "jumping"))), "Fluttershy.ponySkills", "codebreaking")')).toBe('{"Fluttershy":{"ponySkills":["running","jumping","codebreaking"]}}');
  });

  it('append wraps a scalar or object, adds an array as one element, and ignores a path to nothing', async () => {
    // "A scalar or object value: json_append autowraps the scalar or object value within an array"; "When the new
    // <value> is an array, json_append appends the array as a single element".
    expect(await value('json_append(j, "s", 2, "o", 3, "e", 4, "a", json_array("d", "e"), "missing", 5)', { j: '{"s":1,"o":{"k":1},"e":[],"a":["a"]}' })).toBe('{"s":[1,2],"o":[{"k":1},3],"e":[4],"a":["a",["d","e"]]}');
    // "If <json> does not reference a valid JSON document ... the function outputs nothing."
    expect(await value('json_append(j, "a", 1)', { j: '{' })).toBeUndefined();
  });

  it('extend as documented, the array from a JSON function or a field', async () => {
    // "The output of this eval statement is {"fakeMovieBandList": ["The Blues Brothers", ..., "The Barden Bellas"]}"
    expect(await value('json_extend(json_object("fakeMovieBandList", json_array("The Blues Brothers", "Spinal Tap", "Wyld Stallyns")), "fakeMovieBandList", json_array("The Soggy Bottom Boys", "The Weird Sisters", "The Barden Bellas"))')).toBe(
      '{"fakeMovieBandList":["The Blues Brothers","Spinal Tap","Wyld Stallyns","The Soggy Bottom Boys","The Weird Sisters","The Barden Bellas"]}',
    );
    // "updatedParty = ["wizard", "rogue", "barbarian", {"artifact":"deck of many things"}]" (in the object)
    const row = await evalRow('dndChars = json_object("characterClasses", json_array("wizard", "rogue", "barbarian")), array2 = json_array(json_object("artifact", "deck of many things")), updatedParty = json_extend(dndChars, "characterClasses", array2)');
    expect(row.updatedParty).toBe('{"characterClasses":["wizard","rogue","barbarian",{"artifact":"deck of many things"}]}');
    expect(await value('json_extend(j, "a", split("x,y", ","), "b", "not an array")', { j: '{"a":1,"b":[]}' })).toBe('{"a":[1,"x","y"],"b":[]}');
  });
});

describe('json_delete', () => {
  it('deletes the documented keys, nested ones by dots, a json_array of keys', async () => {
    // "| eval sales_account = json_delete(object, "SSN", "accounts")" gives {"name":"Wei Zhang", "city":"Seattle"}
    const object = '{"name":"Wei Zhang", "SSN":"123-45-6789", "city":"Seattle", "accounts":["Hagal Quartz", "Caladan Water", "Arrakis Spices"]}';
    expect(await value('json_delete(object, "SSN", "accounts")', { object })).toBe('{"name":"Wei Zhang","city":"Seattle"}');
    expect(await value('json_delete(object, json_array("SSN", "accounts"))', { object })).toBe('{"name":"Wei Zhang","city":"Seattle"}');
    // "| eval result = json_delete(employee, "addresses.email")"
    const employee = '{"name":"Celestino Paulo", "company":"Isthmus Pastimes", "addresses": {"email":"celestino@sample.com", "office":"edificio 890 Avenida Demetrio Panama City Panama"}}';
    expect(await value('json_delete(employee, "addresses.email")', { employee })).toBe('{"name":"Celestino Paulo","company":"Isthmus Pastimes","addresses":{"office":"edificio 890 Avenida Demetrio Panama City Panama"}}');
    // "deleting key names that contain the dot character ( . ) is not supported"
    expect(await value('json_delete(j, "student.name", "nope")', { j: '{"student.name":"Claudia"}' })).toBe('{"student.name":"Claudia"}');
  });
});

describe('json_delete over many keys', () => {
  it('deletes a json_array of 50,000 keys from a 50,000-key object in one pass, and never changes the document read', async () => {
    // Each key copied the whole object before (quadratic: 20,000 keys took 45 s, 50,000 about 5 minutes).
    const n = 50_000;
    const keep = new Set([0, 4_242, n - 1]);
    const doc = `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')},"nested":{"a":1,"b":2}}`;
    const keys = JSON.stringify([...Array.from({ length: n }, (_, i) => `k${i}`).filter((_, i) => !keep.has(i)), 'nested.a', 'missing', 'k0.x']);
    // Two rows with the same text share one parsed document: the second must see it as the first did.
    const rows = await run(`| makeresults count=2 | eval j=${q(doc)}, keys=${q(keys)}, out=json_delete(j, json(keys)), same=if(j==${q(doc)}, "yes", "no") | table out same`);
    const expected = '{"k0":0,"k4242":4242,"k49999":49999,"nested":{"b":2}}';
    expect(rows).toEqual([
      { out: expected, same: 'yes' },
      { out: expected, same: 'yes' },
    ]);
  });
});

describe('json_array_to_mv and mv_to_json_array', () => {
  it('json_array_to_mv as documented, quotes kept with true()', async () => {
    // "maps that array into a multivalue field named my_little_ponies with the values Buttercup, Fluttershy, and Rarity"
    expect(await value('json_array_to_mv(json_array("Buttercup", "Fluttershy", "Rarity"))')).toEqual(['Buttercup', 'Fluttershy', 'Rarity']);
    // "If you change this search so it has my_sweet_ponies = json_array_to_mv(ponies,true()), you get ... "Buttercup""
    expect(await value('json_array_to_mv(ponies, true())', { ponies: '["Buttercup", "Fluttershy", "Rarity"]' })).toEqual(['"Buttercup"', '"Fluttershy"', '"Rarity"']);
    expect(await value('json_array_to_mv(j, false())', { j: '["a\\"b", 2, true, null, {"k":[1]}, [2]]' })).toEqual(['a"b', 2, 'true', 'null', '{"k":[1]}', '[2]']);
    expect(await value('json_array_to_mv(j)', { j: '["one"]' })).toBe('one');
    // "If the <json array> input to the function is not a valid JSON array, the function outputs nothing."
    for (const j of ['{"a":1}', '[1,', '[]']) expect(await value('json_array_to_mv(j)', { j }), j).toBeUndefined();
  });

  it('mv_to_json_array as documented, with and without infer_types', async () => {
    // "| eval ponies = mvappend("\"Buttercup\"", "\"Fluttershy\"", "\"Rarity\"", "true", "null")"
    const ponies = 'mvappend("\\"Buttercup\\"", "\\"Fluttershy\\"", "\\"Rarity\\"", "true", "null")';
    // "The resulting array looks like this: ["\"Buttercup\"","\"Fluttershy\"","\"Rarity\"","true","null"]"
    expect(await value(`mv_to_json_array(${ponies}, false())`)).toBe('["\\"Buttercup\\"","\\"Fluttershy\\"","\\"Rarity\\"","true","null"]');
    // "The resulting array looks like this: ["Buttercup","Fluttershy","Rarity",true,null]"
    expect(await value(`mv_to_json_array(${ponies}, true())`)).toBe('["Buttercup","Fluttershy","Rarity",true,null]');
    // "If the function does not recognize the resulting array element as a proper JSON data type ... null"
    expect(await value('mv_to_json_array(mvappend("7", "abc", "{\\"k\\":1}"), true())')).toBe('[7,null,{"k":1}]');
    expect(await value('mv_to_json_array(mvappend(7, "abc"))')).toBe('["7","abc"]');
    expect(await value('mv_to_json_array("one")')).toBe('["one"]');
    expect(await value('mv_to_json_array(nope)')).toBeUndefined();
  });

  it('takes only true() or false() as the option, an error at it', async () => {
    for (const [call, arg] of [['json_array_to_mv("[1]", "true")', '"true"'], ['mv_to_json_array(x, 1)', '1'], ['mv_to_json_array(x, flag)', 'flag']]) {
      const spl = `| makeresults | eval out=${call}`;
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/takes true\(\) or false\(\)/);
      expect(spl.slice(e.span.start, e.span.end)).toBe(arg);
    }
  });
});

describe('bounds', () => {
  it('treats JSON nested deeper than the depth limit as not JSON, without overflowing the stack', async () => {
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(await value('if(json_valid(j), "y", "n")', { j: ok })).toBe('y');
    expect(await value('if(json_valid(j), "y", "n")', { j: `[${ok}]` })).toBe('n');
    expect(await value('json_extract(j)', { j: deep })).toBeUndefined();
  });

  it('gives null with a warning when a result would nest too deep or grow past the size limit', async () => {
    // The object, 126 objects down the path, then the arrays: 129 levels for a, 128 for b.
    const path = Array.from({ length: MAX_JSON_DEPTH - 1 }, (_, i) => `k${i}`).join('.');
    const warnings: string[] = [];
    const res = await runSearch(`| makeresults | eval a=json_set("{}", "${path}", json_array(json_array())), b=json_set("{}", "${path}", json_array()) | fields - _time`, { now: NOW, onWarning: (m) => warnings.push(m) });
    const row = toObject(res.results[0]!);
    expect(row.a).toBeUndefined();
    expect(row.b).toBe(path.split('.').map((k) => `{"${k}":`).join('') + '[]' + '}'.repeat(MAX_JSON_DEPTH - 1));
    expect(warnings.join('\n')).toMatch(/json_set\(\) is null where its result would nest more than 128/);
    // A value set into every element is shared, not copied (the documents stay small), but its text or a selection
    // through it multiplies: 200 x 200 x 200 numbers are past both bounds.
    expect(200 ** 3 * 2).toBeGreaterThan(MAX_JSON_TEXT);
    expect(200 ** 3).toBeGreaterThan(MAX_JSON_VALUES);
    const a = '[' + Array(200).fill('0').join(',') + ']';
    const nested = `json_set(json_set(json_object("x", json(a)), "x{}", json(a)), "x{}{}", json(a))`;
    const spl = `| makeresults | eval a=${q(a)}, b=${nested}, c=json_extract(${nested}, "x{}{}{}"), d=json_extract(${nested}, "x{0}{1}") | fields b c d`;
    const warnings2: string[] = [];
    const res2 = await runSearch(spl, { now: NOW, onWarning: (m) => warnings2.push(m) });
    expect(toObject(res2.results[0]!)).toEqual({ _time: NOW, d: a });
    expect(warnings2).toHaveLength(2);
    expect(warnings2[0]).toMatch(/^json_set\(\) is null where its result would nest more than 128 objects\/arrays deep, exceed 10000000 characters, select more than 1000000 values or make more than 5000000 array elements/);
    expect(warnings2[1]).toMatch(/^json_extract\(\) is null where/);
  });
});

describe('bounds of json_extend and json_append through {}', () => {
  it('gives null with a warning, without building the copies, when the edits would make too many elements', async () => {
    // json_extend through {} gives every element its own copy of the value's elements: 20,000 x 20,001 = 400 million
    // elements (it took 31 s and 4 GB before its text was found too long; 100,000 elements ran out of memory).
    const n = 20_000;
    expect(n * (n + 1)).toBeGreaterThan(MAX_JSON_CREATED);
    const warnings: string[] = [];
    const spl = `| makeresults | eval j="[".mvjoin(mvrange(0,${n}),",")."]", x=json_extend(j, "{}", json(j)), y=json_append(j, "{}", json(j)) | eval lx=len(x), ly=len(y) | fields lx ly`;
    const res = await runSearch(spl, { now: NOW, onWarning: (m) => warnings.push(m) });
    // json_append shares the value it appends: 20,000 two-element arrays, each the number and the shared array, whose
    // text is too long to write (20,000 x ~108,890 characters).
    expect(toObject(res.results[0]!)).toEqual({ _time: NOW });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^json_extend\(\) is null where .* or make more than 5000000 array elements/);
    expect(warnings[1]).toMatch(/^json_append\(\) is null where/);
    // Below the bound both work: 100 elements, each extended by the 100 of the array.
    const small = await evalRow('j="[".mvjoin(mvrange(0,100),",")."]", x=mvcount(json_array_to_mv(json_extract(json_extend(j, "{}", json(j)), "{99}"))), y=json_extract(json_append(j, "{}", 7), "{3}") | fields x y');
    expect(small).toEqual({ x: 101, y: '[3,7]' });
  });
});

describe('text that is not quite JSON', () => {
  /** An eval expression compiled once. */
  function compile(text: string): (row: Row) => unknown {
    const source = new SourceText(text);
    const p = new ArgParser(new Lexer(source, 0, text.length), source, { resolve: () => undefined, parseArgs: () => null });
    return compileEval(p.evalExpr(), { now: NOW, tz: 'UTC' }, source);
  }

  /** An eval expression compiled once, run over rows with a field `t`. */
  function compiled(text: string): (t: string) => unknown {
    const c = compile(text);
    return (t) => c(new Row({ t }));
  }

  it('json(x) evaluates x once a row (it read a field, or built a JSON function\'s value, twice)', () => {
    /** A row counting the reads of its fields: each evaluation of `t` is one. */
    class Counting extends Row {
      reads = 0;
      override get(field: string) {
        this.reads++;
        return super.get(field);
      }
    }
    const cases: [string, string, unknown][] = [
      ['json(t)', '{"a":1}', '{"a":1}'],
      ['json(t)', 'not json', null],
      ['json(json_object("k", t))', 'v', '{"k":"v"}'],
      ['json(json_extract(t, "a"))', '{"a":"x"}', 'x'],
      ['json(json_extract(t, "b"))', '{"a":"x"}', null],
    ];
    for (const [expr, t, expected] of cases) {
      const row = new Counting({ t });
      expect(compile(expr)(row), `${expr} of ${t}`).toBe(expected);
      expect(row.reads, `${expr} of ${t}`).toBe(1);
    }
  });

  it('is valid exactly when JSON.parse reads it, and never makes a function throw', () => {
    const base = '{"a":[{"b":1,"c":"x\\"y"},{"b":-2.5e3,"d":[true,false,null]}],"e":{"f":"\\u00e9"}}';
    const chars = ['"', '\\', '{', '}', '[', ']', ',', ':', 'u', '0', 'e', '-', '.', ' ', '\n', '\t', 'n', 't'];
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const valid = compiled('json_valid(t)');
    const others = ['json_extract(t)', 'json_extract(t, "a{}.b")', 'json_set(t, "a{0}.c", 1)', 'json_append(t, "a", 2)', 'json_delete(t, "a", "e.f")', 'json_array_to_mv(t)', 'json_keys(t)', 'json(t)'].map(compiled);
    let parsed = 0;
    for (let i = 0; i < 400; i++) {
      let t = base;
      for (let k = 1 + rand(3); k > 0; k--) {
        const pos = rand(t.length + 1);
        t = rand(2) === 0 ? t.slice(0, pos) + t.slice(pos + 1) : t.slice(0, pos) + chars[rand(chars.length)]! + t.slice(pos);
      }
      let reads: boolean;
      try {
        JSON.parse(t);
        reads = true;
      } catch {
        reads = false;
      }
      if (reads) parsed++;
      expect(valid(t), t).toBe(reads);
      for (const f of others) f(t);
      // The whole value written back is the same JSON (the base has no integer-like keys nor long numbers).
      if (reads && /^\s*[[{]/.test(t)) expect(JSON.parse(String(others[0]!(t))), t).toEqual(JSON.parse(t));
    }
    expect(parsed).toBeGreaterThan(20);
  });
});

