import type { Command } from 'commander';
import { Option } from 'commander';
import type { ReplayProgress } from '../../replay/replay.js';
import { VigilError } from '../../errors.js';
import { EXIT_FAILURE } from '../exit.js';
import { parseNow } from '../shared.js';

interface ReplayCliOptions {
  url: string;
  token: string;
  index?: string;
  sourcetype?: string;
  source?: string;
  host?: string;
  endpoint: 'raw' | 'event';
  shiftTime?: boolean;
  now?: string;
  rate?: string;
  insecure?: boolean;
  ack?: boolean;
}

export function replayCommand(program: Command): void {
  program
    .command('replay')
    .description('send datasets (files or attack_data data.yml) to a Splunk HEC — vigil serve or a real Splunk')
    .argument('<input...>', 'JSONL files, or attack_data data.yml files')
    .requiredOption('--url <url>', 'HEC base URL, e.g. http://127.0.0.1:8088')
    .requiredOption('--token <token>', 'HEC token')
    .option('--index <index>', 'index to write to, which must exist on the receiver (default: the token default)')
    .option('--sourcetype <sourcetype>', 'sourcetype (default: from data.yml, else the collector assigns one)')
    .option('--source <source>', 'source')
    .option('--host <host>', 'host (default: the data.yml id)')
    .addOption(new Option('--endpoint <endpoint>', 'raw (as replay.py and contentctl) or event').choices(['raw', 'event']).default('raw'))
    .option('--shift-time', 'move Tetragon time fields so the newest event lands at now (keeps the spacing)')
    .option('--now <time>', 'with --shift-time: the time the newest event lands at (default the clock)')
    .option('--rate <eps>', 'send at most this many events per second')
    .option('--ack', 'wait for indexer acknowledgement (token with useAck)')
    .option('--insecure', 'do not verify the TLS certificate (dangerous)')
    .action(async (args: string[], opts: ReplayCliOptions) => {
      if (opts.insecure) {
        process.stderr.write(
          '\nvigil: WARNING: --insecure turns off TLS certificate verification: anyone on the path can read and alter this data.\n' +
            'vigil: (curl -k is exactly what "Cisco Isovalent - Curl Execution With Insecure Flags" detects.)\n\n',
        );
      }
      // --now only says where --shift-time lands the events: alone it was ignored, and the events kept their times.
      if (opts.now !== undefined && !opts.shiftTime) throw new VigilError('USAGE', '--now applies with --shift-time (the time the newest event lands at); add --shift-time, or leave --now out');
      const shiftTo = opts.shiftTime ? parseNow(opts.now, 'UTC') : undefined;
      // replay() checks it (at least MIN_RATE), before reading the inputs.
      const rate = opts.rate === undefined ? undefined : Number(opts.rate);
      const [{ replayInputs }, { replay }] = await Promise.all([import('../../replay/datasets.js'), import('../../replay/replay.js')]);
      const inputs = replayInputs(args);
      const tty = process.stderr.isTTY;
      let lastDraw = 0;
      // Ctrl-C (or SIGTERM) printed nothing: how much the receiver took is what a user needs to go on.
      let accepted: ReplayProgress = { eventsSent: 0, bytesSent: 0, eventsTotal: 0 };
      const interrupted = (signal: NodeJS.Signals): void => {
        process.stderr.write(
          `${tty ? '\r\x1b[K' : ''}vigil: interrupted: ${accepted.eventsSent} events (${(accepted.bytesSent / 1e6).toFixed(1)} MB) were accepted, the rest not sent ` +
            '(a batch in flight may have been taken too: replaying the same files again sends these events twice)\n',
        );
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', interrupted);
      process.once('SIGTERM', interrupted);
      const summary = await replay(inputs, {
        url: opts.url,
        token: opts.token,
        endpoint: opts.endpoint,
        ...(opts.index ? { index: opts.index } : {}),
        ...(opts.sourcetype ? { sourcetype: opts.sourcetype } : {}),
        ...(opts.source ? { source: opts.source } : {}),
        ...(opts.host ? { host: opts.host } : {}),
        ...(shiftTo !== undefined ? { shiftTo } : {}),
        ...(rate !== undefined ? { rate } : {}),
        verifyTls: !opts.insecure,
        ack: opts.ack === true,
        countTotal: tty,
        onProgress: (p) => {
          accepted = p;
          if (!tty) return;
          const now = Date.now();
          if (now - lastDraw < 100 && p.eventsSent < p.eventsTotal) return;
          lastDraw = now;
          const pct = p.eventsTotal ? Math.floor((100 * p.eventsSent) / p.eventsTotal) : 0;
          const bar = '#'.repeat(Math.floor(pct / 4)).padEnd(25, '.');
          process.stderr.write(`\r[${bar}] ${pct}% ${p.eventsSent}/${p.eventsTotal} events\x1b[K`);
        },
      }).finally(() => {
        process.off('SIGINT', interrupted);
        process.off('SIGTERM', interrupted);
      });
      if (tty) process.stderr.write('\r\x1b[K');
      const rateText = summary.seconds > 0 ? Math.round(summary.eventsSent / summary.seconds) : summary.eventsSent;
      process.stdout.write(
        `sent ${summary.eventsSent} events (${(summary.bytesSent / 1e6).toFixed(1)} MB) in ${summary.requests} requests, ${summary.seconds.toFixed(2)} s (${rateText} events/s)` +
          `${summary.retries ? `, ${summary.retries} retries` : ''}${opts.ack ? `, ${summary.acked} batches acknowledged` : ''}; ${summary.eventsFailed} failed\n`,
      );
      // The same refusal for every batch (a wrong index: one a batch) is said once, with how many times.
      const counts = new Map<string, number>();
      for (const e of summary.errors) counts.set(e, (counts.get(e) ?? 0) + 1);
      for (const [e, n] of [...counts].slice(0, 10)) process.stderr.write(`vigil: ${n > 1 ? `${n} times: ` : ''}${e}\n`);
      if (summary.eventsFailed > 0 || summary.errors.length > 0) process.exitCode = EXIT_FAILURE;
    });
}
