import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../../../src/detections/content.js';
import { MacroLibrary, parseSearch, SplError } from '../../../src/spl/index.js';
import { compilePcreInfo, RegexError, type CompiledPcre } from '../../../src/spl/regex/pcre.js';
import { parseSedExpression } from '../../../src/spl/regex/sed.js';
import { escuCorpusPresent, escuMacros, escuSearches } from '../../escu-tree.js';

/**
 * Census of every regex of the 1,613 real ESCU searches (../shared, skipped when absent): each `rex`,
 * `regex`, `rex mode=sed`, `match()` and `replace()` with a literal pattern, found in the parsed searches
 * (macros expanded). Each must translate, or fail with a RegexError (then its search fails with a positioned
 * SplError). When python3 and libpcre2-8 are on the machine, every translated pattern is also matched
 * against PCRE2 itself (pcre2-oracle.py) on subjects made from the pattern: the same matches and, where
 * captures count (rex, replace), the same groups.
 */
type Command = 'rex' | 'regex' | 'rex-sed' | 'match' | 'replace';
interface Found {
  command: Command;
  pattern: string;
  search: string;
}

function collect(node: unknown, search: string, out: Found[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, search, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as { name?: unknown; kind?: unknown; args?: unknown };
  if ((n.name === 'rex' || n.name === 'regex') && n.args && typeof n.args === 'object' && !Array.isArray(n.args)) {
    const a = n.args as { pattern?: unknown; mode?: unknown; expr?: unknown };
    if (typeof a.pattern === 'string') out.push({ command: n.name, pattern: a.pattern, search });
    if (a.mode === 'sed' && typeof a.expr === 'string') {
      const sed = parseSedExpression(a.expr);
      if (sed.kind === 's') out.push({ command: 'rex-sed', pattern: sed.pattern, search });
    }
  }
  if (n.kind === 'call' && (n.name === 'match' || n.name === 'replace') && Array.isArray(n.args)) {
    const p = n.args[1] as { kind?: unknown; value?: unknown } | undefined;
    if (p?.kind === 'string' && typeof p.value === 'string') out.push({ command: n.name, pattern: p.value, search });
  }
  for (const [key, value] of Object.entries(node)) if (key !== 'source') collect(value, search, out);
}

/** Whether captures matter: rex extracts them, replace() and sed substitute them. */
const needCaptures = (c: Command): boolean => c === 'rex' || c === 'replace' || c === 'rex-sed';

describe.skipIf(!escuCorpusPresent())('ESCU regex census', () => {
  it('translates every rex/regex/match/replace pattern, or rejects it with a positioned error, as PCRE2 matches', () => {
    const macros = new MacroLibrary().with(loadContent().macros.all());
    for (const m of escuMacros()) macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
    const searches = escuSearches();
    for (const s of searches) macros.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });

    const found: Found[] = [];
    const regexErrors: string[] = [];
    for (const s of searches) {
      try {
        collect(parseSearch(s.search, macros, s.name, { allowUnknownCommands: true }).commands, s.name, found);
      } catch (e) {
        expect(e, s.name).toBeInstanceOf(SplError);
        expect((e as SplError).location(), s.name).not.toBeNull();
        if (/^REGEX_/.test((e as SplError).code)) regexErrors.push(`${s.name}: ${(e as SplError).message}`);
      }
    }
    const uses: Record<string, number> = {};
    for (const f of found) uses[f.command] = (uses[f.command] ?? 0) + 1;

    const unique = new Map<string, Found>();
    for (const f of found) if (!unique.has(`${f.command}\0${f.pattern}`)) unique.set(`${f.command}\0${f.pattern}`, f);
    const translated: { f: Found; info: CompiledPcre }[] = [];
    const rejected: Record<string, number> = {};
    for (const f of unique.values()) {
      try {
        translated.push({ f, info: compilePcreInfo(f.pattern, { needCaptures: needCaptures(f.command) }) });
      } catch (e) {
        expect(e, f.pattern).toBeInstanceOf(RegexError);
        expect((e as RegexError).offset).toBeGreaterThanOrEqual(0);
        const key = `${f.command} ${(e as RegexError).code} ${(e as RegexError).construct}`;
        rejected[key] = (rejected[key] ?? 0) + 1;
      }
    }

    const oracle = spawnSync('python3', [fileURLToPath(new URL('pcre2-oracle.py', import.meta.url))], {
      input: JSON.stringify(translated.map((t) => t.f.pattern)),
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const differences: string[] = [];
    let subjects = 0;
    let matched = 0;
    const checked = oracle.status === 0;
    if (checked) {
      const lines = oracle.stdout.trim().split('\n');
      expect(lines).toHaveLength(translated.length);
      lines.forEach((line, i) => {
        const { f, info } = translated[i] as { f: Found; info: CompiledPcre };
        const want = JSON.parse(line) as { error?: string; subjects: string[]; results: (string | null)[][] };
        if (want.error) {
          differences.push(`${f.command} ${JSON.stringify(f.pattern)}: PCRE2 rejects it (${want.error}), vigil translates it`);
          return;
        }
        want.results.forEach((pcre, k) => {
          const subject = want.subjects[k] as string;
          const m = info.regex.exec(subject);
          subjects++;
          if (pcre) matched++;
          const got = m && (pcre ?? []).map((_, g) => m[g === 0 ? 0 : (info.translated.groupMap[g] as number)] ?? null);
          const same = needCaptures(f.command) ? JSON.stringify(got) === JSON.stringify(pcre) : !!m === !!pcre;
          if (!same) differences.push(`${f.command} ${JSON.stringify(f.pattern)} on ${JSON.stringify(subject)}: PCRE2 ${JSON.stringify(pcre)}, vigil ${JSON.stringify(got)}`);
        });
      });
    }
    console.log(
      `ESCU regex census: ${found.length} uses (${JSON.stringify(uses)}), ${unique.size} distinct patterns, ` +
        `${translated.length} translated, rejected ${JSON.stringify(rejected)}, searches failing on a regex: ${regexErrors.length}; ` +
        (checked ? `against PCRE2: ${subjects} subjects (${matched} matching), ${differences.length} differences` : `PCRE2 oracle not run (python3 3.11+ and libpcre2-8 needed): ${oracle.status ?? oracle.error?.message}`),
    );
    expect(found.filter((f) => f.command === 'rex').length).toBeGreaterThan(100);
    // Every pattern of this corpus translates today; a new rejection deserves a look.
    expect(rejected).toEqual({});
    expect(regexErrors).toEqual([]);
    expect(differences.slice(0, 20)).toEqual([]);
  }, 120_000);
});
