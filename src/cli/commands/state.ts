import type { Command } from 'commander';
import { Option } from 'commander';
import type { VigilConfig } from '../../config/config.js';
import { Row } from '../../events/result.js';
import { VigilError } from '../../errors.js';
import { strftime } from '../../spl/time/format.js';
import type { NodeStore } from '../../cluster/node-store.js';
import type { FindingStatus, RunStatus } from '../../store/types.js';
import { printable } from '../../outputs/printable.js';
import { outputSink, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { connectionRefused, requestJson, type ServerApi } from '../api-client.js';
import { lockingServer, serverApi, serverConfig, type ServerDataOptions } from '../serve-config.js';
import { outputFormat, parseTimeArg } from '../shared.js';

const ISO = '%Y-%m-%dT%H:%M:%S%:z';
const FINDING_STATUSES: readonly FindingStatus[] = ['new', 'in progress', 'resolved', 'closed'];

interface StateCliOptions extends ServerDataOptions {
  since?: string;
  limit?: string;
  format?: OutputFormat;
}

function common(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'the config file of vigil serve')
    .option('--data-dir <dir>', 'the data directory of vigil serve')
    .option('--since <time>', 'only since this time (epoch, ISO 8601, or a modifier such as -24h)')
    .option('--limit <n>', 'at most this many rows', '100')
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]));
}

/**
 * Runs `fn` on what `vigil serve` stores into, as its config says (`store:`): the SQLite store of its data dir,
 * or the cluster's ClickHouse and PostgreSQL (`--config <node.yml>`); closed afterwards. `check` reads the command's
 * flags (in the config's zone) before the store is opened: a bad `--limit` is a usage error (exit 2) with or without
 * a store, not "no event store" (exit 1) where there is none.
 */
export async function withStore<T>(
  opts: ServerDataOptions,
  readonly: boolean,
  fn: (store: NodeStore, tz: string, config: VigilConfig) => Promise<T>,
  check?: (tz: string) => void,
): Promise<T> {
  const { config, settings } = await serverConfig(opts);
  check?.(settings.tz);
  const { openNodeStore } = await import('../../cluster/node-store.js');
  // A command does not stay to hand runs' events on (eventRetryMs 0): the nodes' own sweeps do.
  const store = await openNodeStore(config, { readonly, eventRetryMs: 0, log: (level, message) => process.stderr.write(`vigil: ${level}: ${message}\n`) });
  try {
    return await fn(store, settings.tz, config);
  } finally {
    await store.close();
  }
}

function limitOf(text: string | undefined): number {
  const n = Number(text ?? '100');
  if (!Number.isInteger(n) || n < 1) throw new VigilError('USAGE', '--limit must be a positive integer');
  return n;
}

/** `--limit` and `--since` of a listing, read before its store is opened (`withStore`'s check). */
function listing(opts: StateCliOptions): { now: number; limit: number; since: (tz: string) => void; sinceTime: () => number | null } {
  const now = Date.now() / 1000;
  let sinceTime: number | null = null;
  return {
    now,
    limit: limitOf(opts.limit),
    since: (tz) => {
      if (opts.since) sinceTime = parseTimeArg(opts.since, now, tz, '--since');
    },
    sinceTime: () => sinceTime,
  };
}

