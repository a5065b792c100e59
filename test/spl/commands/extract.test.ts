import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW } from './helpers.js';

/** Rows of one event whose `_raw` is `raw`, after `pipeline`. */
async function over(raw: string, pipeline: string, sourcetype = 'text'): Promise<Record<string, unknown>[]> {
  const source = new MemorySource([{ _time: NOW - 1, _raw: raw, index: 'main', sourcetype, source: 's', host: 'h' }]);
  const { results } = await runSearch(`index=main | ${pipeline}`, { now: NOW, source });
  return results.map(toObject);
}

describe('extract (kv)', () => {
  it('with pairdelim and kvdelim splits _raw into pairs (Search Reference, extract, example 1)', async () => {
    // "Extract field-value pairs that are delimited by the pipe or semicolon characters ( |; ). Extract values of
    // the fields that are delimited by the equal or colon characters ( =: ). The delimiters are individual
    // characters. In this example the "=" or ":" character is used to delimit the key value. Similarly, a "|" or
    // ";" is used to delimit the field-value pair itself.": ... | extract pairdelim="|;", kvdelim="=:"
    const raw = 'user=alice|action:login;src=10.0.0.1||;port=22';
    expect(await over(raw, 'extract pairdelim="|;", kvdelim="=:" | table user action src port')).toEqual([{ user: 'alice', action: 'login', src: '10.0.0.1', port: '22' }]);
    expect(await over(raw, 'kv pairdelim="|;" kvdelim="=:" | table user action src port')).toEqual([{ user: 'alice', action: 'login', src: '10.0.0.1', port: '22' }]);
  });

  it('does not extract a value holding a key/value delimiter (kvdelim: "If the delimiter appears in the value, that value is not extracted")', async () => {
    // "For example, if the delimiter is a colon ( : ) and a key-value pair is Referer: https://buttercupgames.com,
    // the key-value pair is not extracted."
    const raw = 'Referer: https://buttercupgames.com;Host: buttercupgames.com';
    expect(await over(raw, 'extract pairdelim=";" kvdelim=":" | table Referer Host')).toEqual([{ Host: 'buttercupgames.com' }]);
  });

  it('takes a double-quoted key or value whole, delimiters inside it included, without its quotes (transforms.conf DELIMS)', async () => {
    // transforms.conf.spec, DELIMS: "If a value may contain an embedded unescaped double quote character, such as
    // "foo"bar", use REGEX, not DELIMS. An escaped double quote (\") is ok." Splunk's "Delimiter based key-value
    // pair extraction": "whenever the key/value contains any of the delimiters it is normally enclosed in
    // literal-defining characters usually double-quotes", "value = <string>|<quoter><string><quoter>", "quoter = "".
    const raw = 'a="x;y";b=2; "my key" = "v=1" ;c="q\\"r";d="open';
    // By hand: a is x;y (";" quoted), b 2, my key (cleaned my_key) v=1 ("=" quoted), c q\"r (escaped quote kept as
    // written), d "open (a quote never closed is a plain character).
    expect(await over(raw, 'extract pairdelim=";" kvdelim="=" | table a b my_key c d')).toEqual([{ a: 'x;y', b: '2', my_key: 'v=1', c: 'q\\"r', d: '"open' }]);
    // A kvdelim in a quoted value is text; outside quotes the value is still not extracted.
    const o365 = 'Verdict:"Phish";ms:"Hello: world";Url:https://x';
    expect(await over(o365, 'extract pairdelim=";" kvdelim=":" | table Verdict ms Url')).toEqual([{ Verdict: 'Phish', ms: 'Hello: world' }]);
    // A quote inside a value (not at its start) quotes nothing: "foo"bar is what DELIMS leaves undefined.
    expect(await over('a=x"y;z";b=1', 'extract pairdelim=";" kvdelim="=" | table a b z')).toEqual([{ a: 'x"y', b: '1' }]);
  });

  it('works only on _raw: another field is read after renaming it to _raw, as ESCU does', async () => {
    // ESCU "O365 Email Reported By User Found Malicious", its macros expanded (o365_management_activity is
    // sourcetype=o365:management:activity) and its ctime/filter macros left out. By hand: etps splits at ";" into
    // RescanVerdict:Phish, RescanSubmissionId:1234 and Url:https://evil.example/x (two ":", so not extracted).
    const data = JSON.stringify({ etps: 'RescanVerdict:Phish;RescanSubmissionId:1234;Url:https://evil.example/x', tsd: 'Bad Actor <bad@evil.example>', ms: 'Invoice due' });
    const raw = JSON.stringify({ Workload: 'SecurityComplianceCenter', Operation: 'AlertEntityGenerated', Name: 'Email reported by user as malware or phish', AlertId: 'a-1', AlertEntityId: 'victim@corp.example', Data: data });
    const spl =
      'sourcetype=o365:management:activity Workload=SecurityComplianceCenter  Operation=AlertEntityGenerated Name="Email reported by user as*" | fromjson Data | rename _raw AS temp etps AS _raw | extract pairdelim=";" kvdelim=":" | rename _raw AS etps temp AS _raw | search RescanVerdict IN (Phish,Malware) | rex field=tsd "\\<(?<src_user>.+)\\>" | eval src_user = case(isnull(src_user),tsd,true(),src_user) | stats count min(_time) as firstTime max(_time) as lastTime values(ms) as subject values(RescanVerdict) as result values(tsd) as sender values(src_user) as src_user by AlertId,AlertEntityId,Operation,Name | rename Name as signature, AlertId as signature_id, AlertEntityId as user';
    const source = new MemorySource([{ _time: NOW - 1, _raw: raw, index: 'main', sourcetype: 'o365:management:activity', source: 's', host: 'h' }]);
    const rows = (await runSearch(spl, { now: NOW, source })).results.map(toObject);
    expect(rows).toEqual([
      {
        signature_id: 'a-1',
        user: 'victim@corp.example',
        Operation: 'AlertEntityGenerated',
        signature: 'Email reported by user as malware or phish',
        count: 1,
        firstTime: NOW - 1,
        lastTime: NOW - 1,
        subject: 'Invoice due',
        result: 'Phish',
        sender: 'Bad Actor <bad@evil.example>',
        src_user: 'bad@evil.example',
      },
    ]);
    // A verdict neither Phish nor Malware is filtered out after the extraction.
    const clean = raw.replace('RescanVerdict:Phish', 'RescanVerdict:NoThreatsFound');
    const none = await runSearch(spl, { now: NOW, source: new MemorySource([{ _time: NOW - 1, _raw: clean, index: 'main', sourcetype: 'o365:management:activity', source: 's', host: 'h' }]) });
    expect(none.results).toEqual([]);
  });

  it('without delimiters extracts key=value and key="quoted value" (automatic key/value extraction)', async () => {
    const raw = 'Dec 6 host sshd: user=bob src=10.1.2.3, msg="Failed password" port=22;tty=pts/0 empty= a=b=c';
    expect(await over(raw, 'extract | table user src msg port tty empty a')).toEqual([{ user: 'bob', src: '10.1.2.3', msg: 'Failed password', port: '22', tty: 'pts/0', a: 'b=c' }]);
  });

  it('cleans keys by default (CLEAN_KEYS): non-alphanumerics become _, leading _ and digits go; clean_keys=false keeps them', async () => {
    const raw = 'Event Type:logon;2fa-method:push;__x.y:1';
    expect(await over(raw, 'extract pairdelim=";" kvdelim=":" | table Event_Type fa_method x_y')).toEqual([{ Event_Type: 'logon', fa_method: 'push', x_y: '1' }]);
    expect(await over(raw, 'extract pairdelim=";" kvdelim=":" clean_keys=false | table "Event Type" 2fa-method __x.y')).toEqual([{ 'Event Type': 'logon', '2fa-method': 'push', '__x.y': '1' }]);
  });

  it('keeps an existing field (MV_ADD=false: the new value is discarded); mv_add=true appends, repeated keys too', async () => {
    const raw = 'k=1 k=2 host=evil';
    // host is the event's own field: not overwritten.
    expect(await over(raw, 'extract | table k host')).toEqual([{ k: '1', host: 'h' }]);
    expect(await over(raw, 'extract mv_add=true | table k host')).toEqual([{ k: ['1', '2'], host: ['h', 'evil'] }]);
  });

  it('takes at most limit= pairs (default 50) from the first maxchars= characters (default 10240)', async () => {
    const raw = Array.from({ length: 60 }, (_, i) => `k${String.fromCharCode(97 + (i % 26))}${Math.floor(i / 26)}=${i}`).join(' ');
    const all = await over(raw, 'extract | fields - _* index sourcetype source host linecount');
    expect(Object.keys(all[0]!)).toHaveLength(50);
    expect(Object.keys((await over(raw, 'extract limit=3 | fields - _* index sourcetype source host linecount'))[0]!)).toEqual(['ka0', 'kb0', 'kc0']);
    // "ka0=0 kb0=1 kc0=2": 17 characters hold the first three pairs whole, the 18th starts kd0.
    expect(await over(raw, 'extract maxchars=17 | table ka0 kb0 kc0 kd0')).toEqual([{ ka0: '0', kb0: '1', kc0: '2' }]);
    expect(await over(raw, 'extract maxchars=16 | table ka0 kb0 kc0')).toEqual([{ ka0: '0', kb0: '1' }]);
  });

  it('takes delimiters as characters, regex metacharacters and escapes included', async () => {
    expect(await over('a.1*b.2*c.3', 'extract pairdelim="*" kvdelim="." | table a b c')).toEqual([{ a: '1', b: '2', c: '3' }]);
    expect(await over('a^1$b^2[c^3', 'extract pairdelim="$[" kvdelim="^" | table a b c')).toEqual([{ a: '1', b: '2', c: '3' }]);
    expect(await over('a=1\tb=2', 'extract pairdelim="\\t" kvdelim="=" | table a b')).toEqual([{ a: '1', b: '2' }]);
    // kvdelim alone: pairs split at whitespace, "," and ";" (Decision, docs/spl.md).
    expect(await over('a:1, b:2;c:3', 'extract kvdelim=":" | table a b c')).toEqual([{ a: '1', b: '2', c: '3' }]);
  });

  it('refuses empty delimiters, a shared delimiter, a transforms.conf extractor name and bad numbers at their position', async () => {
    let spl = '| makeresults | extract pairdelim="" kvdelim="="';
    let e = await errorOf(spl);
    expect([e.code, e.message]).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining('at least one delimiter')]);
    spl = '| makeresults | extract pairdelim=",=" kvdelim="="';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    spl = '| makeresults | extract reload=true access-extractions';
    e = await errorOf(spl);
    expect([e.code, e.format()]).toEqual(['SPL_BAD_ARGUMENT', expect.stringContaining(at(spl, 'access-extractions'))]);
    expect(e.message).toContain('transforms.conf');
    expect((await errorOf('| makeresults | extract limit=100001')).message).toContain('at most 10000');
    expect((await errorOf('| makeresults | extract limit=0')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | extract maxchars=-1')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | extract segment=maybe')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('stays bounded on hostile events: a 10 MB _raw, 100k pairs, no = at all, an unclosed quote', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    expect(await over(`${big} a=1`, 'extract | table a')).toEqual([{}]);
    expect(await over(`${big} a=1`, `extract maxchars=${big.length + 10} | table a`)).toEqual([{ a: '1' }]);
    const pairs = Array.from({ length: 100_000 }, (_, i) => `k${i}=${i}`).join(';');
    const rows = await over(pairs, `extract pairdelim=";" kvdelim="=" limit=10000 maxchars=${pairs.length} | fields - _* index sourcetype source host linecount`);
    expect(Object.keys(rows[0]!)).toHaveLength(10_000);
    expect(rows[0]!['k9999']).toBe('9999');
    expect(await over('='.repeat(1_000_000), 'extract maxchars=1000000 | fields - _* index sourcetype source host linecount')).toEqual([{}]);
    expect(await over(`a="${'y'.repeat(100_000)}`, 'extract maxchars=200000 | table a')).toEqual([{}]);
    // Quotes with delimiters: each closing quote is looked for once (1M unclosed quotes stay linear).
    const quotes = '"a;'.repeat(1_000_000);
    expect(await over(quotes, `extract pairdelim=";" kvdelim="=" maxchars=${quotes.length} | fields - _* index sourcetype source host linecount`)).toEqual([{}]);
    const quoted = 'k="v;w";'.repeat(200_000);
    expect(await over(quoted, `extract pairdelim=";" kvdelim="=" mv_add=true maxchars=${quoted.length} | eval n=mvcount(k) | table n`)).toEqual([{ n: 50 }]);
  });
});
