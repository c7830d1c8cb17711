/**
 * Connections to a branch or the source that are always released (the tunnel on vers), whatever
 * `fn` does. They live beside the backends because they speak the Backend interface; the pg-only
 * helpers (`withClient`, `withTransaction`) are in src/util/pg.ts.
 */
import type pg from 'pg';
import { withClient } from '../util/pg.js';
import type { Backend, BranchConnection, BranchRole } from './backend.js';

export interface BranchClientOptions {
  /** Who to log in as (default: the branch's owner). */
  as?: BranchRole;
  /** application_name of the pg session. */
  applicationName?: string;
}

/** Connect to a branch, run `fn`, and close the connection. */
export async function withBranch<T>(
  backend: Backend,
  branch: string,
  fn: (conn: BranchConnection) => Promise<T>,
  options: { as?: BranchRole } = {},
): Promise<T> {
  const conn = await backend.connect(branch, options.as ? { as: options.as } : undefined);
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

/** withBranch with a pg session on the branch, ended before the connection closes. */
export function withBranchClient<T>(
  backend: Backend,
  branch: string,
  fn: (client: pg.Client, conn: BranchConnection) => Promise<T>,
  options: BranchClientOptions = {},
): Promise<T> {
  return withBranch(
    backend,
    branch,
    (conn) => withClient(conn.config, (client) => fn(client, conn), options.applicationName),
    options,
  );
}

/** Connect to the source database, run `fn`, and close the connection. */
export async function withSource<T>(
  backend: Backend,
  fn: (conn: BranchConnection) => Promise<T>,
): Promise<T> {
  const conn = await backend.connectSource();
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}
