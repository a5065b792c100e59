import { openPool, type PoolOptions } from './connection.js';
import { PostgresStateStore, type StateStoreOptions } from './state-store.js';

export type ControlPlaneOptions = PoolOptions & StateStoreOptions;

/**
 * Opens the control plane: connects to PostgreSQL, creates or checks vigil's schema (see connection.ts for
 * the errors), and returns the StateStore every node of a cluster shares.
 */
export async function openControlPlane(opts: ControlPlaneOptions): Promise<PostgresStateStore> {
  const { pool, schema } = await openPool(opts);
  return new PostgresStateStore(pool, schema, opts);
}
