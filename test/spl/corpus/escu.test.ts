import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSearch, MacroLibrary, parseSearch, SplError } from '../../../src/spl/index.js';
import { ESCU_CORPUS_DIR } from '../../helpers.js';
import { loadContent } from '../../../src/detections/content.js';
import { groupReasons, reasonOf } from '../../../src/detections/validate.js';

/**
 * Census over the 1,613 real ESCU searches (splunk/security_content, 2024-10) kept in ../shared
 * (reference data, not copied into the project). Every search must either parse or fail with a
 * positioned SplError — never crash — and we report how many parse with the general grammar and how
 * many vigil fully supports (every command and function known, every static argument valid).
 */
const DIR = ESCU_CORPUS_DIR;
const present = existsSync(join(DIR, 'searches.jsonl'));
/** Fully supported searches reached so far: fewer is a regression (raise it when support grows). */
const SUPPORTED_FLOOR = 1502;

interface EscuSearch {
  name: string;
  search: string;
}

/** The searches of the 878 (data-models.md §3.1) that use tstats and vigil runs so far: fewer is a regression (raise it when support grows). */
const TSTATS_SUPPORTED_FLOOR = 823;

/** The corpus' searches, and ESCU's macros over vigil's bundled content (read once, when a test runs). */
let corpus: { searches: EscuSearch[]; pack: ReturnType<typeof loadContent>; macros: MacroLibrary } | undefined;
function readCorpus(): NonNullable<typeof corpus> {
  if (corpus) return corpus;
  const searches = readFileSync(join(DIR, 'searches.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EscuSearch);
  // vigil's bundled content: the CIM data models, event types and Splunk_SA_CIM macros (drop_dm_object_name, cim_*_indexes).
  const pack = loadContent();
  const macros = new MacroLibrary().with(pack.macros.all());
  for (const l of readFileSync(join(DIR, 'macros.jsonl'), 'utf8').trim().split('\n')) {
    const m = JSON.parse(l) as { name: string; arguments: string[] | null; definition: string };
    macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
  }
  for (const s of searches) macros.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
  return (corpus = { searches, pack, macros });
}

describe.skipIf(!present)('ESCU 2024-10 corpus', () => {
  it('parses every search or reports a positioned error, and counts what is fully supported', () => {
    const { searches, pack, macros } = readCorpus();

    let parsed = 0;
    let supported = 0;
    const parseFailures = new Map<string, number>();
    const unsupported = new Map<string, number>();
    for (const s of searches) {
      try {
        parseSearch(s.search, macros, s.name, { allowUnknownCommands: true });
        parsed++;
      } catch (e) {
        expect(e, s.name).toBeInstanceOf(SplError);
        const err = e as SplError;
        expect(err.location(), s.name).not.toBeNull();
        // Only a syntax error means the general grammar failed; a known command rejecting an argument
        // (an unsupported stats function, say) parsed but is not supported.
        if (err.code === 'SPL_SYNTAX' || err.code === 'SPL_UNKNOWN_MACRO') {
          parseFailures.set(err.message, (parseFailures.get(err.message) ?? 0) + 1);
          continue;
        }
        parsed++;
        unsupported.set(err.message, (unsupported.get(err.message) ?? 0) + 1);
        continue;
      }
      try {
        checkSearch(s.search, { macros, knowledge: pack.knowledge, now: 1_700_000_000 });
        supported++;
      } catch (e) {
        expect(e, s.name).toBeInstanceOf(SplError);
        const err = e as SplError;
        const what = err.code === 'SPL_UNSUPPORTED_COMMAND' || err.code === 'SPL_UNSUPPORTED_FUNCTION' ? err.message : err.code;
        unsupported.set(what, (unsupported.get(what) ?? 0) + 1);
      }
    }
    const top = [...unsupported.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(
      `ESCU corpus: ${searches.length} searches, ${parsed} parse (${((100 * parsed) / searches.length).toFixed(1)}%), ` +
        `${supported} fully supported (${((100 * supported) / searches.length).toFixed(1)}%)\n` +
        `  parse failures: ${JSON.stringify(Object.fromEntries(parseFailures))}\n` +
        `  top reasons not supported:\n${top.map(([k, v]) => `    ${v}\t${k}`).join('\n')}`,
    );
    expect(searches.length).toBe(1613);
    expect(parsed / searches.length).toBeGreaterThan(0.95);
    expect(supported).toBeGreaterThanOrEqual(SUPPORTED_FLOOR);
  });

  it('counts how many of the 878 tstats searches run, and the top reasons for the rest', () => {
    const { searches, pack, macros } = readCorpus();
    const tstats = searches.filter((s) => /\btstats\b/.test(s.search));
    const verdicts = tstats.map((s) => {
      try {
        checkSearch(s.search, { macros, lookups: pack.lookups, knowledge: pack.knowledge, name: s.name, now: 1_700_000_000 });
        return {};
      } catch (e) {
        expect(e, s.name).toBeInstanceOf(SplError);
        return { reason: reasonOf(e as SplError) };
      }
    });
    const supported = verdicts.filter((v) => !v.reason).length;
    const reasons = groupReasons(verdicts);
    console.log(
      `ESCU tstats searches: ${supported} of ${tstats.length} run on vigil (${((100 * supported) / tstats.length).toFixed(1)}%); top reasons for the rest:\n` +
        reasons
          .slice(0, 12)
          .map((r) => `    ${r.count}\t${r.reason} [${r.code}]`)
          .join('\n'),
    );
    expect(tstats).toHaveLength(878);
    expect(reasons.reduce((n, r) => n + r.count, 0)).toBe(tstats.length - supported);
    expect(supported).toBeGreaterThanOrEqual(TSTATS_SUPPORTED_FLOOR);
  });
});
