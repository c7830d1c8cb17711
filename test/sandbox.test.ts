/**
 * Issue 10 part 1, on real PostgreSQL: a branch is a sandbox. Each "Why" bullet of the issue is
 * reproduced — a compare query that runs programs, reads server files and kills sessions; a
 * migration that drops its checkpoint, another database, makes roles and runs ALTER SYSTEM —
 * and must now fail without harm, with the checkpoint verified after the run.
 */
import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBackend } from '../src/backends/local.js';
import { loadParser } from '../src/collector/split.js';
import { compareBranches, createCheckpoint, testMigration, testStrategies } from '../src/core/index.js';
import { outsideBranchWarnings } from '../src/core/outside-branch.js';
import { ConflictError } from '../src/errors.js';
import { renderComparisonMarkdown } from '../src/report/markdown.js';
import { sandboxNotes } from '../src/report/sandbox-notes.js';
import { renderComparisonTable } from '../src/report/table.js';
import { connect, quoteIdent, withClient } from '../src/util/pg.js';
import { adminConfig, uniqueName } from './helpers/db.js';
import { createProject, type TestProject } from './helpers/project.js';

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
  INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 2000) g;
  CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM users';
  CREATE TYPE mood AS ENUM ('ok', 'sad');
  CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
  CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
  INSERT INTO events VALUES (1, '2026-05-01');`;

const PRIVILEGED_ROLES = [
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_signal_backend',
];

async function rolesOf(instance: string): Promise<string[]> {
  return withClient(adminConfig(), async (c) =>
    (
      await c.query<{ r: string }>(
        'SELECT rolname AS r FROM pg_roles WHERE starts_with(rolname, $1) ORDER BY 1',
        [`vdb_${instance}_`],
      )
    ).rows.map((x) => x.r),
  );
}

async function databaseExists(name: string): Promise<boolean> {
  return withClient(
    adminConfig(),
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

/** The SQLSTATE of what `sql` raises on `config`, or null when it succeeds. */
async function sqlstateOf(config: import('pg').ClientConfig, sql: string): Promise<string | null> {
  return withClient(config, async (c) => {
    try {
      await c.query(sql);
      return null;
    } catch (err) {
      return (err as { code?: string }).code ?? 'error';
    }
  });
}

describe('sandboxed branches', () => {
  let p: TestProject;
  let backend: LocalBackend;
  let instance: string;
  const unrelated = uniqueName('unrelated');

  beforeAll(async () => {
    await loadParser();
    p = await createProject(SCHEMA);
    backend = (await p.ctx.backend()) as LocalBackend;
    instance = await p.ctx.registry.instance();
    await createCheckpoint(p.ctx, { tag: 'base' });
    await withClient(adminConfig(), (c) => c.query(`CREATE DATABASE ${quoteIdent(unrelated)}`));
  });

  afterAll(async () => {
    await withClient(adminConfig(), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(unrelated)}`));
    await p.cleanup();
  });

  it('re-owns what a superuser owned in the source, object by object, and records it', async () => {
    const ckpt = await p.ctx.registry.checkpoint('base');
    expect(ckpt?.owner).toBe(`vdb_${instance}_k_base`);
    const objects = ckpt?.reowned?.map((o) => `${o.type} ${o.object}`) ?? [];
    expect(objects).toEqual(
      expect.arrayContaining([
        'table public.users',
        'function public.user_count()',
        'type public.mood',
        // a partitioned table depends on its own key columns; it is re-owned all the same
        'table public.events',
        'table public.events_2026',
      ]),
    );
    expect(new Set(ckpt?.reowned?.map((o) => o.from))).toEqual(new Set([adminConfig().user]));
    expect(Object.keys(ckpt?.checksums ?? {})).toEqual(expect.arrayContaining(['public.users']));
  });

  it("a branch's role reads and writes a partitioned table of the source", async () => {
    const [b] = await backend.branch('base', ['partitioned']);
    const { config, close } = await backend.connect(b!.name);
    try {
      await withClient(config, async (c) => {
        await c.query("INSERT INTO events VALUES (2, '2026-06-01')");
        expect((await c.query('SELECT count(*)::int AS n FROM events')).rows[0].n).toBe(2);
        await c.query('CREATE INDEX ON events (at)');
      });
    } finally {
      await close();
      await backend.destroy(b!.name);
    }
  });

  it("a branch's role owns the branch and its objects, and has no server-wide rights", async () => {
    const [b] = await backend.branch('base', ['owned']);
    const { config } = await backend.connect(b!.name);
    try {
      expect(config.user).toBe(`vdb_${instance}_o_owned`);
      await withClient(config, async (c) => {
        const me = (
          await c.query(
            'SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user',
          )
        ).rows[0];
        expect(me).toEqual({
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
          rolreplication: false,
          rolbypassrls: false,
        });
        for (const role of PRIVILEGED_ROLES) {
          const r = await c.query('SELECT pg_has_role(current_user, $1, $2) AS m', [role, 'MEMBER']);
          expect(r.rows[0].m, role).toBe(false);
        }
        const owners = await c.query(
          `SELECT DISTINCT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relnamespace = 'public'::regnamespace
           UNION SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()
           UNION SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'user_count'`,
        );
        expect(owners.rows.map((r) => r.o)).toEqual([config.user]);
        // It can change what a superuser owned in the source (re-owned at checkpoint time).
        await c.query('ALTER TABLE users ADD COLUMN premium boolean');
        await c.query(
          'CREATE OR REPLACE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$SELECT 0::bigint$$',
        );
      });
      // Everything that reaches outside the branch is refused by the server, not by us.
      const refused = {
        program: await sqlstateOf(config, `COPY (SELECT 1) TO PROGRAM 'id'`),
        file: await sqlstateOf(config, `SELECT pg_read_file('/etc/passwd')`),
        fdw: await sqlstateOf(config, 'CREATE FOREIGN DATA WRAPPER evil'),
        dblink: await sqlstateOf(config, 'CREATE EXTENSION postgres_fdw'),
        role: await sqlstateOf(config, 'CREATE ROLE intruder'),
        system: await sqlstateOf(config, `ALTER SYSTEM SET work_mem = '1GB'`),
        createdb: await sqlstateOf(config, 'CREATE DATABASE another'),
        dropdb: await sqlstateOf(config, `DROP DATABASE ${quoteIdent(unrelated)}`),
        tablespace: await sqlstateOf(config, `CREATE TABLESPACE t LOCATION '/tmp'`),
      };
      for (const [what, code] of Object.entries(refused)) expect(code, what).not.toBeNull();
      // Other branches and the checkpoint do not even accept its connections.
      const [other] = await backend.branch('base', ['neighbour']);
      const err = await connect({ ...config, database: other!.database }).catch((e: Error) => e);
      expect(String(err)).toMatch(/permission denied|not permitted|refused/i);
      await backend.destroy(other!.name);
    } finally {
      await backend.destroy(b!.name);
    }
    // Roles go with their branch.
    expect(await rolesOf(instance)).toEqual([`vdb_${instance}_k_base`]);
  });

  it('compare queries cannot run programs, read server files or kill sessions (Why, bullet 1)', async () => {
    const proof = join(p.dir, 'pwned');
    const victim = await connect(adminConfig(), 'victim');
    const victimPid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const [b] = await backend.branch('base', ['cmp'], { keep: true });
    try {
      const queries = {
        program: `COPY (SELECT 1) TO PROGRAM 'touch ${proof}'`,
        file: `SELECT pg_read_file('/etc/passwd')`,
        kill: `SELECT pg_terminate_backend(${victimPid})`,
      };
      for (const [what, query] of Object.entries(queries)) {
        const r = await compareBranches(p.ctx, { branches: [b!.name], query });
        expect(r.query_results[b!.name]?.error, what).toMatch(/^42501 /);
      }
      expect(existsSync(proof)).toBe(false);
      expect((await victim.query('SELECT 1 AS ok')).rows[0].ok).toBe(1);
      // And it still reads the branch, including a table a migration made after the grant-free copy.
      const owner = await backend.connect(b!.name);
      await withClient(owner.config, (c) => c.query('CREATE TABLE later AS SELECT 1 AS x'));
      const r = await compareBranches(p.ctx, {
        branches: [b!.name],
        query: 'SELECT count(*)::int AS n FROM later',
      });
      expect(r.query_results[b!.name]?.rows).toEqual([{ n: 1 }]);
      expect(r.row_counts['public.users']?.[b!.name]).toBe(2000);
      // Ownership is no schema difference: only the new table is.
      expect(r.schema_differences[b!.name]?.join('\n')).not.toMatch(/owner/i);
    } finally {
      await victim.end();
      await backend.destroy(b!.name);
    }
  });

  it('a migration cannot drop its checkpoint, another database, make roles or ALTER SYSTEM (Why, bullet 2)', async () => {
    const ckptDb = (await p.ctx.registry.checkpoint('base'))!.id;
    const attacks = [
      `ALTER DATABASE ${quoteIdent(ckptDb)} IS_TEMPLATE false;\nDROP DATABASE ${quoteIdent(ckptDb)};`,
      `DROP DATABASE ${quoteIdent(unrelated)};`,
      'CREATE ROLE leaked LOGIN SUPERUSER;',
      `ALTER SYSTEM SET work_mem = '1GB';`,
    ];
    const cmp = await testStrategies(p.ctx, {
      baseline: 'base',
      migrations: attacks.map((sql, i) => ({
        migration: sql,
        name: `attack-${i + 1}`,
        kind: 'sql' as const,
      })),
      collectMetrics: false,
    });
    for (const r of cmp.results) {
      expect(r.status, r.name).toBe('failed');
      expect(r.sandbox?.role).toBe('branch-owner');
      expect(r.sandbox?.warnings.length, r.name).toBeGreaterThan(0);
    }
    expect(cmp.results[0]!.sandbox?.warnings[0]).toMatch(/statement 1 \(line 1\) alters a database/);
    expect(cmp.results[0]!.sandbox?.warnings[1]).toMatch(/statement 2 \(line 2\) drops a database/);
    expect(cmp.results[2]!.sandbox?.warnings).toEqual([
      'statement 1 (line 1) creates a role (roles are server-wide)',
    ]);
    const table = renderComparisonTable(cmp);
    expect(table).toContain('Outside the branch:');
    expect(table).toContain('attack-3: statement 1 (line 1) creates a role (roles are server-wide)');
    expect(renderComparisonMarkdown(cmp)).toContain('**Outside the branch**');
    expect(await databaseExists(ckptDb)).toBe(true);
    expect(await databaseExists(unrelated)).toBe(true);
    expect(
      await withClient(
        adminConfig(),
        async (c) => (await c.query(`SELECT 1 FROM pg_roles WHERE rolname = 'leaked'`)).rowCount,
      ),
    ).toBe(0);
    expect(
      await withClient(adminConfig(), async (c) => (await c.query('SHOW work_mem')).rows[0].work_mem),
    ).not.toBe('1GB');
    expect((await p.ctx.registry.checkpoint('base'))?.damaged).toBeUndefined();
    expect(await backend.verifyCheckpoint('base')).toEqual([]);
    // No role of any strategy is left for the next one.
    expect(await rolesOf(instance)).toEqual([`vdb_${instance}_k_base`]);
  });

  it('superuser only when asked; then a migration that drops the checkpoint fails the run, and the report says so', async () => {
    await createCheckpoint(p.ctx, { tag: 'victim' });
    const ckptDb = (await p.ctx.registry.checkpoint('victim'))!.id;
    const r = await testMigration(p.ctx, {
      baseline: 'victim',
      migration: `ALTER DATABASE ${quoteIdent(ckptDb)} IS_TEMPLATE false;\nDROP DATABASE ${quoteIdent(ckptDb)};`,
      kind: 'sql',
      superuser: true,
      collectMetrics: false,
    });
    expect(r.sandbox?.role).toBe('superuser');
    expect(sandboxNotes([r])[0]).toMatch(/ran as the server's superuser \(asked for with --superuser/);
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(
      /checkpoint changed during the run: checkpoint victim: its database .* no longer exists/,
    );
    expect((await p.ctx.registry.checkpoint('victim'))?.damaged).toMatch(/no longer exists/);
    const list = await import('../src/core/manage.js').then((m) => m.listState(p.ctx));
    expect(list.checkpoints.find((c) => c.tag === 'victim')?.state).toBe('damaged');
    await expect(
      testMigration(p.ctx, { baseline: 'victim', migration: 'SELECT 1', kind: 'sql' }),
    ).rejects.toBeInstanceOf(ConflictError);
    await p.ctx.registry.update((d) => {
      delete d.checkpoints.victim;
    });
  });

  it('changed checkpoint data is caught by its per-table checksums', async () => {
    await createCheckpoint(p.ctx, { tag: 'tamper' });
    const id = (await p.ctx.registry.checkpoint('tamper'))!.id;
    expect(await backend.verifyCheckpoint('tamper')).toEqual([]);
    await withClient(adminConfig(), (c) =>
      c.query(`ALTER DATABASE ${quoteIdent(id)} ALLOW_CONNECTIONS true`),
    );
    await withClient({ ...adminConfig(), database: id }, (c) => c.query('DELETE FROM users WHERE id = 7'));
    await withClient(adminConfig(), (c) =>
      c.query(`ALTER DATABASE ${quoteIdent(id)} ALLOW_CONNECTIONS false`),
    );
    expect(await backend.verifyCheckpoint('tamper')).toEqual([
      'checkpoint tamper: the data of public.users changed',
    ]);
    await backend.deleteCheckpoint('tamper');
  });

  it.runIf(userInfo().uid === 0)(
    'as root, shell steps run as an unprivileged user that sees only the branch',
    async () => {
      await chmod(p.dir, 0o755);
      const r = await testMigration(p.ctx, {
        baseline: 'base',
        migration: 'ALTER TABLE users ADD COLUMN note text',
        kind: 'sql',
        collectMetrics: false,
        validation: `id -u; echo "user=$PGUSER"; env | grep -c -F -e VERS_DB_HOME -e '${String(adminConfig().password)}' || true`,
      });
      const password = String(adminConfig().password);
      expect(r.validation?.output).not.toContain(password);
      const echoed = await testMigration(p.ctx, {
        baseline: 'base',
        migration: 'SELECT 1',
        kind: 'sql',
        collectMetrics: false,
        validation: 'echo "$PGPASSWORD"; echo "$DATABASE_URL"',
      });
      // The branch role's password is a known secret: reports never show it.
      expect(echoed.validation?.output.split('\n')[0]).toBe('***');
      expect(echoed.validation?.output).toMatch(/postgres:\/\/vdb_\w+_o_[\w.-]+:\*\*\*@/);
      const [uid, user, leaked] = r.validation!.output.split('\n');
      expect(uid).toBe('65534');
      expect(user).toBe(`user=vdb_${instance}_o_${r.branch}`);
      expect(leaked).toBe('0');
    },
  );
});

describe('outside-branch warnings (advisory, from the parse tree)', () => {
  beforeAll(() => loadParser());
  it('name statements that reach other databases, roles, settings, tablespaces, files and programs', () => {
    const w = outsideBranchWarnings(
      [
        'ALTER TABLE users ADD COLUMN x int;',
        'SELECT * FROM otherdb.public.t;',
        'GRANT admin TO app;',
        "COPY users TO '/tmp/users.csv';",
        'CREATE INDEX i ON users (id) TABLESPACE fast;',
        "DO $$ BEGIN EXECUTE 'DROP DATABASE x'; END $$;",
        "SELECT pg_read_file('/etc/passwd');",
      ].join('\n'),
    );
    expect(w).toEqual([
      'statement 2 (line 2) names another database (otherdb)',
      'statement 3 (line 3) grants role membership (roles are server-wide)',
      'statement 4 (line 4) reads or writes a server file (/tmp/users.csv)',
      'statement 5 (line 5) uses tablespace fast',
      'statement 6 (line 6) has a DO block: what it EXECUTEs is not checked',
      'statement 7 (line 7) calls pg_read_file()',
    ]);
  });
});
