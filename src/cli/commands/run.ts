import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { findDetection, loadContent, type ContentPack } from '../../detections/content.js';
import { readDetection, type Detection } from '../../detections/detection.js';
import { YamlReader } from '../../yaml/reader.js';
import { VigilError } from '../../errors.js';
import { riskEventsFor } from '../../risk/risk-events.js';
import { runSearch } from '../../spl/index.js';
import { outputSink } from '../output.js';
import { progressReporter } from '../progress.js';
import { addEventOptions, checkTimeZone, fileSource, InputIssues, outputFormat, parseNow, type EventOptions } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';

interface RunCliOptions extends EventOptions {
  risk?: boolean;
}

export function runCommand(program: Command): void {
  addEventOptions(
    program
      .command('run')
      .description("run a detection over Tetragon events and print its results (or, with --risk, the risk events ES would write)")
      .argument('<detection>', 'detection name, id, or path to a detection YAML file')
      .option('--risk', 'print risk events instead of result rows'),
  ).action(async (key: string, opts: RunCliOptions) => {
    const tz = checkTimeZone(opts.tz);
    const now = parseNow(opts.now);
    const pack = loadContent(opts.content ?? []);
    failOnContentErrors(pack);
    const detection = resolveDetection(pack, key);
    const issues = new InputIssues();
    const source = fileSource(opts, issues, now);
    const progress = progressReporter(detection.name);
    const { results } = await runSearch(detection.search, {
      macros: pack.macros,
      lookups: pack.lookups,
      source,
      now,
      tz,
      earliest: opts.earliest ?? null,
      latest: opts.latest ?? null,
      name: detection.name,
      onProgress: progress.update,
    });
    progress.done();
    const rows = opts.risk ? riskEventsFor(detection, results, now) : results;
    const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s), hide: ['_raw'] });
    for (const r of rows) sink.push(r);
    sink.end();
    issues.summary();
  });
}

/** A detection by name or id from the content, or a YAML file (its filter macro defaults to `search *`). */
export function resolveDetection(pack: ContentPack, key: string): Detection {
  const found = findDetection(pack, key);
  if (found) return found;
  if (/\.ya?ml$/i.test(key) && existsSync(key)) {
    const r = YamlReader.parse(readFileSync(key, 'utf8'), key);
    const d = r.ok ? readDetection(r.top(), key) : null;
    const errors = r.problems.filter((p) => p.severity === 'error');
    if (!d || errors.length) {
      const p = errors[0];
      throw new VigilError('CONTENT_SCHEMA', p ? `${p.file}:${p.line}:${p.column}: ${p.message}` : `${key}: not a detection`);
    }
    pack.macros.defineDefault({ name: d.filterMacro, args: [], definition: 'search *' });
    return d;
  }
  const near = pack.detections.filter((d) => d.name.toLowerCase().includes(key.toLowerCase())).map((d) => `  ${d.name}`);
  throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${key}"${near.length ? `; did you mean:\n${near.join('\n')}` : ' (vigil detections lists them)'}`);
}