export function stateCommands(program: Command): void {
  common(program.command('runs').description('list scheduled runs from the run ledger, newest first'))
    .option('--detection <id>', 'only this detection id')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(['success', 'failed', 'timeout', 'skipped']))
    .action(async (opts: StateCliOptions & { detection?: string; status?: RunStatus }) => {
      const list = listing(opts);
      await withStore(opts, true, async (store, tz) => {
        const since = list.sinceTime();
        const runs = await store.state.runs({
          ...(opts.detection ? { detectionId: opts.detection } : {}),
          ...(opts.status ? { status: opts.status } : {}),
          ...(since !== null ? { since } : {}),
          limit: list.limit,
        });
        const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s) });
        for (const r of runs) {
          sink.push(
            new Row({
              scheduled: strftime(r.scheduledTime, ISO, tz),
              detection: r.detectionName,
              status: r.status,
              mode: r.mode,
              window: `${strftime(r.earliest, ISO, tz)} .. ${strftime(r.latest, ISO, tz)}`,
              results: r.resultCount,
              risk_events: r.riskEventCount,
              findings: r.findingCount,
              seconds: Math.round((r.endedAt - r.startedAt) * 1000) / 1000,
              error: r.error,
            }),
          );
        }
        sink.end();
      }, list.since);
    });

  common(program.command('risk').description('list risk events (index=risk), newest first'))
    .option('--object <name>', 'only this risk object (exactly: case and * as written)')
    .option('--summary', 'total risk per object instead of events')
    .action(async (opts: StateCliOptions & { object?: string; summary?: boolean }) => {
      const list = listing(opts);
      await withStore(opts, true, async (store, tz) => {
        const [{ loadContent }, { streamSearch }] = await Promise.all([import('../../detections/content.js'), import('../../spl/index.js')]);
        const pack = loadContent();
        // Exactly this object: the search term alone matched `h*` as a wildcard and `H1` as h1 (search's matching
        // rules); `where ==` compares the text as it is, the term keeps the store's pushdown.
        const quoted = opts.object ? `"${opts.object.replace(/(["\\])/g, '\\$1')}"` : null;
        const object = quoted ? ` risk_object=${quoted} | where risk_object==${quoted}` : '';
        const spl = opts.summary
          ? `index=risk${object} | stats sum(risk_score) as risk_score count as risk_events dc(search_name) as sources values(search_name) as detections by risk_object risk_object_type | sort - risk_score | head ${list.limit}`
          : `index=risk${object} | head ${list.limit} | table _time risk_object risk_object_type risk_score search_name risk_message threat_object`;
        const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s) });
        await streamSearch(spl, { macros: pack.macros, source: store.events, now: list.now, tz, earliest: list.sinceTime() }, sink);
      }, list.since);
    });

  const findings = common(program.command('findings').description('list findings (notables) raised by risk incident rules; see also findings update'))
    .addOption(new Option('--status <status>', 'only findings with this status').choices([...FINDING_STATUSES]))
    .option('--owner <name>', 'only findings owned by this person')
    .option('--before <id>', 'only the findings listed after this one (the next page: the last id of the previous one)')
    .action(async (opts: StateCliOptions & { status?: FindingStatus; owner?: string; before?: string }) => {
      const list = listing(opts);
      await withStore(opts, true, async (store, tz) => {
        const since = list.sinceTime();
        if (opts.before !== undefined && (await store.state.finding(opts.before)) === null) {
          throw new VigilError('USAGE', `--before: no finding with id ${printable(opts.before)} (vigil findings lists them)`);
        }
        const found = await store.state.findings({
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.owner ? { owner: opts.owner } : {}),
          ...(opts.before !== undefined ? { before: opts.before } : {}),
          ...(since !== null ? { since } : {}),
          limit: list.limit,
        });
        const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s) });
        for (const f of found) {
          sink.push(new Row({ id: f.id, time: strftime(f.time, ISO, tz), rule: f.ruleName, risk_object: f.riskObject, risk_object_type: f.riskObjectType, risk_score: f.riskScore, status: f.status, owner: f.owner }));
        }
        sink.end();
      }, list.since);
    });

  findings
    .command('update')
    .description('change a finding: status, owner, or add a comment')
    .argument('<id>', 'finding id')
    .addOption(new Option('--status <status>', 'new status').choices([...FINDING_STATUSES]))
    .option('--owner <name>', 'new owner ("" to unassign)')
    .option('--comment <text>', 'add a comment')
    .option('--by <name>', 'who makes the change (through vigil serve: the API token\'s name)', process.env.USER ?? 'cli')
    .option('--api-token <token>', 'API token when vigil serve runs on the data dir (default $VIGIL_API_TOKEN, else the config\'s or the data dir\'s)')
    .option('--config <file>', 'the config file of vigil serve')
    .option('--data-dir <dir>', 'the data directory of vigil serve')
    .action(async function (this: Command, id: string) {
      // With the globals: commander gives `findings` the options both commands define (--config, --data-dir,
      // --status, --owner) wherever they are on the line, so update's own opts lack them.
      const opts = this.optsWithGlobals<FindingUpdateOptions>();
      // The API's rules, checked here so that both ways refuse the same (locally a 1 MB comment was stored). Imported
      // here: `vigil --help` loads the command definitions only (test/cli/startup.test.ts).
      const [{ MAX_FINDING_COMMENT_CHARS, MAX_FINDING_OWNER_CHARS }, { codePointLength }] = await Promise.all([import('../../store/types.js'), import('../../spl/eval/functions/helpers.js')]);
      if (opts.owner !== undefined && opts.owner.length > MAX_FINDING_OWNER_CHARS) throw new VigilError('USAGE', `--owner: at most ${MAX_FINDING_OWNER_CHARS} characters`);
      if (opts.owner !== undefined) opts.owner = opts.owner.trim();
      if (opts.comment !== undefined) {
        opts.comment = opts.comment.trim();
        if (opts.comment === '' || codePointLength(opts.comment) > MAX_FINDING_COMMENT_CHARS) throw new VigilError('USAGE', `--comment: 1 to ${MAX_FINDING_COMMENT_CHARS} characters`);
      }
      const missing = () => new VigilError('CONTENT_NOT_FOUND', `no finding with id ${printable(id)} (vigil findings lists them)`);
      let line: string;
      try {
        line = await withStore(opts, false, async (store) => {
          const now = Date.now() / 1000;
          if (!(await store.state.finding(id))) throw missing();
          if (opts.status !== undefined || opts.owner !== undefined) {
            await store.state.updateFinding(id, { ...(opts.status ? { status: opts.status } : {}), ...(opts.owner !== undefined ? { owner: opts.owner || null } : {}) }, opts.by, now);
          }
          if (opts.comment) await store.state.addComment({ findingId: id, time: now, author: opts.by, text: opts.comment });
          const f = (await store.state.finding(id))!;
          return updatedLine(f.finding, f.comments.length);
        });
      } catch (e) {
        // A vigil serve holds the data dir (the usual case): the change goes through its API, as vigil backfill does.
        const { config } = await serverConfig(opts);
        const server = await lockingServer(e, config);
        if (!server) throw e;
        try {
          line = await remoteFindingUpdate(serverApi(config, server.apiUrl, opts.apiToken), id, opts, missing);
        } catch (r) {
          // Nothing listens at its URL: the file is a dead server's and the holder is another process.
          throw connectionRefused(r) ? e : r;
        }
      }
      process.stdout.write(line);
    });
}

