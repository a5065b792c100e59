/**
 * Request bodies: bounded reading (size limit, shared in-flight byte budget), gzip, and strict UTF-8.
 * Nothing here ever holds more than `maxBytes` of one request or more than the budget across requests.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip, type Gunzip } from 'node:zlib';
import { HEC, HecFailure, failure, hecReply, httpReply } from './protocol.js';

/** Bytes held by requests until their batch settles; shared by all requests of a server. */
/** What a request's reading charges: the shared budget, or one client's share of it (ClientShares). */
export interface InflightBudget {
  tryReserve(n: number): boolean;
  release(n: number): void;
  /** Whether `n` more bytes would fit now (nothing is reserved). */
  fits(n: number): boolean;
}

export class ByteBudget implements InflightBudget {
  private used = 0;
  constructor(readonly max: number) {}

  tryReserve(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }

  /** Whether `n` more bytes would fit now (nothing is reserved). */
  fits(n: number): boolean {
    return this.used + n <= this.max;
  }

  get full(): boolean {
    return this.used >= this.max;
  }
}

/**
 * One budget, and at most `perClient` of it for the requests of one client: four connections of one client sending
 * 16 MiB each and then a byte every 20 s (under the idle timeout) held the whole 64 MiB until the body timeout,
 * every other client's post a 503 meanwhile. Clients are keys (ClientIdentity); a client holding nothing is forgotten.
 */
export class ClientShares {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly budget: ByteBudget,
    private readonly perClient: number,
  ) {}

  /** The budget as the requests of `client` see it. */
  of(client: string): InflightBudget {
    const { budget, held, perClient } = this;
    return {
      tryReserve: (n) => {
        const h = held.get(client) ?? 0;
        if (h + n > perClient || !budget.tryReserve(n)) return false;
        held.set(client, h + n);
        return true;
      },
      release: (n) => {
        budget.release(n);
        const h = (held.get(client) ?? 0) - n;
        if (h > 0) held.set(client, h);
        else held.delete(client);
      },
      fits: (n) => (held.get(client) ?? 0) + n <= perClient && budget.fits(n),
    };
  }
}

export type ContentEncoding = 'identity' | 'gzip';

/** The body's encoding, or a 415 failure for anything but gzip/identity. */
export function contentEncoding(header: string | undefined): ContentEncoding {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  throw new HecFailure(httpReply(415, `Unsupported Content-Encoding "${header}" (gzip or none)`));
}

export function tooLarge(maxBytes: number): HecFailure {
  return new HecFailure(httpReply(413, `Request entity too large (the limit is ${maxBytes} bytes)`));
}

/** 408: the client stopped sending its body (idle) or took too long over it (total). */
export function bodyTimedOut(reason: string): HecFailure {
  return new HecFailure(httpReply(408, `Request body timed out (${reason})`));
}

/** The client went away mid-body: nothing can be answered. */
export class ClientGone extends Error {
  constructor() {
    super('client closed the connection before the body was complete');
    this.name = 'ClientGone';
  }
}

export interface ReadBodyOptions {
  encoding: ContentEncoding;
  maxBytes: number;
  budget: InflightBudget;
  /** No body byte for this long → 408. */
  idleTimeoutMs: number;
  /** The whole body not received this long after reading began → 408. */
  timeoutMs: number;
  /** Called once the up-front checks passed, before reading (to answer `Expect: 100-continue`). */
  beforeRead?: () => void;
}

export interface Body {
  data: Buffer;
  /** Bytes reserved from the budget: release them when the batch settles. */
  reserved: number;
  /** Bytes on the wire (compressed size for gzip). */
  wireBytes: number;
}

