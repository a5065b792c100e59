import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { VigilError } from '../errors.js';

/** One file to replay with the metadata it goes in with. */
export interface ReplayInput {
  path: string;
  source?: string;
  sourcetype?: string;
  /** attack_data's replay.py sends the data.yml `id` as host. */
  host?: string;
  index?: string;
}

/**
 * Expands replay arguments: plain files as they are, and attack_data `data.yml` files (`id`, `datasets:
 * [{name, path, source, sourcetype}]`) into their datasets, paths relative to the yml, host = id.
 */
export function replayInputs(args: readonly string[]): ReplayInput[] {
  const out: ReplayInput[] = [];
  for (const a of args) {
    if (!/\.ya?ml$/i.test(a)) {
      out.push({ path: a });
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(readFileSync(a, 'utf8'));
    } catch (e) {
      throw new VigilError('CONTENT_YAML', `${a}: ${(e as Error).message}`);
    }
    const d = doc as { id?: unknown; datasets?: unknown };
    if (!d || !Array.isArray(d.datasets)) throw new VigilError('CONTENT_SCHEMA', `${a}: expected an attack_data data.yml with a datasets: list`);
    d.datasets.forEach((x: unknown, i: number) => {
      const ds = x as { name?: unknown; path?: unknown; source?: unknown; sourcetype?: unknown };
      if (typeof ds?.path !== 'string') throw new VigilError('CONTENT_SCHEMA', `${a}: datasets[${i}] needs a path`);
      // attack_data paths are repository paths (/datasets/...): resolve them next to the yml by file name when absolute.
      const p = ds.path.startsWith('/') ? resolve(dirname(a), basename(ds.path)) : resolve(dirname(a), ds.path);
      out.push({
        path: p,
        ...(typeof ds.source === 'string' ? { source: ds.source } : {}),
        ...(typeof ds.sourcetype === 'string' ? { sourcetype: ds.sourcetype } : {}),
        ...(typeof d.id === 'string' ? { host: d.id } : {}),
      });
    });
  }
  return out;
}
