/** snapshotSchema + diffSchemas on real catalog changes: the lines a reviewer would read. */
import { afterEach, describe, expect, it } from 'vitest';
import { diffSchemas, exactRowCounts, snapshotSchema, tableChecksums } from '../../src/collector/index.js';
import { withClient } from '../../src/util/pg.js';
import { testDatabase, usersTableSql } from './fixtures.js';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

describe('schema snapshots', () => {
  it('describes added, removed and changed objects, and renames', async () => {
    const db = await testDatabase(
      'coll_schema',
      `${usersTableSql(10)}
       CREATE INDEX idx_x ON users (name);
       CREATE TABLE users_v2 (id uuid PRIMARY KEY, email text NOT NULL);`,
    );
    drop = db.drop;
    await withClient(db.config, async (c) => {
      const before = await snapshotSchema(c);
      expect(JSON.parse(JSON.stringify(before))).toEqual(before);
      await c.query(`
        ALTER TABLE users ALTER COLUMN email TYPE varchar(200), ALTER COLUMN name SET NOT NULL,
          ALTER COLUMN created_at DROP DEFAULT, ADD COLUMN premium_level integer NOT NULL DEFAULT 0;
        DROP INDEX idx_x;
        ALTER TABLE users RENAME TO users_old;
        ALTER TABLE users_v2 RENAME TO users;
        CREATE VIEW premium AS SELECT id FROM users_old WHERE premium_level > 0;
        CREATE SEQUENCE invoice_no;
        CREATE FUNCTION add_one(i int) RETURNS int LANGUAGE sql AS 'SELECT i + 1';
        CREATE EXTENSION pgstattuple;`);
      const after = await snapshotSchema(c);
      const lines = diffSchemas(before, after);
      // By name, as the application sees it: "users" is now the old users_v2.
      expect(lines).toEqual(
        expect.arrayContaining([
          '- table public.users_v2',
          '+ table public.users_old (renamed from public.users)',
          '- column public.users.name',
          '- column public.users.created_at',
          '- index public.idx_x',
          '+ view public.premium',
          '+ sequence public.invoice_no bigint INCREMENT 1',
          '+ extension pgstattuple 1.5',
        ]),
      );
      expect(lines).toContain('+ function public.add_one(i integer) returns integer');
      // Functions that belong to an extension change with the extension, not with the migration.
      expect(lines.filter((l) => l.includes('pgstattuple('))).toEqual([]);
      expect(diffSchemas(before, before)).toEqual([]);
    });
  });

  it('reports column type, nullability and default changes on a table kept under its name', async () => {
    const db = await testDatabase('coll_schema2', usersTableSql(10));
    drop = db.drop;
    await withClient(db.config, async (c) => {
      const before = await snapshotSchema(c);
      await c.query(`ALTER TABLE users ALTER COLUMN email TYPE varchar(200), ALTER COLUMN name SET NOT NULL,
                     ALTER COLUMN created_at DROP DEFAULT`);
      expect(diffSchemas(before, await snapshotSchema(c))).toEqual([
        '~ column public.users.created_at: default now() -> none',
        '~ column public.users.email: type text -> character varying(200)',
        '~ column public.users.name: NULL -> NOT NULL',
      ]);
    });
  });
});

describe('row counts and checksums', () => {
  it('counts exactly and fingerprints data independent of physical order', async () => {
    const db = await testDatabase('coll_sums', `${usersTableSql(300)} CREATE TABLE empty_t (x int);`);
    drop = db.drop;
    await withClient(db.config, async (c) => {
      expect(await exactRowCounts(c)).toEqual({ 'public.empty_t': 0, 'public.users': 300 });
      const before = await tableChecksums(c);
      // Same rows, different physical order: same fingerprint.
      await c.query('CLUSTER users USING users_pkey');
      expect(await tableChecksums(c)).toEqual(before);
      await c.query("UPDATE users SET name = 'x' WHERE email = 'user7@example.com'");
      const changed = await tableChecksums(c);
      expect(changed['public.users']).not.toBe(before['public.users']);
      expect(changed['public.empty_t']).toBe(before['public.empty_t']);
    });
  });
});
