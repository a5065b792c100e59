/**
 * Typed errors. Every error a user can see carries a stable `code` they can look up in
 * docs/errors.md; SPL errors also carry a source position (see spl/source.ts).
 */

export type ErrorCode =
  // SPL front end
  | 'SPL_SYNTAX'
  | 'SPL_UNSUPPORTED_COMMAND'
  | 'SPL_UNSUPPORTED_FUNCTION'
  | 'SPL_BAD_ARGUMENT'
  | 'SPL_UNKNOWN_MACRO'
  | 'SPL_MACRO_DEPTH'
  | 'SPL_MACRO_ARGS'
  | 'SPL_MACRO_LIMIT'
  | 'SPL_TOO_DEEP'
  | 'SPL_RUNTIME'
  // outputlookup could not write its lookup (no writable directory, refused, over a limit, I/O)
  | 'SPL_LOOKUP_WRITE'
  // a search asked to be checked holds a command of Splunk's risky list (POST /api/search checkRiskyCommands)
  | 'SPL_RISKY_COMMAND'
  // data models (tstats, datamodel, from) and their definitions
  | 'SPL_UNKNOWN_DATAMODEL'
  | 'DATAMODEL_INVALID'
  // a search stopped by a limit of `vigil serve` (config `search:`), or cancelled
  | 'SPL_LIMIT_TIME'
  | 'SPL_LIMIT_MEMORY'
  | 'SPL_LIMIT_RESULTS'
  | 'SPL_LIMIT_CONCURRENCY'
  | 'SPL_CANCELLED'
  // regular expressions (PCRE -> JS)
  | 'REGEX_UNSUPPORTED'
  | 'REGEX_INVALID'
  // time modifiers and formats
  | 'TIME_MODIFIER'
  | 'TIME_FORMAT'
  // content (detections, macros, lookups, stories)
  | 'CONTENT_YAML'
  | 'CONTENT_SCHEMA'
  | 'CONTENT_NOT_FOUND'
  | 'LOOKUP_NOT_FOUND'
  // iplocation's GeoIP database (none configured, unreadable, not a MaxMind DB)
  | 'GEOIP_DB'
  // input and storage
  | 'INPUT_IO'
  | 'INPUT_MALFORMED'
  | 'OUTPUT_IO'
  | 'STORE'
  | 'CONFIG'
  | 'USAGE'
  // scheduling
  | 'BACKFILL_LIMIT'
  | 'BACKFILL_BUSY'
  // the CLI talking to a running vigil serve
  | 'SERVER_API'
  // vigil replay sending to a HEC
  | 'HEC_REFUSED'
  | 'HEC_UNAVAILABLE'
  | 'HEC_ACK';

export class VigilError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VigilError';
    this.code = code;
  }
}

export function isVigilError(err: unknown): err is VigilError {
  return err instanceof VigilError;
}

/** What file system error codes mean, in words (fileErrorReason). */
const FILE_ERROR_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'a file of that name exists and is not a directory',
  Z_BUF_ERROR: 'truncated gzip data',
  Z_DATA_ERROR: 'corrupt gzip data',
};

/** A file system error in words (`no such file or directory` rather than ENOENT), else its code or message. */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return (e?.code && FILE_ERROR_REASONS[e.code]) || e?.message || String(err);
}

/**
 * Why a server could not listen on its port, with what to do for the usual causes (`flag`, `key`: the command-line
 * flag and config key that choose the port); a bare EADDRINUSE left a first-time user guessing.
 */
export function listenFailure(err: NodeJS.ErrnoException, flag: string, key: string): string {
  if (err.code === 'EADDRINUSE') return `EADDRINUSE: another process (another vigil serve?) listens there; stop it, or choose another port (${flag}, ${key})`;
  if (err.code === 'EACCES') return `EACCES: this user may not listen on that port (below 1024?); choose another (${flag}, ${key})`;
  return err.code ?? err.message;
}