interface FindingUpdateOptions extends ServerDataOptions {
  status?: FindingStatus;
  owner?: string;
  comment?: string;
  by: string;
  apiToken?: string;
}

function updatedLine(f: { id: string; status: FindingStatus; owner: string | null }, comments: number): string {
  return `${f.id}: ${f.status}${f.owner ? `, owner ${f.owner}` : ''}, ${comments} comment(s)\n`;
}

/** `findings update` through the server's API (docs/api.md): PATCH for status/owner, a POST per comment, then the finding. */
async function remoteFindingUpdate(api: ServerApi, id: string, opts: FindingUpdateOptions, missing: () => VigilError): Promise<string> {
  const path = `/api/findings/${encodeURIComponent(id)}`;
  if (opts.status !== undefined || opts.owner !== undefined) {
    const change = { ...(opts.status ? { status: opts.status } : {}), ...(opts.owner !== undefined ? { owner: opts.owner || null } : {}) };
    if ((await requestJson(api, 'PATCH', path, change)) === null) throw missing();
  }
  if (opts.comment && (await requestJson(api, 'POST', `${path}/comments`, { text: opts.comment })) === null) throw missing();
  const detail = (await requestJson(api, 'GET', path)) as { finding: { id: string; status: FindingStatus; owner: string | null }; comments: unknown[] } | null;
  if (detail === null) throw missing();
  return updatedLine(detail.finding, detail.comments.length);
}
