/**
 * What a database holds, as a list of object identities ("table public.users", "function
 * public.f(integer)", "extension pgcrypto"), so vers-db can tell what its own setup created
 * from what a user added since. Objects made by initdb, extension members and objects that
 * belong to another object (indexes, row types, a serial's sequence) are left out.
 */
import { type ClientConfig, withClient } from '../util/pg.js';

/** FirstNormalObjectId: everything below it comes with the server (the public schema, plpgsql). */
const INVENTORY_SQL = `
  WITH objs(classid, objid, nsp) AS (
    SELECT 'pg_namespace'::regclass, n.oid, n.oid FROM pg_namespace n
    UNION ALL SELECT 'pg_class'::regclass, c.oid, c.relnamespace FROM pg_class c
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c', 'S')
    UNION ALL SELECT 'pg_proc'::regclass, p.oid, p.pronamespace FROM pg_proc p
    UNION ALL SELECT 'pg_type'::regclass, t.oid, t.typnamespace FROM pg_type t
      WHERE t.typtype IN ('b', 'd', 'e', 'r') AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
    UNION ALL SELECT 'pg_extension'::regclass, x.oid, x.extnamespace FROM pg_extension x
  )
  SELECT i.type || ' ' || i.identity AS object
  FROM objs o
  JOIN pg_namespace ns ON ns.oid = o.nsp
  CROSS JOIN LATERAL pg_identify_object(o.classid, o.objid, 0) i
  WHERE o.objid >= 16384
    AND ns.nspname NOT IN ('pg_catalog', 'information_schema')
    AND ns.nspname NOT LIKE 'pg\\_toast%' AND ns.nspname NOT LIKE 'pg\\_temp\\_%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.classid AND d.objid = o.objid
                    AND d.deptype IN ('e', 'i', 'a'))
  ORDER BY 1`;

export async function databaseInventory(config: ClientConfig): Promise<string[]> {
  return withClient(
    config,
    async (c) => (await c.query<{ object: string }>(INVENTORY_SQL)).rows.map((r) => r.object),
    'vers-db:inventory',
  );
}

/** Objects in `now` that `recorded` does not list: what someone else added. */
export function addedObjects(recorded: readonly string[], now: readonly string[]): string[] {
  const known = new Set(recorded);
  return now.filter((o) => !known.has(o));
}
