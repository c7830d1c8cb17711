/**
 * Branch sandboxes for the local backend (issue 10). A branch is owned by a role of its own that
 * is no superuser and cannot create databases or roles; migrations and validations connect as
 * that role, comparison queries as a second role that can only read the branch. Objects that
 * belong to a superuser in the source are handed, object by object, to a NOLOGIN role of the
 * checkpoint when it is made (recorded), and each branch takes them over with REASSIGN OWNED
 * (safe: that role owns nothing outside the checkpoint and its copies).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { tableChecksumsAndCounts } from '../collector/snapshot.js';
import { type ClientConfig, type PgClient, quoteIdent, withClient, withDatabase } from '../util/pg.js';
import { addSecret } from '../util/secrets.js';

/** What a superuser owned in the source and a non-superuser role owns in the checkpoint. */
export interface ReownedObject {
  type: string;
  object: string;
  from: string;
}

export interface ReownReport {
  /** Objects taken from a superuser (recorded with the checkpoint). */
  fromSuperuser: ReownedObject[];
  /** How many objects changed owner in all. */
  count: number;
  /** Objects that could not be re-owned, with the reason. */
  failed: string[];
}

const IS_SUPERUSER_SQL = 'SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user';
const ROLE_EXISTS_SQL = 'SELECT 1 FROM pg_roles WHERE rolname = $1';
const ROLES_WITH_PREFIX_SQL = 'SELECT rolname FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY 1';
/** Databases where a role still owns something or holds a privilege (DROP ROLE refuses then). */
const ROLE_DATABASES_SQL = `
  SELECT DISTINCT d.datname FROM pg_shdepend s JOIN pg_database d ON d.oid = s.dbid
  WHERE s.refclassid = 'pg_authid'::regclass AND s.refobjid = (SELECT oid FROM pg_roles WHERE rolname = $1)
    AND d.datallowconn`;
const USER_SCHEMAS_SQL = `
  SELECT nspname FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%'
    AND nspname NOT LIKE 'pg\\_temp\\_%' ORDER BY 1`;

/**
 * Every object in the database's own schemas that `$1` does not own, with a SQL-ready identity
 * (quoted by PostgreSQL's pg_identify_object). Extension members and objects that belong to
 * another object (a table's row type, a serial's sequence, a range's constructors) are left out:
 * their owner follows their parent.
 */
const FOREIGN_OWNED_SQL = `
  WITH objs(classid, objid, owner, nsp) AS (
    SELECT 'pg_namespace'::regclass, n.oid, n.nspowner, n.oid FROM pg_namespace n
    UNION ALL SELECT 'pg_class'::regclass, c.oid, c.relowner, c.relnamespace FROM pg_class c
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c', 'S')
        AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                 AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'))
    UNION ALL SELECT 'pg_proc'::regclass, p.oid, p.proowner, p.pronamespace FROM pg_proc p
    UNION ALL SELECT 'pg_type'::regclass, t.oid, t.typowner, t.typnamespace FROM pg_type t
      WHERE t.typtype IN ('b', 'd', 'e', 'r') AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
    UNION ALL SELECT 'pg_collation'::regclass, oid, collowner, collnamespace FROM pg_collation
    UNION ALL SELECT 'pg_conversion'::regclass, oid, conowner, connamespace FROM pg_conversion
    UNION ALL SELECT 'pg_ts_config'::regclass, oid, cfgowner, cfgnamespace FROM pg_ts_config
    UNION ALL SELECT 'pg_ts_dict'::regclass, oid, dictowner, dictnamespace FROM pg_ts_dict
    UNION ALL SELECT 'pg_operator'::regclass, oid, oprowner, oprnamespace FROM pg_operator
    UNION ALL SELECT 'pg_opfamily'::regclass, oid, opfowner, opfnamespace FROM pg_opfamily
    UNION ALL SELECT 'pg_opclass'::regclass, oid, opcowner, opcnamespace FROM pg_opclass
    UNION ALL SELECT 'pg_statistic_ext'::regclass, oid, stxowner, stxnamespace FROM pg_statistic_ext
  )
  SELECT i.type, i.identity, r.rolname AS owner, r.rolsuper AS superuser
  FROM objs o
  JOIN pg_namespace ns ON ns.oid = o.nsp
  JOIN pg_roles r ON r.oid = o.owner
  CROSS JOIN LATERAL pg_identify_object(o.classid, o.objid, 0) i
  WHERE r.rolname <> $1 AND r.rolname <> 'pg_database_owner'
    AND ns.nspname NOT IN ('pg_catalog', 'information_schema')
    AND ns.nspname NOT LIKE 'pg\\_toast%' AND ns.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.classid AND d.objid = o.objid
                    AND d.deptype IN ('e', 'i')
                    -- a partitioned table depends internally on its own key columns: still re-owned
                    AND NOT (d.refclassid = o.classid AND d.refobjid = o.objid))
  ORDER BY o.classid::oid, i.identity`;

