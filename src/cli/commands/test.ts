import { existsSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Detection } from '../../detections/detection.js';
import type { TestOutcome } from '../../testing/testing.js';
import { fileErrorReason, VigilError } from '../../errors.js';
import { holdEndingSignals } from '../../signals.js';
import { printable } from '../../outputs/printable.js';
import { EXIT_FAILURE } from '../exit.js';
import { applyGeoIpOption, GEOIP_DB_OPTION } from '../geoip-option.js';
import { failOnContentErrors, namedDetections } from './content-errors.js';

interface TestCliOptions {
  content?: string[];
  datasets?: string[];
  junit?: string;
  bundled: boolean;
  jobs: string;
  url?: string;
  token?: string;
  apiUrl?: string;
  apiToken?: string;
  insecure?: boolean;
  geoipDb?: string;
}

export function testCommand(program: Command): void {
  program
    .command('test')
    .description("run detections' tests (unit/integration, as contentctl) offline against local datasets")
    .argument('[detection...]', 'detection names or ids (default: every detection with tests)')
    .option('--content <dir...>', 'extra content directories')
    .option('--datasets <dir...>', 'local copies of splunk/attack_data (attack_data URLs resolve here first, then to the bundled datasets)')
    .option('--junit <file>', 'also write a JUnit XML report (- for stdout: the text report then goes to stderr)')
    .option('--no-bundled', "only the detections of --content directories (the bundled content's data models, macros and lookups still load)")
    .option('--jobs <n>', 'worker threads, at most the cores (auto: the cores, when the test data is large enough to pay for them)', 'auto')
    .option('--url <url>', 'live mode: the HEC of a running vigil (replay over /raw with a channel and ack, search through the API)')
    .option('--token <token>', 'live mode: HEC token (without an indexes allow-list: each test creates, through the API, an index of its own)')
    .option('--api-url <url>', 'live mode: vigil API base URL (default: the --url host on port 8000)')
    .option('--api-token <token>', 'live mode: API token (default $VIGIL_API_TOKEN, else --token)')
    .option('--insecure', 'live mode: do not verify TLS certificates (dangerous)')
    .option(...GEOIP_DB_OPTION)
    .action(async (keys: string[], opts: TestCliOptions) => {
      const started = performance.now();
      applyGeoIpOption(opts.geoipDb);
      // Checked before any test runs (a report that cannot be written was an internal error after all of them).
      const jobs = opts.jobs === 'auto' ? 'auto' : /^[0-9]{1,4}$/.test(opts.jobs) ? Number(opts.jobs) : NaN;
      if (jobs !== 'auto' && !(jobs >= 1)) throw new VigilError('USAGE', `--jobs must be a positive integer or auto, not "${printable(String(opts.jobs))}"`);
      if (opts.junit !== undefined && opts.junit !== '-') checkWritable(opts.junit);
      // The live-mode options without --url were ignored: the tests ran offline, which the user did not ask for.
      const live = (['token', 'apiUrl', 'apiToken', 'insecure'] as const).filter((k) => opts[k] !== undefined);
      if (!opts.url && live.length > 0) {
        const flags = live.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
        throw new VigilError('USAGE', `${flags}: live-mode option${live.length > 1 ? 's' : ''}, given without --url (the HEC of a running vigil); add --url, or leave ${live.length > 1 ? 'them' : 'it'} out to test offline`);
      }
      // Imported when the command runs: `vigil --help` and the other commands do not load the engine.
      const [{ inContentDirs, loadContent }, { BUNDLED_DATASETS_DIR, checkDatasetsDirs }] = await Promise.all([import('../../detections/content.js'), import('../../detections/datasets.js')]);
      checkDatasetsDirs(opts.datasets ?? []);
      // --no-bundled leaves the bundled detections out, not what their searches run on (macros, data models, lookups).
      const pack = loadContent(opts.content ?? []);
      const own = opts.bundled ? () => true : inContentDirs(opts.content ?? []);
      // Named as `vigil run` names them (each once, every unknown name reported), and as there, errors in other
      // detections' files do not stop them.
      const selected: Detection[] = keys.length ? await namedDetections(pack, keys) : pack.detections.filter((d) => d.tests.length > 0 && own(d.file));
      failOnContentErrors(pack, keys.length ? selected : undefined);
      for (const d of selected) if (d.tests.length === 0) process.stderr.write(`vigil: ${printable(d.name)} has no tests (its YAML has no tests: block): nothing to run for it\n`);
      if (selected.length === 0) {
        // "0 passed, 0 failed" alone read as success: say that nothing ran, and why when a directory loaded nothing.
        const dirs = (opts.content ?? []).map((c) => resolve(c));
        for (const p of pack.problems) if (dirs.includes(resolve(p.file))) process.stderr.write(`vigil: ${printable(p.file)}: ${p.severity}: ${printable(p.message)}\n`);
        process.stderr.write(`vigil: no detection ${opts.bundled ? 'of the content' : 'of the --content directories'} has tests: no test was run\n`);
      }
      if (opts.url) {
        if (!opts.token) throw new VigilError('USAGE', 'live mode needs --token (a HEC token)');
        if (opts.insecure) process.stderr.write('vigil: WARNING: --insecure: TLS certificates are not verified\n');
        const [{ runLiveTests }, { httpBaseUrl }] = await Promise.all([import('../../testing/live-testing.js'), import('../../replay/replay.js')]);
        const hec = httpBaseUrl(opts.url, '--url');
        if (opts.apiUrl !== undefined) httpBaseUrl(opts.apiUrl, '--api-url');
        const apiUrl = opts.apiUrl ?? `${hec.protocol}//${hec.hostname}:8000`;
        const outcomes = await runLiveTests(pack, selected, {
          datasetsDirs: [...(opts.datasets ?? []), BUNDLED_DATASETS_DIR],
          hecUrl: opts.url,
          hecToken: opts.token,
          apiUrl,
          apiToken: opts.apiToken ?? process.env.VIGIL_API_TOKEN ?? opts.token,
          verifyTls: !opts.insecure,
        });
        await report(outcomes, opts, started);
        return;
      }
      const { runTestsInParallel } = await import('../../testing/parallel-tests.js');
      const outcomes = await runTestsInParallel(pack, selected, {
        datasetsDirs: [...(opts.datasets ?? []), BUNDLED_DATASETS_DIR],
        jobs,
        contentDirs: opts.content ?? [],
        bundled: true,
      });
      await report(outcomes, opts, started);
    });
}

