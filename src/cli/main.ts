import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { detectionsCommand } from './commands/detections.js';
import { hashPasswordCommand } from './commands/hash-password.js';
import { indexesCommand } from './commands/indexes.js';
import { runCommand } from './commands/run.js';
import { searchCommand } from './commands/search.js';
import { serveCommand } from './commands/serve.js';
import { replayCommand } from './commands/replay.js';
import { scheduleCommands } from './commands/schedule.js';
import { stateCommands } from './commands/state.js';
import { testCommand } from './commands/test.js';
import { validateCommand } from './commands/validate.js';
import { EXIT_USAGE, reportError } from './exit.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command()
    .name('vigil')
    .description('Run Splunk security_content detections (SPL) over Cilium Tetragon events, without Splunk.')
    .version(pkg.version)
    .showHelpAfterError('(run vigil help for usage)')
    .exitOverride();
  runCommand(program);
  searchCommand(program);
  detectionsCommand(program);
  validateCommand(program);
  serveCommand(program);
  replayCommand(program);
  scheduleCommands(program);
  stateCommands(program);
  indexesCommand(program);
  testCommand(program);
  hashPasswordCommand(program);
  return program;
}

/** The CLI entry point (bin/vigil.js). Sets process.exitCode: 0 ok, 2 usage/SPL/content errors, 1 otherwise. */
export async function main(argv: readonly string[]): Promise<void> {
  // `vigil ... | head`: a closed pipe ends the output quietly, as Unix tools do.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed the message (or the help).
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(err);
  }
}
