/**
 * The read-only role of the vers backend. A VM is a copy of the base VM, roles included, so the
 * role made in the base VM before each checkpoint exists in every branch VM of it: connections
 * `as: 'reader'` log in as it. It can read everything (pg_read_all_data, PostgreSQL 14+; SELECT
 * on the source database's tables before that) and its sessions start read-only.
 */
import { type ClientConfig, quoteIdent, withClient } from '../util/pg.js';

export const VERS_READER_ROLE = 'vers_db_reader';

const SERVER_VERSION_SQL = `SELECT current_setting('server_version_num')::int AS v`;
const ROLE_EXISTS_SQL = 'SELECT 1 FROM pg_roles WHERE rolname = $1';
const USER_SCHEMAS_SQL = `SELECT nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'`;
const role = quoteIdent(VERS_READER_ROLE);
/** SQLSTATE 42710: the role exists already. */
const DUPLICATE_OBJECT = '42710';

/** Make (or refresh) the reader role, with `password`, in the server `source` is a database of. */
export async function ensureReaderRole(source: ClientConfig, password: string): Promise<void> {
  await withClient(source, async (c) => {
    if ((await c.query(ROLE_EXISTS_SQL, [VERS_READER_ROLE])).rowCount === 0) {
      // Another checkpoint of the same VM may make it at the same moment.
      await c.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE`).catch((err: unknown) => {
        if ((err as { code?: string }).code !== DUPLICATE_OBJECT) throw err;
      });
    }
    await c.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${c.escapeLiteral(password)}`);
    await c.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
    const { v } = (await c.query<{ v: number }>(SERVER_VERSION_SQL)).rows[0]!;
    if (v >= 140000) {
      await c.query(`GRANT pg_read_all_data TO ${role}`);
      return;
    }
    for (const { nspname } of (await c.query<{ nspname: string }>(USER_SCHEMAS_SQL)).rows) {
      await c.query(`GRANT USAGE ON SCHEMA ${quoteIdent(nspname)} TO ${role}`);
      await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(nspname)} TO ${role}`);
    }
  });
}
