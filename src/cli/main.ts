import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { VigilError } from '../errors.js';
import { EXIT_USAGE, reportError } from './exit.js';
import { printable } from '../outputs/printable.js';
import { settingHint } from '../edit-distance.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Every command, by the module that registers it, in help order. Only the module of the command a command
 * line names is loaded (start-up is module loading); all of them for the top-level help, `help` and an
 * unknown command (whose error suggests the nearest name).
 */
export const COMMAND_MODULES: readonly { names: readonly string[]; register: () => Promise<(program: Command) => void> }[] = [
  { names: ['run'], register: async () => (await import('./commands/run.js')).runCommand },
  { names: ['search'], register: async () => (await import('./commands/search.js')).searchCommand },
  { names: ['detections'], register: async () => (await import('./commands/detections.js')).detectionsCommand },
  { names: ['validate'], register: async () => (await import('./commands/validate.js')).validateCommand },
  { names: ['serve'], register: async () => (await import('./commands/serve.js')).serveCommand },
  { names: ['replay'], register: async () => (await import('./commands/replay.js')).replayCommand },
  { names: ['schedule', 'backfill'], register: async () => (await import('./commands/schedule.js')).scheduleCommands },
  { names: ['runs', 'risk', 'findings'], register: async () => (await import('./commands/state.js')).stateCommands },
  { names: ['indexes'], register: async () => (await import('./commands/indexes.js')).indexesCommand },
  { names: ['test'], register: async () => (await import('./commands/test.js')).testCommand },
  { names: ['hash-password'], register: async () => (await import('./commands/hash-password.js')).hashPasswordCommand },
];

/** The program with the commands `args` (the command line after the script) can use: its command's, or all. */
export async function buildProgram(args: readonly string[] = []): Promise<Command> {
  const named = args.find((a) => !a.startsWith('-'));
  const only = COMMAND_MODULES.filter((m) => named !== undefined && m.names.includes(named));
  const help = helpFor(args);
  const program = new Command()
    .name('vigil')
    .description('Run Splunk security_content detections (SPL) over Cilium Tetragon events, without Splunk.')
    .version(pkg.version)
    // Commander's own errors ("error: unknown option '--evnts'\n(Did you mean --events?)") read as every other
    // error does: one line, with its code (docs/errors.md). Subcommands inherit this.
    .configureOutput({ outputError: (str, write) => write(commanderErrorLine(str, help)) })
    .addHelpText(
      'after',
      '\nExit codes: 0 success (also with no results); 2 a usage, SPL or content error; 1 anything else (input, store,\n' +
        'a failed test or an event a replay could not send). Errors end with their code, listed in docs/errors.md.',
    )
    .exitOverride();
  for (const m of only.length ? only : COMMAND_MODULES) (await m.register())(program);
  return program;
}

/** The help a usage error points at: the command's (`vigil run --help`) when the line names one, else the program's. */
function helpFor(args: readonly string[]): string {
  const named = args.find((a) => !a.startsWith('-'));
  return named !== undefined && COMMAND_MODULES.some((m) => m.names.includes(named)) ? `vigil ${named} --help` : 'vigil --help';
}

/** `error: <message>` and commander's "(Did you mean ...?)" on one line, as `vigil: <message> [USAGE]`. */
function commanderErrorLine(text: string, help: string): string {
  const message = text
    .trim()
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\.$/, '');
  // Commander quotes the argument as given: its control characters replaced, as every echoed input.
  return `vigil: ${printable(message)}; see ${help} [USAGE]\n`;
}

/** Options taking one value or more (`<file...>`): they take every argument after them, the command's own too. */
const VARIADIC_OPTIONS = ['--events', '--content', '--datasets'];

/** What to do when a variadic option took the command's arguments (`vigil search --events f.jsonl 'spl'`). */
function variadicHint(option: string): string {
  return `hint: ${option} takes every argument after it; put the command's arguments before ${option}, or end its list with --\n`;
}

/**
 * A variadic option given no value but the next option (`--events --format csv`): commander takes `--format` as its
 * first file, and the run then failed on reading it (exit 1), not as the usage error it is. A file whose name
 * starts with `--` is still read when it exists (or written `./--name`).
 */
function optionTakenAsValue(args: readonly string[]): VigilError | null {
  for (let i = 0; i + 1 < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return null;
    const next = args[i + 1]!;
    if (VARIADIC_OPTIONS.includes(a) && next.startsWith('--') && !existsSync(next)) {
      const what = a === '--content' ? 'directories' : 'files';
      return new VigilError('USAGE', `${a} takes its ${what} right after it, and took the option ${printable(next)} as one (a file of that name: ./${printable(next)})`);
    }
  }
  return null;
}

/**
 * Options whose value names a file, directory, port, URL or token: an empty one is never meant (`--data-dir "$DIR"`
 * with DIR unset). Commands took it as not given (`--data-dir ''` ran on ./data, `--junit ''` wrote no report,
 * `--config ''` read no config) or as the working directory; `--lookup-dir`/`--geoip-db` refused it already.
 */
const NON_EMPTY_OPTIONS = ['--config', '--data-dir', '--junit', '--port', '--hec-port', '--url', '--api-url', '--token', '--hec-token', '--api-token', '--events', '--content', '--datasets'];

/** The first of NON_EMPTY_OPTIONS given an empty value (`--flag ''` or `--flag=`), as a usage error; else null. */
function emptyOptionValue(args: readonly string[], help: string): VigilError | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return null;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!NON_EMPTY_OPTIONS.includes(name)) continue;
    const value = eq > 0 ? a.slice(eq + 1) : args[i + 1];
    if (value !== undefined && value.trim() === '') return new VigilError('USAGE', `${name} was given an empty value (an unset shell variable?); see ${help}`);
  }
  return null;
}

/**
 * `vigil help serch`: commander printed the whole program help on stderr (exit 2) without saying what was wrong; the
 * same line as `vigil serch` now, with its suggestion.
 */
function unknownHelpTopic(args: readonly string[]): VigilError | null {
  if (args[0] !== 'help' || args[1] === undefined || args[1].startsWith('-')) return null;
  const names = COMMAND_MODULES.flatMap((m) => m.names);
  if (names.includes(args[1]) || args[1] === 'help') return null;
  const near = settingHint(names, args[1]);
  return new VigilError('USAGE', `unknown command '${printable(args[1])}'${near !== undefined ? ` (did you mean ${near}?)` : ''}; see vigil --help`);
}

/** The CLI entry point (bin/vigil.js). Sets process.exitCode: 0 ok, 2 usage/SPL/content errors, 1 otherwise. */
export async function main(argv: readonly string[]): Promise<void> {
  // `vigil ... | head`: a closed pipe ends the output quietly, as Unix tools do; any other write error (a full disk)
  // ends it with one line and exit 1: the output is incomplete.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.exit(reportError(new VigilError('OUTPUT_IO', `cannot write the output: ${err.message}`, { cause: err })));
  });
  const dashed = optionTakenAsValue(argv.slice(2)) ?? emptyOptionValue(argv.slice(2), helpFor(argv.slice(2))) ?? unknownHelpTopic(argv.slice(2));
  if (dashed !== null) {
    process.exitCode = reportError(dashed);
    return;
  }
  const program = await buildProgram(argv.slice(2));
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help).
      if (err.code === 'commander.missingArgument') {
        const variadic = argv.find((a) => VARIADIC_OPTIONS.includes(a));
        if (variadic !== undefined) process.stderr.write(variadicHint(variadic));
      }
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(err);
  }
}
