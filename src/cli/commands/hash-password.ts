import type { Command } from 'commander';
import { VigilError } from '../../errors.js';

/** Reads one line from stdin; on a terminal, without echoing it. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve) => {
    let text = '';
    const onData = (b: Buffer) => {
      for (const ch of b.toString('utf8')) {
        // Enter, or Ctrl-D (end of input, as a terminal in line mode takes it; in raw mode it came in as a character).
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(text);
          return;
        }
        // Ctrl-C (raw mode turns it into a character): end by SIGINT, exit 130 as every command; it was a USAGE error
        // (exit 2) saying "interrupted".
        if (ch === '\u0003') {
          done();
          process.kill(process.pid, 'SIGINT');
          return;
        }
        if (ch === '\u007f') text = text.slice(0, -1);
        else text += ch;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

/** `vigil hash-password`: prints a scrypt hash for the config's `users:` section (password read from stdin). */
export function hashPasswordCommand(program: Command): void {
  program
    .command('hash-password')
    .description('hash a console password for the config file (users: - name: alice, password: <hash>); reads it from stdin')
    .action(async () => {
      const password = await readPassword('Password: ');
      if (!password) throw new VigilError('USAGE', 'no password given (type it, or pipe it on stdin)');
      const { hashPassword } = await import('../../web/users.js');
      process.stdout.write((await hashPassword(password)) + '\n');
    });
}
