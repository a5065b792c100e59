/**
 * The connection pool to PostgreSQL: opening it (with clear errors that name the server without its password),
 * creating or checking the schema, and turning the driver's failures into StoreErrors.
 */
import pg from 'pg';
import { VigilError } from '../errors.js';
import { StoreError, type StoreErrorCode } from '../store/types.js';
import { MIGRATIONS, SCHEMA_NAME, SCHEMA_VERSION } from './schema.js';

export interface PoolOptions {
  /** `postgresql://user[:password]@host[:port]/database[?sslmode=…]` */
  url: string;
  /** The PostgreSQL schema holding vigil's tables (created when missing). Default `vigil`. */
  schema?: string;
  /** Most connections this process opens. Default 10. */
  maxConnections?: number;
  /** Connecting gives up after this long. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * A statement without an answer after this long rejects (STORE_IO) and its connection is dropped: a server
   * behind a partition that sends no reset would otherwise hold the call forever. Default 60 s.
   */
  queryTimeoutMs?: number;
  /** Where problems no caller waits for go (a dropped idle connection). */
  log?: (level: 'warn' | 'error', message: string) => void;
}

/** The url as it may be shown: its password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    // libpq also takes it as a parameter (?password=…).
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    return '(an unparsable url)';
  }
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new VigilError('CONFIG', `store.postgres.url must be a postgresql:// url, not ${JSON.stringify(url.replace(/:[^:@/]*@/, ':***@'))}`);
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') {
    throw new VigilError('CONFIG', `store.postgres.url must be a postgresql:// url, not ${redactUrl(url)}`);
  }
}

/** SQLSTATEs of failures a retry may cure (serialization, deadlock, lock wait, connection slots). */
const BUSY_STATES = new Set(['40001', '40P01', '55P03', '53300']);

/** A driver or server failure as a StoreError: disk full → STORE_FULL, transient conflicts → STORE_BUSY, else STORE_IO. */
export function storeErrorOf(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown }).code;
  const message = `${what}: ${(err as Error).message ?? String(err)}`;
  let reason: StoreErrorCode = 'STORE_IO';
  if (code === '53100') reason = 'STORE_FULL';
  else if (typeof code === 'string' && BUSY_STATES.has(code)) reason = 'STORE_BUSY';
  return new StoreError(reason, message, { cause: err });
}

/** Runs `fn`, turning a driver or server failure into a StoreError; VigilErrors (conflict, not found, closed) pass. */
export async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VigilError) throw err;
    throw storeErrorOf(err, `PostgreSQL: ${what}`);
  }
}

/** Why opening failed, in the operator's words, naming the server without its password. */
function openError(err: unknown, url: string): StoreError {
  if (err instanceof VigilError) return err instanceof StoreError ? err : new StoreError('STORE_IO', err.message, { cause: err });
  const where = redactUrl(url);
  const code = (err as { code?: unknown }).code;
  const msg = (err as Error).message ?? String(err);
  let text: string;
  if (code === '28P01' || code === '28000') text = `PostgreSQL at ${where} refused the credentials: ${msg}`;
  else if (code === '3D000') text = `PostgreSQL at ${where}: the database does not exist (create it, e.g. createdb): ${msg}`;
  else if (code === '42501') text = `PostgreSQL at ${where}: the user may not create vigil's schema or tables: ${msg}`;
  else if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) text = `PostgreSQL at ${where}: ${msg} (SQLSTATE ${code})`;
  else text = `cannot reach PostgreSQL at ${where}: ${msg || String(code)}`;
  return new StoreError('STORE_IO', text, { cause: err });
}

export interface OpenedPool {
  pool: pg.Pool;
  /** The schema name, double-quoted for SQL text. */
  schema: string;
}

/**
 * Connects, then creates the schema when missing or checks its version (under an advisory lock, so nodes
 * starting together do not race). Rejects with StoreError('STORE_IO') — unreachable server, refused
 * credentials, missing database, a schema of another program, of a newer vigil or of one too old to migrate —
 * and VigilError('CONFIG') for an unusable url or schema name.
 */
export async function openPool(opts: PoolOptions): Promise<OpenedPool> {
  checkUrl(opts.url);
  const name = opts.schema ?? 'vigil';
  if (!SCHEMA_NAME.test(name)) throw new VigilError('CONFIG', `store.postgres.schema must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63), not ${JSON.stringify(name)}`);
  const schema = `"${name}"`;
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    query_timeout: opts.queryTimeoutMs ?? 60_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'vigil',
  });
  // An idle connection that drops (server restart, network) is reported here; without a listener the
  // process would die of an unhandled 'error' event. The next query opens a new connection.
  pool.on('error', (err) => opts.log?.('warn', `PostgreSQL at ${redactUrl(opts.url)}: an idle connection failed: ${err.message}`));
  try {
    await prepareSchema(pool, name, schema);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw openError(err, opts.url);
  }
  return { pool, schema };
}

/**
 * Runs `fn` on a checked-out client between `begin` and COMMIT (ROLLBACK when it throws). pg-pool stops
 * listening for a checked-out client's 'error' (a connection dropping between two statements), which would
 * then crash the process: it is listened to here, the next statement on the client rejects, and the client is
 * discarded rather than returned to the pool.
 */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken ??= e));
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

async function prepareSchema(pool: pg.Pool, name: string, S: string): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil schema ${name}`]);
    const tables = (await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [name])).rows.map(
      (r) => r.table_name,
    );
    let version = 0;
    if (tables.includes('vigil_schema')) {
      version = Number((await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${S}.vigil_schema`)).rows[0]?.v ?? 0);
      if (version < MIGRATIONS[0]!.version) {
        throw new StoreError('STORE_IO', `PostgreSQL schema "${name}" is at version ${version}, older than any this vigil migrates (${MIGRATIONS[0]!.version}..${SCHEMA_VERSION})`);
      }
    } else if (tables.length > 0) {
      throw new StoreError('STORE_IO', `PostgreSQL schema "${name}" holds tables (${tables.slice(0, 5).join(', ')}) but no vigil_schema: it is not vigil's; choose another store.postgres.schema`);
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError('STORE_IO', `PostgreSQL schema "${name}" is at version ${version}, newer than this vigil (${SCHEMA_VERSION}): upgrade vigil`);
    }
    if (version === 0) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
      await client.query(`CREATE TABLE ${S}.vigil_schema (version integer PRIMARY KEY, name text NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue;
      await client.query(m.up(S));
      await client.query(`INSERT INTO ${S}.vigil_schema (version, name) VALUES ($1, $2)`, [m.version, m.name]);
    }
  });
}
