import { describe, expect, it } from 'vitest';
import { MAX_STRCAT_CHARS } from '../../../src/spl/commands/strcat.js';
import { at, errorOf, run } from './helpers.js';

// Search Reference, strcat (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/strcat):
// "strcat [allrequired=<bool>] <source-fields> <dest-field>"; "Combines together string values and literals into a new
// field. A destination field name is specified at the end"; source fields "(<field> | <quoted-str>)... Literal values
// must be enclosed in quotation marks"; "If allrequired=f, the destination field is always written and source fields
// that do not exist are treated as empty strings. If allrequired=t, the values are written to destination field only
// if all source fields exist. Default: false"; Example 1: "Add a field called comboIP, which combines the source and
// destination IP addresses. Separate the addresses with a forward slash character. ... | strcat sourceIP "/" destIP
// comboIP". Expected values are worked out by hand.

const ips = '| makeresults | eval sourceIP="192.168.1.1", destIP="10.0.0.2"';

describe('strcat', () => {
  it('joins fields and quoted literals into the last field (the reference example)', async () => {
    const [r] = await run(`${ips} | strcat sourceIP "/" destIP comboIP`);
    expect(r!.comboIP).toBe('192.168.1.1/10.0.0.2');
  });

  it('treats a missing field as an empty string by default, and with allrequired=f', async () => {
    expect((await run(`${ips} | strcat sourceIP "/" nosuch comboIP`))[0]!.comboIP).toBe('192.168.1.1/');
    expect((await run(`${ips} | strcat allrequired=f nosuch ":" destIP d`))[0]!.d).toBe(':10.0.0.2');
  });

  it('with allrequired=t writes nothing unless every source field exists (an existing field is left as it is)', async () => {
    expect((await run(`${ips} | strcat allrequired=t sourceIP "/" nosuch comboIP`))[0]!.comboIP).toBeUndefined();
    expect((await run(`${ips} | eval comboIP="before" | strcat allrequired=t sourceIP "/" nosuch comboIP`))[0]!.comboIP).toBe('before');
    expect((await run(`${ips} | strcat allrequired=t sourceIP "/" destIP comboIP`))[0]!.comboIP).toBe('192.168.1.1/10.0.0.2');
  });

  it('prints numbers as Splunk does, reads a multivalue by its first value, replaces the destination', async () => {
    const [r] = await run('| makeresults | eval a=3, b=0.5, m=split("x;y", ";"), d="old" | strcat a "-" b "-" m d');
    expect(r!.d).toBe('3-0.5-x');
  });

  it('refuses a missing destination, a quoted destination, a wildcard, a bad allrequired', async () => {
    expect((await errorOf('| makeresults | strcat a')).code).toBe('SPL_SYNTAX');
    expect((await errorOf('| makeresults | strcat')).code).toBe('SPL_SYNTAX');
    const quoted = '| makeresults | strcat a "dest"';
    const e = await errorOf(quoted);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(quoted, '"dest"'));
    expect((await errorOf('| makeresults | strcat a b*')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | strcat allrequired=maybe a b')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it(`stops with SPL_RUNTIME past ${MAX_STRCAT_CHARS} characters`, async () => {
    // 4,000,000 characters, three times.
    const spl = '| makeresults | eval x=printf("%04000000d", 1) | strcat x x x d';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'strcat'));
    // Twice is within the bound: 8,000,000 characters.
    expect((await run('| makeresults | eval x=printf("%04000000d", 1) | strcat x x d | eval n=len(d) | fields n'))[0]!.n).toBe(8_000_000);
  });
});
