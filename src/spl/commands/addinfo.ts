import { nodeCrypto } from '../node-builtins.js';
import { defineCommand, type ExecContext } from './types.js';

export const ADDINFO_FIELDS = ['info_min_time', 'info_max_time', 'info_search_time', 'info_sid'] as const;

/**
 * `addinfo`: writes onto every result what the search knows of itself (Search Reference: info_min_time "The earliest
 * time boundary for the search", info_max_time "The latest time boundary for the search", info_sid "The ID of the
 * search that generated the event", info_search_time "The time when the search was run"). The values are texts as
 * Splunk gives them (eval reads them as numbers): the time range after every modifier, `0.000` and `+Infinity` for an
 * unbounded side (Splunk's all-time values), with 3 decimals; the search time (`now`, what `now()` returns) with 9, as
 * Splunk's microseconds and three zeros. *Decision:* info_sid is `vigil_<search time in whole seconds>_<the first 12
 * hex digits of the SHA-256 of the search's macro-expanded text>`: the same for every result of a search, on every
 * thread, and again when the same search runs with the same `--now`.
 */
export const addinfoCommand = defineCommand<null>({
  name: 'addinfo',
  doc: 'addinfo: adds info_min_time, info_max_time, info_search_time and info_sid to every result.',
  parse: (p) => {
    p.expectEnd();
    return null;
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => ADDINFO_FIELDS,
  create: (_args, ctx, next) => {
    // Made on the first result: `vigil validate` builds operators without loading node:crypto.
    let info: readonly [string, string][] | null = null;
    return {
      push: (row) => {
        info ??= searchInfo(ctx);
        for (const [name, value] of info) row.set(name, value);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

function searchInfo(ctx: ExecContext): readonly [string, string][] {
  const digest = nodeCrypto().createHash('sha256').update(ctx.source.text, 'utf8').digest('hex').slice(0, 12);
  return [
    ['info_min_time', ctx.earliest === null ? '0.000' : ctx.earliest.toFixed(3)],
    ['info_max_time', ctx.latest === null ? '+Infinity' : ctx.latest.toFixed(3)],
    ['info_search_time', microsText(ctx.now)],
    ['info_sid', `vigil_${Math.floor(ctx.now)}_${digest}`],
  ];
}

/** Epoch seconds with microseconds and three zeros (`1554290847.423961000`), from integers: no binary artefacts. */
function microsText(t: number): string {
  const micros = Math.round(Math.abs(t) * 1e6);
  const whole = Math.floor(micros / 1e6);
  return `${t < 0 ? '-' : ''}${whole}.${String(micros - whole * 1e6).padStart(6, '0')}000`;
}
