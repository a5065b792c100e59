/**
 * ClickHouse failures as StoreErrors. The client's own parser leaves `code` undefined on 18.16's error text
 * ("Code: 285, e.displayText() = DB::Exception: …"), so the code is read from the message here.
 */
import { StoreError, type StoreErrorCode } from '../types.js';

/**
 * Codes of transient conditions: retrying later can succeed (HEC answers 503 code 9, the client retries).
 * 159 timeout, 209 socket timeout, 210 network error, 225 no ZooKeeper, 241 memory limit, 242 table read-only
 * (ZooKeeper session lost), 252 too many parts, 285 too few live replicas for the quorum, 286 a quorum insert in
 * progress or unsatisfied, 319 unknown status of an insert (quorum timeout), 999 ZooKeeper exception.
 */
const TRANSIENT = new Set([159, 209, 210, 225, 241, 242, 252, 285, 286, 319, 999]);

/** Node's codes for a server that cannot be reached or stopped answering. */
const NETWORK = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|ETIMEDOUT|EAI_AGAIN|UND_ERR_SOCKET)$/;

/** ClickHouse's error code in an error's message (or in its cause's, for a StoreError made here), or null. */
export function clickhouseCode(err: unknown): number | null {
  if (err instanceof StoreError && err.cause !== undefined) return clickhouseCode(err.cause);
  const m = /\bCode: (\d+)\b/.exec(err instanceof Error ? err.message : String(err));
  return m === null ? null : Number(m[1]);
}

/** Whether an error means the server did not answer (unreachable, connection lost, timeout), not that it refused. */
export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK.test(code)) return true;
  return /timeout|socket hang up|ECONNREFUSED|ECONNRESET/i.test(err.message) && clickhouseCode(err) === null;
}

/** Whether retrying the same request (elsewhere, or later) may succeed. */
export function isTransient(err: unknown): boolean {
  const code = clickhouseCode(err);
  return code === null ? isUnreachable(err) : TRANSIENT.has(code);
}

/** The first line of an error's message (ClickHouse appends stack-like detail after it). */
export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0]!.trim();
}

/** A StoreError for `what` failing with `err`: BUSY when transient (so HEC answers 503 code 9), else `otherwise`. */
export function storeError(what: string, err: unknown, otherwise: StoreErrorCode = 'STORE_IO'): StoreError {
  if (err instanceof StoreError) return err;
  const code = clickhouseCode(err);
  // An error answer without text (the client keeps only the body): a proxy or another server, not ClickHouse.
  const detail =
    code !== null
      ? `ClickHouse code ${code}: ${firstLine(err).replace(/^Code: \d+, e\.displayText\(\) = /, '')}`
      : firstLine(err) || 'an HTTP error answer without a message (is this the HTTP port of a ClickHouse server?)';
  return new StoreError(isTransient(err) ? 'STORE_BUSY' : otherwise, `${what}: ${detail}`, { cause: err });
}
