/**
 * What an outbox item holds and what receivers get. The outbox stores an `AlertPayload` (JSON text); every
 * action turns it into its wire form with the item's id as the idempotency key, so the bytes sent are the
 * same on every attempt and after a restart.
 */
import { createHash } from 'node:crypto';
import type { JsonResult } from './json.js';
import type { AlertKind } from './actions.js';
import type { OutboxItem } from '../store/types.js';
import { VigilError } from '../errors.js';

/** Bumped when the body changes incompatibly; receivers can branch on it. */
export const ALERT_SCHEMA_VERSION = 1;

/** The JSON stored in `OutboxItem.payload`. */
export interface AlertPayload {
  kind: AlertKind;
  detection: { id: string; name: string };
  /** The scheduled time of the run that produced the item (epoch seconds). */
  scheduled_time: number;
  /** The item's own time: the risk event's `_time`, the finding's time (epoch seconds). */
  time: number;
  /** The risk event or finding as `resultToJson` renders it. */
  data: JsonResult;
}

/** The body a webhook receives and a line of the file action: the payload plus its idempotency key. */
export interface AlertBody extends AlertPayload {
  idempotency_key: string;
  schema_version: number;
}

/** Reads an item's payload; a corrupt one is a permanent failure (retrying cannot fix it). */
export function parsePayload(item: Pick<OutboxItem, 'id' | 'payload'>): AlertPayload {
  let v: unknown;
  try {
    v = JSON.parse(item.payload);
  } catch (e) {
    throw new VigilError('INPUT_MALFORMED', `outbox item ${item.id}: payload is not JSON (${(e as Error).message})`);
  }
  const p = v as Partial<AlertPayload> | null;
  const ok =
    p !== null &&
    typeof p === 'object' &&
    (p.kind === 'risk_event' || p.kind === 'finding') &&
    typeof p.detection?.id === 'string' &&
    typeof p.detection.name === 'string' &&
    typeof p.time === 'number' &&
    typeof p.scheduled_time === 'number' &&
    typeof p.data === 'object' &&
    p.data !== null;
  if (!ok) throw new VigilError('INPUT_MALFORMED', `outbox item ${item.id}: payload is not an alert payload`);
  return p as AlertPayload;
}

export function alertBody(item: Pick<OutboxItem, 'id' | 'payload'>): AlertBody {
  const p = parsePayload(item);
  // Key order is fixed so the bytes are identical across attempts.
  return {
    idempotency_key: item.id,
    schema_version: ALERT_SCHEMA_VERSION,
    kind: p.kind,
    detection: { id: p.detection.id, name: p.detection.name },
    scheduled_time: p.scheduled_time,
    time: p.time,
    data: p.data,
  };
}

/** JSON with object keys sorted at every level: the same value always hashes the same. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
