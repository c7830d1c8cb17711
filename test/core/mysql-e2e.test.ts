/**
 * The core on MySQL end to end, on real MariaDB servers of the local MySQL backend: checkpoint a
 * tool-owned source with data, test an ALGORITHM=INSTANT add column against an ALGORITHM=COPY
 * column change (results with engine mysql; the COPY one blocks writes and is ranked below),
 * the checkpoint verified untouched after the run (and found changed when it was), compare the
 * two kept branches, the application workload catching a copy-and-swap that drops writes. Options
 * the MySQL collector does not have are refused before any branch.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSource } from '../../src/backends/with-branch.js';
import { createCheckpoint } from '../../src/core/checkpoint.js';
import { failIfCheckpointChanged } from '../../src/core/checkpoint-guard.js';
import { compareBranches } from '../../src/core/compare.js';
import { type Context, createContext } from '../../src/core/context.js';
import { mysqlSettingsOf } from '../../src/core/engine-of.js';
import { verifyMysqlCheckpoint } from '../../src/core/mysql-checkpoint.js';
import { testStrategies } from '../../src/core/test.js';
import { withMysql } from '../../src/engines/mysql/client.js';
import { serverRoot } from '../../src/engines/mysql/local-layout.js';
import { startServer, stopServer } from '../../src/engines/mysql/server.js';
import { InvalidInputError } from '../../src/errors.js';
import type { StrategyResult } from '../../src/result.js';
import { mariadbAvailable, noteSkipped, useMysqlProject } from '../helpers/mariadb.js';

noteSkipped('the core MySQL end-to-end tests');

const ROWS = 200_000;
const INSTANT = 'ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL, ALGORITHM=INSTANT';
const COPY = 'ALTER TABLE items MODIFY label VARCHAR(80) NOT NULL, ALGORITHM=COPY';

describe.skipIf(!mariadbAvailable)('core on MySQL', () => {
  const project = useMysqlProject('core');
  let dir: string;
  let state: string;
  let ctx: Context;

  beforeAll(async () => {
    ({ dir, state } = project());
    ctx = createContext({ env: project().env, cwd: dir, backend: 'local', engine: 'mysql', log: () => {} });
    await withSource(await ctx.backend(), (src) =>
      withMysql(mysqlSettingsOf(src), async (c) => {
        await c.query(
          'CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, qty INT NOT NULL)',
        );
        await c.query(`INSERT INTO items SELECT seq, CONCAT('item ', seq), seq % 97 FROM seq_1_to_${ROWS}`);
        await c.query('CREATE TABLE other (id INT PRIMARY KEY)');
        await c.query('INSERT INTO other VALUES (1), (2), (3)');
      }),
    );
  }, 120_000);

  afterAll(async () => {
    // The kept branches' servers are stopped with them (gc leaves kept branches alone).
    const backend = await ctx?.backend();
    for (const name of Object.keys((await ctx.registry.read()).branches)) {
      await backend?.destroy(name).catch(() => undefined);
    }
    await backend?.gc().catch(() => undefined);
    await ctx?.close();
  });

  it('checkpoints with exact counts and checksums recorded', async () => {
    const report = await createCheckpoint(ctx, { tag: 'base' });
    expect(report).toMatchObject({ status: 'checkpoint_created', tag: 'base', engine: 'mysql' });
    expect(report.tables).toEqual([
      { relation: 'app.items', rows: ROWS, total_bytes: expect.any(Number) },
      { relation: 'app.other', rows: 3, total_bytes: expect.any(Number) },
    ]);
    expect(await ctx.registry.checkpoint('base')).toMatchObject({ state: 'ready', engine: 'mysql' });
    expect(await verifyMysqlCheckpoint(ctx, await ctx.backend(), 'base')).toEqual([]);
  }, 180_000);

  it('refuses what only PostgreSQL has, before any branch is made', async () => {
    const before = Object.keys((await ctx.registry.read()).branches).length;
    await expect(
      testStrategies(ctx, {
        baseline: 'base',
        migrations: [{ migration: INSTANT }],
        deploy: { lockTimeoutMs: 100 },
      }),
    ).rejects.toThrow(/PostgreSQL-only/);
    await expect(
      testStrategies(ctx, { baseline: 'base', migrations: [{ migration: 'echo hi', kind: 'command' }] }),
    ).rejects.toThrow(InvalidInputError);
    await expect(
      testStrategies(ctx, { baseline: 'base', engine: 'postgres', migrations: [{ migration: INSTANT }] }),
    ).rejects.toThrow(/MySQL\/MariaDB, not PostgreSQL/);
    expect(Object.keys((await ctx.registry.read()).branches).length).toBe(before);
  });

  let results: StrategyResult[] = [];

  it('tests INSTANT against COPY: COPY blocks writes and is ranked below; the checkpoint is untouched', async () => {
    const c = await testStrategies(ctx, {
      baseline: 'base',
      migrations: [
        { name: 'copy', migration: COPY },
        { name: 'instant', migration: INSTANT },
      ],
      keepBranches: true,
    });
    results = c.results;
    expect(c.engine).toBe('mysql');
    const copy = c.results.find((r) => r.name === 'copy')!;
    const instant = c.results.find((r) => r.name === 'instant')!;
    for (const r of [copy, instant]) {
      expect(r).toMatchObject({ engine: 'mysql', status: 'passed', error: null });
      expect(r.integrity.ok).toBe(true);
      expect(r.integrity.row_counts['app.items']).toEqual({ before: ROWS, after: ROWS });
      expect(r.bloat.tables.every((t) => t.dead_tuples === null)).toBe(true);
      expect(r.sandbox?.warnings).toEqual([]);
    }
    expect(copy.rewrites).toEqual(['app.items']);
    expect(instant.rewrites).toEqual([]);
    // Measured by the probes: the COPY held writes for most of its run, INSTANT for none of note.
    expect(copy.blocking.writes.max_wait_ms).toBeGreaterThan(100);
    expect(instant.blocking.writes.max_wait_ms).toBeLessThan(copy.blocking.writes.max_wait_ms);
    expect(c.recommendation?.name).toBe('instant');
    expect(c.recommendation?.reasons.join(' ')).toMatch(/copy blocked writes/);
    // InnoDB counts no dead rows: the reasons speak of growth, not of vacuum.
    expect(c.recommendation?.reasons.at(-1)).toMatch(/^grew (no table|app\.items by \d)/);
    // Verified after the run: not damaged, and a verification now finds nothing either.
    expect((await ctx.registry.checkpoint('base'))?.damaged).toBeUndefined();
    expect(await verifyMysqlCheckpoint(ctx, await ctx.backend(), 'base')).toEqual([]);
    console.error(
      `INSTANT: ${instant.duration_ms} ms, writes waited ${instant.blocking.writes.max_wait_ms} ms; ` +
        `COPY: ${copy.duration_ms} ms, writes waited ${copy.blocking.writes.max_wait_ms} ms`,
    );
  }, 300_000);

  it('compares the kept branches: counts, schema differences and a read-only query', async () => {
    const [copy, instant] = ['copy', 'instant'].map((n) => results.find((r) => r.name === n)!.branch);
    const cmp = await compareBranches(ctx, {
      branches: [copy!, instant!],
      query: 'SELECT COUNT(*) AS n, MAX(CHAR_LENGTH(label)) AS longest FROM items',
    });
    expect(cmp.engine).toBe('mysql');
    expect(cmp.row_counts['app.items']).toEqual({ 'checkpoint:base': ROWS, [copy!]: ROWS, [instant!]: ROWS });
    expect(cmp.schema_differences[copy!]).toEqual([
      '~ column app.items.label: type varchar(40) -> varchar(80)',
    ]);
    expect(cmp.schema_differences[instant!]).toEqual([
      '+ column app.items.note varchar(20) NULL DEFAULT NULL',
    ]);
    expect(cmp.query_results[copy!]).toMatchObject({
      rows: [{ n: String(ROWS), longest: '11' }],
      error: null,
    });
    await expect(compareBranches(ctx, { branches: [copy!], query: 'DELETE FROM items' })).rejects.toThrow(
      /must only read/,
    );
  }, 120_000);

  it('runs the application workload on MySQL: a copy-and-swap that drops the writes made meanwhile is rejected', async () => {
    // Sign-ups with fresh ids while the migration copies, pauses and swaps: the rows written to
    // items after the copy read it stay in items_old, and the core reports them missing.
    await writeFile(
      join(dir, 'app.sql'),
      [
        '-- @rate 100',
        '-- @baseline 400',
        '-- @after 300',
        '-- @name sign-up',
        '-- @commit',
        '-- @param $1 fresh int items(id)',
        "INSERT INTO items (id, label, qty) VALUES ($1, 'new', 1) RETURNING id;",
        '',
      ].join('\n'),
    );
    const swap = [
      'CREATE TABLE items_new LIKE items;',
      'INSERT INTO items_new SELECT * FROM items;',
      'DO SLEEP(1);',
      'RENAME TABLE items TO items_old, items_new TO items;',
    ].join('\n');
    const c = await testStrategies(ctx, {
      baseline: 'base',
      migrations: [{ name: 'swap', migration: swap }],
      workload: { file: 'app.sql' },
    });
    const r = c.results[0]!;
    expect(r.engine).toBe('mysql');
    expect(r.workload?.writes.committed_during_migration).toBeGreaterThan(0);
    expect(r.workload?.writes.missing).toBeGreaterThan(0);
    expect(r.workload?.writes.found_in['app.items_old']).toBe(r.workload?.writes.missing);
    expect(r.integrity.ok).toBe(false);
    expect(c.recommendation).toBeNull();
    expect(c.rejected).toEqual([{ name: 'swap', reason: expect.stringMatching(/^integrity: /) }]);
  }, 300_000);

  it('finds a changed checkpoint: the run fails and the checkpoint is marked damaged', async () => {
    const root = serverRoot(state, 'ckpt', 'base');
    const server = await startServer(root);
    try {
      await withMysql({ ...server.settings, database: 'app' }, (c) =>
        c.query('UPDATE other SET id = 4 WHERE id = 3'),
      );
    } finally {
      await stopServer(root);
    }
    const r = [{ ...results[0]!, status: 'passed' as const, integrity: { ...results[0]!.integrity } }];
    await failIfCheckpointChanged(ctx, await ctx.backend(), 'base', r);
    expect(r[0]).toMatchObject({ status: 'failed' });
    expect(r[0]!.error).toMatch(
      /the checkpoint changed during the run: checkpoint base: the data of app.other changed/,
    );
    expect((await ctx.registry.checkpoint('base'))?.damaged).toMatch(/app.other/);
  }, 120_000);
});