/** pg_identify_object's type → the ALTER command that changes its owner. */
const ALTER_KEYWORD: Record<string, string> = {
  schema: 'SCHEMA',
  table: 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
  'foreign table': 'FOREIGN TABLE',
  sequence: 'SEQUENCE',
  'composite type': 'TYPE',
  type: 'TYPE',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  aggregate: 'AGGREGATE',
  collation: 'COLLATION',
  conversion: 'CONVERSION',
  'text search configuration': 'TEXT SEARCH CONFIGURATION',
  'text search dictionary': 'TEXT SEARCH DICTIONARY',
  operator: 'OPERATOR',
  'operator class': 'OPERATOR CLASS',
  'operator family': 'OPERATOR FAMILY',
  'statistics object': 'STATISTICS',
};

/**
 * The rights a sandbox role never has: no superuser, no new databases or roles, no replication.
 * INHERIT: its only memberships are pg_stat_scan_tables (granted below) and, as the database's
 * owner, pg_database_owner — which owns `public` on PostgreSQL ≥ 15; NOINHERIT there made every
 * CREATE TABLE in a branch fail with "permission denied for schema public" on 15.
 */
const LOGIN_ROLE_OPTIONS = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';
const OWNER_ROLE_OPTIONS = 'NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT';

export const newRolePassword = (): string => {
  const password = randomBytes(18).toString('hex');
  addSecret(password); // never printed, logged or reported
  return password;
};

export async function isSuperuser(config: ClientConfig): Promise<boolean> {
  return withClient(config, async (c) =>
    Boolean((await c.query<{ su: boolean }>(IS_SUPERUSER_SQL)).rows[0]?.su),
  );
}

/** A fresh role (a leftover of the same name, from a crash, is dropped first). */
export async function createRole(admin: ClientConfig, role: string, password: string | null): Promise<void> {
  await dropRoles(admin, [role]);
  const options = password === null ? OWNER_ROLE_OPTIONS : LOGIN_ROLE_OPTIONS;
  const pw = password === null ? '' : ` PASSWORD ${pg.escapeLiteral(password)}`;
  await withClient(admin, async (c) => {
    await c.query(`CREATE ROLE ${quoteIdent(role)} ${options}${pw}`);
    // Statistics functions on its own tables (pgstattuple_approx for dead tuples): read-only, no files, no signals.
    if (password !== null) await c.query(`GRANT pg_stat_scan_tables TO ${quoteIdent(role)}`);
  });
}

/** Give every object `role` does not own to `role`, one ALTER … OWNER TO at a time. */
export async function reownObjects(c: PgClient, role: string): Promise<ReownReport> {
  const report: ReownReport = { fromSuperuser: [], count: 0, failed: [] };
  const { rows } = await c.query<{ type: string; identity: string; owner: string; superuser: boolean }>(
    FOREIGN_OWNED_SQL,
    [role],
  );
  for (const o of rows) {
    const keyword = ALTER_KEYWORD[o.type];
    if (!keyword) {
      report.failed.push(`${o.type} ${o.identity} (owned by ${o.owner}): no ALTER … OWNER for this kind`);
      continue;
    }
    try {
      // The identity comes from pg_identify_object, which quotes every name in it.
      await c.query(`ALTER ${keyword} ${o.identity} OWNER TO ${quoteIdent(role)}`);
      report.count++;
      if (o.superuser) report.fromSuperuser.push({ type: o.type, object: o.identity, from: o.owner });
    } catch (err) {
      report.failed.push(`${o.type} ${o.identity} (owned by ${o.owner}): ${(err as Error).message}`);
    }
  }
  return report;
}

/**
 * Turn a fresh copy of a checkpoint into a sandbox: the owner role owns the database and every
 * object in it, nobody else may connect except the reader.
 */
