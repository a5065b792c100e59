import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadContent, type ContentPack } from '../../../src/detections/content.js';
import type { Event } from '../../../src/events/event.js';
import { runSearch, SplError, type SearchOptions } from '../../../src/spl/index.js';
import { memorySource, rowsText } from '../../helpers.js';

/** A content directory holding `files` (paths relative to it). */
export function contentDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-content-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** The bundled content plus a directory of `files`. */
export function packWith(files: Record<string, string> = {}): ContentPack {
  return loadContent(Object.keys(files).length ? [contentDir(files)] : []);
}

export const NOW = 1_700_100_000;

/** A small data model of our own over JSON shop orders (every field is a JSON key), for tstats and summaries. */
export const SHOP_MODEL = `
name: Shop
datasets:
  - name: Orders
    base_search: (\`cim_Shop_indexes\`) tag=order | eval labels=split(label_list, ",")
    fields:
      - item
      - {name: qty, type: number}
      - customer
      - region
      - {name: labels, multivalue: true}
    calculations:
      - {field: status, eval: 'if(isnull(status) OR status="","unknown",status)'}
      - {field: total, type: number, eval: 'qty*price'}
  - name: Big_Orders
    parent: Orders
    constraint: total>100
`;

/** The bundled content plus the Shop model (`model`, SHOP_MODEL unless changed) with its eventtype and macro. */
export function shopPack(model = SHOP_MODEL): ContentPack {
  return packWith({
    'datamodels/Shop.yml': model,
    'eventtypes/shop_order.yml': 'name: shop_order\nsearch: sourcetype=shop:order\ntags: [order]\n',
    'macros/cim_Shop_indexes.yml': 'name: cim_Shop_indexes\ndefinition: ()\n',
  });
}

/** Runs `spl` over `events` with a pack's macros and knowledge; rows as text (multivalues as arrays). */
export async function rows(pack: ContentPack, spl: string, events: Partial<Event>[], opts: SearchOptions = {}): Promise<Record<string, string | string[]>[]> {
  const { results } = await runSearch(spl, { source: memorySource(events), macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, ...opts });
  return rowsText(results);
}

/** The SplError a search raises (fails the test when it raises none). */
export async function splError(pack: ContentPack, spl: string, events: Partial<Event>[] = []): Promise<SplError> {
  try {
    await runSearch(spl, { source: memorySource(events), macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`no error from: ${spl}`);
}

/** A Tetragon process_exec event as the file reader gives it (sourcetype cisco:isovalent:processExec). */
export function processExec(
  t: number,
  p: { binary: string; arguments?: string; pid: number; cwd?: string },
  parent?: { binary: string; arguments?: string; pid: number },
): Partial<Event> {
  const body: Record<string, unknown> = { process: { pid: p.pid, uid: 0, cwd: p.cwd ?? '/', binary: p.binary, ...(p.arguments !== undefined ? { arguments: p.arguments } : {}) } };
  if (parent) body.parent = { pid: parent.pid, uid: 0, cwd: '/', binary: parent.binary, ...(parent.arguments !== undefined ? { arguments: parent.arguments } : {}) };
  return { _time: t, sourcetype: 'cisco:isovalent:processExec', source: 'tetragon.log', host: 'collector', _raw: JSON.stringify({ process_exec: body, time: new Date(t * 1000).toISOString() }) };
}
