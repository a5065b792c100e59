import { readFileSync } from 'node:fs';
import { isAttackId, ATTACK_TECHNIQUES } from './attack.js';
import { messageTokens } from './risk-message.js';
import { checkSearch, SplError } from '../spl/index.js';
import { mayHave, outputSchema } from '../spl/plan/schema.js';
import type { ContentPack } from './content.js';
import { resolveAttackData } from './datasets.js';
import type { Detection } from './detection.js';
import type { ContentProblem } from '../yaml/reader.js';

export interface ValidationReport {
  problems: ContentProblem[];
  counts: { detections: number; macros: number; lookups: number; stories: number };
}

/**
 * Everything `vigil validate` checks: the loader's schema problems, then per detection that the search
 * expands, parses and uses only supported commands/functions with valid static arguments, plus the lints
 * a detection engineer wants (risk/threat fields and message tokens the results cannot provide, a missing
 * filter macro, unknown ATT&CK ids, stories and datasets that cannot be found).
 */
export function validateContent(pack: ContentPack, opts: { datasetsDirs?: readonly string[] } = {}): ValidationReport {
  const problems: ContentProblem[] = [...pack.problems, ...pack.knowledge.checkDataModels()];
  const storyNames = new Set(pack.stories.map((s) => s.name));
  for (const d of pack.detections) {
    const at = (message: string, severity: 'error' | 'warning', code: ContentProblem['code'] = 'CONTENT_LINT', line = d.searchLine, column = 1) =>
      problems.push({ file: d.file, line, column, severity, code, message });
    let schema = null;
    try {
      const plan = checkSearch(d.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, name: d.name, now: 0 });
      schema = outputSchema(plan);
    } catch (e) {
      if (!(e instanceof SplError)) throw e;
      const loc = e.location();
      const inSearch = loc && loc.origin.kind === 'search';
      const indent = inSearch ? searchIndent(d) : 0;
      at(`search: ${e.format().split('\n').join('\n    ')}`, 'error', 'SPL', inSearch ? d.searchLine + loc.line - 1 : d.searchLine, inSearch ? indent + loc.column : 1);
    }
    if (!d.search.includes(`\`${d.filterMacro}\``)) at(`search does not end with its filter macro \`${d.filterMacro}\``, 'warning');
    if (schema) {
      for (const ro of d.riskObjects) {
        if (!mayHave(schema, ro.field)) at(`risk object field "${ro.field}" is not in the search's results (${[...schema.fields].join(', ')})`, 'error');
        for (const t of messageTokens(ro.message)) {
          if (!mayHave(schema, t)) at(`risk message token $${t}$ is not a field of the results: it will render empty`, 'warning');
        }
      }
      for (const to of d.threatObjects) {
        if (!mayHave(schema, to.field)) at(`threat object field "${to.field}" is not in the search's results`, 'warning');
      }
    }
    for (const id of d.mitreAttackIds) {
      if (!isAttackId(id)) at(`"${id}" is not an ATT&CK technique id (Txxxx or Txxxx.yyy)`, 'error');
      else if (!ATTACK_TECHNIQUES.has(id)) at(`ATT&CK technique ${id} is not in vigil's technique table (src/risk/attack.ts): check the id`, 'warning');
    }
    if (storyNames.size > 0) {
      for (const s of d.analyticStories) if (!storyNames.has(s)) at(`analytic story "${s}" is not defined in any stories/ directory`, 'warning');
    }
    if (opts.datasetsDirs) {
      for (const t of d.tests) {
        for (const a of t.attackData) {
          try {
            resolveAttackData(a.data, opts.datasetsDirs, d.file);
          } catch (e) {
            at(`test "${t.name}": ${(e as Error).message}`, 'warning', 'CONTENT_LINT', t.line);
          }
        }
      }
    }
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return {
    problems,
    counts: { detections: pack.detections.length, macros: pack.macros.all().length, lookups: pack.lookups.names().length, stories: pack.stories.length },
  };
}

/** Columns in the YAML file before the search text (block scalars are indented). */
function searchIndent(d: Detection): number {
  try {
    const line = readFileSync(d.file, 'utf8').split('\n')[d.searchLine - 1] ?? '';
    return line.length - line.trimStart().length;
  } catch {
    return 0;
  }
}