export async function sealBranch(
  admin: ClientConfig,
  database: string,
  roles: { owner: string; reader: string; checkpointOwner: string | null },
): Promise<ReownReport> {
  const db = quoteIdent(database);
  await withClient(admin, async (c) => {
    await c.query(`ALTER DATABASE ${db} OWNER TO ${quoteIdent(roles.owner)}`);
    await c.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await c.query(`GRANT CONNECT ON DATABASE ${db} TO ${quoteIdent(roles.reader)}`);
  });
  return withClient(withDatabase(admin, database), async (c) => {
    if (roles.checkpointOwner && (await c.query(ROLE_EXISTS_SQL, [roles.checkpointOwner])).rowCount === 1) {
      await c.query(`REASSIGN OWNED BY ${quoteIdent(roles.checkpointOwner)} TO ${quoteIdent(roles.owner)}`);
    }
    // Whatever is still someone else's (a checkpoint made before sandboxes, a failed re-own).
    return reownObjects(c, roles.owner);
  });
}

/** Let the reader see everything in the branch as it is now (tables a migration just made included). */
export async function grantReader(admin: ClientConfig, database: string, reader: string): Promise<void> {
  await withClient(withDatabase(admin, database), async (c) => {
    const schemas = (await c.query<{ nspname: string }>(USER_SCHEMAS_SQL)).rows.map((r) =>
      quoteIdent(r.nspname),
    );
    if (schemas.length === 0) return;
    const list = schemas.join(', ');
    const who = quoteIdent(reader);
    await c.query(`GRANT USAGE ON SCHEMA ${list} TO ${who}`);
    await c.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${list} TO ${who}`);
    await c.query(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA ${list} TO ${who}`);
  });
}

/**
 * Drop roles (missing ones are fine). A role that still owns something or holds a privilege in
 * a database that still exists (a sandbox role that made a table in `postgres` on PostgreSQL
 * 14) has those dropped there first: they are the sandbox's own.
 */
export async function dropRoles(admin: ClientConfig, roles: readonly string[]): Promise<void> {
  for (const role of roles) {
    await withClient(admin, async (c) => {
      if ((await c.query(ROLE_EXISTS_SQL, [role])).rowCount === 0) return;
      const dbs = (await c.query<{ datname: string }>(ROLE_DATABASES_SQL, [role])).rows.map((r) => r.datname);
      for (const db of dbs) {
        await withClient(withDatabase(admin, db), (d) => d.query(`DROP OWNED BY ${quoteIdent(role)}`));
      }
      await c.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    });
  }
}

export async function rolesWithPrefix(admin: ClientConfig, prefix: string): Promise<string[]> {
  return withClient(admin, async (c) =>
    (await c.query<{ rolname: string }>(ROLES_WITH_PREFIX_SQL, [prefix])).rows.map((r) => r.rolname),
  );
}

/**
 * Before a checkpoint becomes a template: its objects go to its NOLOGIN `owner` role (those a
 * superuser owned are recorded), nobody but the server user may connect to it, and its
 * per-table checksums are taken, to be checked after every run.
 */
export async function sealCheckpoint(
  admin: ClientConfig,
  database: string,
  owner: string | undefined,
  log: (message: string) => void,
): Promise<{
  owner?: string;
  reowned?: ReownedObject[];
  checksums: Record<string, string>;
  rowCounts: Record<string, number>;
}> {
  if (owner) await createRole(admin, owner, null);
  await withClient(admin, (c) => c.query(`REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`));
  return withClient(
    withDatabase(admin, database),
    async (c) => {
      let reowned: ReownedObject[] | undefined;
      if (owner) {
        const r = await reownObjects(c, owner);
        reowned = r.fromSuperuser;
        for (const f of r.failed) log(`could not re-own ${f}`);
      }
      return { owner, reowned, ...(await tableChecksumsAndCounts(c)) };
    },
    'vers-db:checkpoint',
  );
}

/** gc: drop the roles with `prefix` that nothing in the registry holds (leftovers of a crash). */
export async function dropUnknownRoles(
  admin: ClientConfig,
  prefix: string,
  known: Set<string>,
  report: { removed: string[]; errors: string[] },
): Promise<void> {
  for (const role of await rolesWithPrefix(admin, prefix)) {
    if (known.has(role)) continue;
    try {
      await dropRoles(admin, [role]);
      report.removed.push(`unregistered role ${role}`);
    } catch (err) {
      report.errors.push(`role ${role}: ${(err as Error).message}`);
    }
  }
}
