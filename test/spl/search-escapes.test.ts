import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';

/**
 * Backslash sequences in SPL text. Expected values come from the Search Reference, search command, "Quotes and
 * escaping characters": the backslash "is used to escape quotes, pipes, and itself"; "Backslash escape sequences are
 * still expanded inside quotation marks"; "The sequence \| as part of a search will send a pipe character to the
 * command, instead of having the pipe split between commands"; a sequence Splunk does not recognize is not altered
 * ("\s" reaches the command as "\s", "\\s" as "\s"). And the Search Manual, "Backslashes": "The backslash symbol
 * can't be used to escape the asterisk in search strings".
 */
const events = jsonEvents([
  { id: 'pipe', s: 'a|b' },
  { id: 'plain', s: 'ab' },
  { id: 'backslash-pipe', s: 'a\\|b' },
  { id: 'star', s: 'x*' },
]);
const ids = async (spl: string) => rowsText(await search(spl, events)).map((r) => r['id']).sort();

describe('backslash escapes in SPL (Search Reference, search: "Quotes and escaping characters")', () => {
  it('\\| in a bare value is a pipe sent to the command, not a pipeline split', async () => {
    expect(await ids('s=a\\|b')).toEqual(['pipe']);
    expect(await ids('s=a\\|*')).toEqual(['pipe']);
  });

  it('\\| inside quotation marks is expanded too', async () => {
    expect(await ids('s="a\\|b"')).toEqual(['pipe']);
    expect(await ids('s="a|b"')).toEqual(['pipe']);
    expect(await ids('s IN ("a\\|b", "ab")')).toEqual(['pipe', 'plain']);
    expect(await ids('* | search s="a\\|b"')).toEqual(['pipe']);
  });

  it('\\\\ is one backslash: "a\\\\|b" is the text a\\|b', async () => {
    expect(await ids('s="a\\\\|b"')).toEqual(['backslash-pipe']);
  });

  it('eval and where strings expand \\| as well', async () => {
    expect(await ids('* | where s="a\\|b"')).toEqual(['pipe']);
    const rows = rowsText(await search('| makeresults | eval p="a\\|b", s="\\s", d="\\\\s" | fields - _time'));
    // \s is not a known sequence: it reaches the command as \s; \\s reaches it as \s too.
    expect(rows).toEqual([{ p: 'a|b', s: '\\s', d: '\\s' }]);
  });

  it('a regex argument gets the expanded pipe: "a\\|b" is the alternation a|b', async () => {
    expect(await ids('* | regex s="^(a\\|b)$"')).toEqual([]);
    // "\\|" is a backslash then a pipe: the regex gets \| (an escaped pipe), so only the text a|b matches.
    expect(await ids('* | regex s="^a\\\\|b$"')).toEqual(['pipe']);
    expect(await ids('* | regex s="^(x\\|ab)$"')).toEqual(['plain']);
  });

  it('a backslash does not escape the asterisk', async () => {
    // "x\*" stays a wildcard after a literal backslash: it does not find the value x*.
    expect(await ids('s="x\\*"')).toEqual([]);
    expect(await ids('s="x*"')).toEqual(['star']);
  });
});
