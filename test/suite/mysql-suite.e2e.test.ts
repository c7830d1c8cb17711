/**
 * A suite file on MySQL/MariaDB, run by the suite runner on real tool-owned MariaDB servers:
 * `engine: mysql` in the file switches a context made for PostgreSQL to the MySQL backend, the
 * setup's schema and seed SQL files are loaded through the MySQL splitter (a DELIMITER block
 * included), and two strategies (INSTANT add column against ALGORITHM=COPY) come back measured,
 * with engine mysql, a shell validation run with the MySQL environment, and a recommendation.
 * A PostgreSQL-only option in a MySQL suite is refused, naming the suite and the option, before
 * any checkpoint exists.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../../src/core/context.js';
import { stopSource } from '../../src/engines/mysql/local-source.js';
import { InvalidInputError } from '../../src/errors.js';
import { runSuite } from '../../src/suite/runner.js';
import { mariadbAvailable, noteSkipped } from '../helpers/mariadb.js';

noteSkipped('the MySQL suite tests');

const ROWS = 100_000;

const SCHEMA_SQL = `CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, qty INT NOT NULL);
DELIMITER //
CREATE TRIGGER items_qty BEFORE INSERT ON items FOR EACH ROW
BEGIN
  IF NEW.qty < 0 THEN SET NEW.qty = 0; END IF;
END//
DELIMITER ;
`;
const SEED_SQL = `INSERT INTO items SELECT seq, CONCAT('item ', seq), seq % 97 FROM seq_1_to_${ROWS};\n`;

const SUITE_YAML = `name: mysql-suite
engine: mysql
tests:
  add-note:
    setup:
      - schema.sql
      - seed.sql
    checkpoint: items-loaded
    branches:
      - name: instant
        migration: instant.sql
        validation: test "$(mariadb -u "$MYSQL_USER" -N -B -e 'SELECT COUNT(*) FROM items' "$MYSQL_DATABASE")" = ${ROWS}
      - name: copy
        migration: copy.sql
`;

describe.skipIf(!mariadbAvailable)('suites on MySQL', () => {
  let dir: string;
  let state: string;
  let ctx: Context;
  let mysqlCtx: Context;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-suite-'));
    await chmod(dir, 0o755); // the mysql OS user and the shell steps' user (tests run as root in CI) enter it
    state = join(dir, 'state');
    const suiteDir = join(dir, 'suite');
    await mkdir(suiteDir, { mode: 0o755 });
    await chmod(suiteDir, 0o755);
    await writeFile(join(suiteDir, 'schema.sql'), SCHEMA_SQL);
    await writeFile(join(suiteDir, 'seed.sql'), SEED_SQL);
    await writeFile(
      join(suiteDir, 'instant.sql'),
      'ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL, ALGORITHM=INSTANT;\n',
    );
    await writeFile(
      join(suiteDir, 'copy.sql'),
      'ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL, ALGORITHM=COPY;\n',
    );
    await writeFile(join(suiteDir, 'vers-integration.yaml'), SUITE_YAML);
    await writeFile(
      join(suiteDir, 'pg-only.yaml'),
      `${SUITE_YAML.replace('name: mysql-suite', 'name: pg-only').replace('items-loaded', 'pg-only-base')}    deploy:\n      lock_timeout_ms: 2000\n`,
    );
    await writeFile(
      join(suiteDir, 'etl.yaml'),
      'engine: mysql\ntests:\n  load:\n    branches:\n      - name: job\n        command: echo done\n',
    );
    const env: NodeJS.ProcessEnv = { ...process.env, VERS_DB_HOME: state };
    delete env.DATABASE_URL;
    delete env.VERS_DB_ENGINE;
    // A context made for PostgreSQL: the suite file's `engine: mysql` decides.
    ctx = createContext({ env, cwd: suiteDir, backend: 'local', log: () => {} });
    mysqlCtx = createContext({ env, cwd: suiteDir, backend: 'local', engine: 'mysql', log: () => {} });
  }, 60_000);

  afterAll(async () => {
    // Nothing made (only the refusals ran): nothing to clean up (gc and stopSource on a state
    // directory the MySQL backend never initialised wait about 3 minutes, for their source lock).
    const reg = await mysqlCtx.registry.read();
    const made = Object.keys(reg.branches).length + Object.keys(reg.checkpoints).length > 0;
    const backend = made ? await mysqlCtx.backend().catch(() => null) : null;
    for (const name of Object.keys(reg.branches)) {
      await backend?.destroy(name).catch(() => undefined);
    }
    await backend?.gc().catch(() => undefined);
    await mysqlCtx?.close();
    await ctx?.close();
    if (state && existsSync(join(state, 'mysql'))) await stopSource(state).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses a PostgreSQL-only option in a MySQL suite before anything is made', async () => {
    const err = await runSuite(ctx, { file: 'pg-only.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(
      /tests\.add-note\.deploy: the deploy rehearsal is PostgreSQL-only/,
    );
    await expect(runSuite(ctx, { file: 'etl.yaml' })).rejects.toThrow(
      /tests\.load: the etl pattern is PostgreSQL-only/,
    );
    const reg = await ctx.registry.read();
    expect(Object.keys(reg.checkpoints)).toEqual([]);
    expect(Object.keys(reg.branches)).toEqual([]);
  });

  it('refuses an --engine that contradicts the file', async () => {
    await expect(runSuite(ctx, { engine: 'postgres' })).rejects.toThrow(/says engine: mysql/);
  });

  it('runs setup, checkpoint and both strategies on MariaDB, and recommends INSTANT', async () => {
    const run = await runSuite(ctx, {});
    expect(run.checkpoints.map((c) => c.name)).toEqual(['items-loaded']);
    expect(await ctx.registry.checkpoint('items-loaded')).toMatchObject({ engine: 'mysql', state: 'ready' });
    const [suite] = run.suites;
    expect(suite?.failures).toEqual([]);
    expect(suite?.passed).toBe(true);
    const c = suite!.comparison;
    expect(c.engine).toBe('mysql');
    expect(c.results.map((r) => [r.name, r.engine, r.status])).toEqual([
      ['instant', 'mysql', 'passed'],
      ['copy', 'mysql', 'passed'],
    ]);
    expect(c.results[0]!.validation).toMatchObject({ status: 'passed' });
    expect(c.recommendation?.name).toBe('instant');
    expect(run.passed).toBe(true);

    // A second run rebuilds the source it made (the registry records it), rather than refusing.
    const again = await runSuite(ctx, {});
    expect(again.suites[0]?.passed).toBe(true);
  }, 600_000);
});