/**
 * Reads the whole body. Stops reading at the first byte over `maxBytes` (compressed or decompressed: 413),
 * when the budget cannot cover the next chunk (503 code 9), or when the client goes quiet or slow (408);
 * the failure then carries its reply and the caller answers it and closes the connection. A declared
 * Content-Length is checked up front, so an oversized or (right now) unaffordable request is refused before
 * any of it is read. The budget is charged by bytes as they arrive, never by the declared length: a client
 * that declares 16 MiB and trickles bytes holds only what it sent, and only until a timeout cuts it.
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Body> {
  const { maxBytes, budget } = options;
  const declaredHeader = req.headers['content-length'];
  const declared = declaredHeader !== undefined && /^\d+$/.test(declaredHeader) ? Number(declaredHeader) : null;
  if (declared !== null && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (declared !== null && options.encoding === 'identity' && !budget.fits(declared)) return Promise.reject(failure(HEC.SERVER_BUSY));

  let reserved = 0;
  options.beforeRead?.();
  return new Promise<Body>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let wire = 0;
    let settled = false;
    let gunzip: Gunzip | null = null;
    // The idle timer is re-armed per chunk with refresh() (no new timer on the hot path).
    const idle = setTimeout(() => fail(bodyTimedOut(`no data for ${options.idleTimeoutMs / 1000} s`)), options.idleTimeoutMs);
    const total = setTimeout(() => fail(bodyTimedOut(`not complete after ${options.timeoutMs / 1000} s`)), options.timeoutMs);

    const cleanup = (): void => {
      clearTimeout(idle);
      clearTimeout(total);
      req.off('data', onWire);
      req.off('end', onWireEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      if (gunzip) {
        req.unpipe(gunzip);
        gunzip.off('data', onData);
        gunzip.off('end', onEnd);
        gunzip.off('error', onGzipError);
        gunzip.destroy();
      } else {
        req.off('data', onData);
      }
    };
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      budget.release(reserved);
      chunks.length = 0;
      reject(err);
    };
    const onWire = (c: Buffer): void => {
      idle.refresh();
      wire += c.length;
      if (wire > maxBytes) fail(tooLarge(maxBytes));
    };
    const onData = (c: Buffer): void => {
      if (settled) return;
      size += c.length;
      if (size > maxBytes) return fail(tooLarge(maxBytes));
      if (size > reserved) {
        const need = size - reserved;
        if (!budget.tryReserve(need)) return fail(failure(HEC.SERVER_BUSY));
        reserved += need;
      }
      chunks.push(c);
    };
    const onEnd = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({ data: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size), reserved, wireBytes: wire });
    };
    let wireEnded = false;
    const onWireEnd = (): void => {
      wireEnded = true;
      // All bytes are in; only gunzip may still be working on them.
      clearTimeout(idle);
      clearTimeout(total);
    };
    const onClose = (): void => {
      // 'close' after a complete body is normal; before it, the client is gone.
      if (!wireEnded && !req.complete) fail(new ClientGone());
    };
    // No byte at all is no data whatever its declared encoding (gunzip calls an empty input a cut-off stream).
    const onGzipError = (): void => fail(wire === 0 ? failure(HEC.NO_DATA) : new HecFailure(hecReply(HEC.INVALID_DATA_FORMAT)));

    req.on('data', onWire);
    req.on('end', onWireEnd);
    req.on('close', onClose);
    req.on('error', onClose);
    if (options.encoding === 'gzip') {
      gunzip = createGunzip();
      gunzip.on('data', onData);
      gunzip.on('end', onEnd);
      gunzip.on('error', onGzipError);
      req.pipe(gunzip);
    } else {
      req.on('data', onData);
      req.once('end', onEnd);
    }
  });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8 strictly (a leading BOM is dropped). Returns the text, or the byte offset of the first
 * invalid sequence: invalid bytes are refused rather than replaced, so `_raw` is never silently altered.
 */
export function decodeUtf8(data: Buffer): { text: string } | { invalidAt: number } {
  try {
    return { text: STRICT_UTF8.decode(data) };
  } catch {
    return { invalidAt: firstInvalidUtf8(data) };
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // no overlongs
      if (c === 0xed) hi = 0x9f; // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f; // <= U+10FFFF
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return b.length;
}