/** The JUnit report's path: its directory must exist (a path that names a directory is refused too). */
function checkWritable(path: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new VigilError('USAGE', `--junit: the directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new VigilError('USAGE', `--junit: ${path} is a directory`);
}

/**
 * Writes the JUnit report whole or not at all: into a hidden file beside it, then renamed over it, with Ctrl-C held
 * until the rename (a CI job killed mid-write left half an XML file, which its reader refused). A path that is no
 * regular file (`/dev/stdout`, a FIFO) is written directly. A failure (a full disk, a read-only directory) is
 * `OUTPUT_IO`, exit 1, and leaves no temporary file; it was an internal error.
 */
function writeReport(path: string, text: string): void {
  const what = `cannot write the JUnit report ${printable(path)}`;
  let direct = false;
  try {
    direct = !statSync(path).isFile();
  } catch {
    // no file there yet
  }
  if (direct) {
    try {
      writeFileSync(path, text);
    } catch (err) {
      throw new VigilError('OUTPUT_IO', `${what}: ${fileErrorReason(err)}`, { cause: err });
    }
    return;
  }
  const tmp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`);
  holdEndingSignals();
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new VigilError('OUTPUT_IO', `${what}: ${fileErrorReason(err)}`, { cause: err });
  }
}

async function report(outcomes: readonly TestOutcome[], opts: TestCliOptions, started: number): Promise<void> {
  // Loaded now, not with the command definitions (`vigil --help` loads nothing else).
  const { junitXml, malformedNote } = await import('../../testing/junit.js');
  // `--junit -`: the XML is what stdout carries (`vigil test --junit - > report.xml`), so the text report goes to stderr.
  const xmlOnStdout = opts.junit === '-';
  const text = (s: string) => (xmlOnStdout ? process.stderr : process.stdout).write(s);
  printOutcomes(outcomes, text, malformedNote);
  const failed = outcomes.filter((o) => o.status === 'fail' || o.status === 'error').length;
  const passed = outcomes.filter((o) => o.status === 'pass').length;
  const skipped = outcomes.length - passed - failed;
  text(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} in ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
  if (xmlOnStdout) process.stdout.write(junitXml(outcomes));
  else if (opts.junit) writeReport(opts.junit, junitXml(outcomes));
  if (failed > 0) process.exitCode = EXIT_FAILURE;
}

/**
 * One block per detection, like contentctl's summary (`<detection>:<test name>`): test name, type, status, dataset,
 * source, sourcetype. The name tells apart two tests over the same dataset (their rows were otherwise the same).
 */
export function printOutcomes(outcomes: readonly TestOutcome[], write: (s: string) => void, malformedNote: (o: TestOutcome) => string | null): void {
  const byDetection = new Map<string, TestOutcome[]>();
  for (const o of outcomes) byDetection.set(o.detection, [...(byDetection.get(o.detection) ?? []), o]);
  const head = ['TEST', 'TYPE', 'STATUS', 'DATASET', 'SOURCE', 'SOURCETYPE', 'RESULTS'];
  for (const [name, os] of byDetection) {
    // Names, datasets and reasons come from content and data (a reason may quote a dataset's line): made printable.
    write(`\n${printable(name)}\n`);
    const rows = os.map((o) => [printable(o.test), o.testType, o.status.toUpperCase(), printable(o.dataset), printable(o.source), printable(o.sourcetype), String(o.results)]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
    write(fmt(head));
    for (let i = 0; i < rows.length; i++) {
      write(fmt(rows[i]!));
      const o = os[i]!;
      if (o.message) write(`    ${o.status === 'skip' ? 'skipped' : 'reason'}: ${o.message.split('\n').map(printable).join('\n    ')}\n`);
      // As `vigil run` reports them: a dataset's bad lines are not silently dropped.
      const note = malformedNote(o);
      if (note !== null) write(`    note: ${printable(note)}\n`);
    }
  }
}
