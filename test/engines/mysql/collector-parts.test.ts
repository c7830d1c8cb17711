/**
 * The MySQL collector's pure parts: which tables a migration names (those it does not are
 * checksummed), the integrity verdict, schema differences, and naming a wait's cause from sampler
 * runs (a lock the migration held, a queue behind its pending request, a row lock).
 */
import { describe, expect, it } from 'vitest';
import type { RawWait } from '../../../src/collector/probe-stats.js';
import { causeFinder } from '../../../src/engines/mysql/collector/causes.js';
import { integrityOf, type MysqlFacts, namedTables } from '../../../src/engines/mysql/collector/facts.js';
import type { RanStatement } from '../../../src/engines/mysql/collector/runner.js';
import { type MysqlSchema, schemaChanges } from '../../../src/engines/mysql/collector/schema.js';
import type { MysqlSamplerData, WaitRun } from '../../../src/engines/mysql/sampler.js';
import { splitMysql } from '../../../src/engines/mysql/split.js';

const facts = (
  rowCounts: Record<string, number>,
  checksums: Record<string, string | null> = {},
): MysqlFacts => ({
  tables: new Map(),
  rowCounts,
  checksums,
  lsn: null,
});

describe('MySQL collector parts', () => {
  it('finds the tables a migration names, bare or backquoted, not as parts of other words', () => {
    const st = splitMysql('ALTER TABLE `orders` ADD x INT;\nUPDATE app.users SET a = 1;');
    expect([...namedTables(st, ['orders', 'users', 'user', 'other'])].sort()).toEqual(['orders', 'users']);
  });

  it('integrity: lost rows, a gone table and a changed unnamed table are problems', () => {
    const ok = integrityOf(
      facts({ 'a.t': 3 }, { 'a.o': '1' }),
      facts({ 'a.t': 3 }, { 'a.o': '1' }),
      null,
      false,
    );
    expect(ok).toMatchObject({ ok: true, row_counts: { 'a.t': { before: 3, after: 3 } } });
    const bad = integrityOf(
      facts({ 'a.t': 3, 'a.g': 1 }, { 'a.o': '1' }),
      facts({ 'a.t': 2 }, { 'a.o': '2' }),
      null,
      false,
    );
    expect(bad.ok).toBe(false);
    expect(bad.problems).toEqual([
      'table a.t lost 1 rows (3 -> 2)',
      'table a.g is gone (it had 1 rows)',
      'table a.o, which the migration does not name, changed (CHECKSUM TABLE differs)',
    ]);
  });

  it('schema changes: added, dropped and changed columns and indexes', () => {
    const col = (t: string, c: string, type: string) => ({
      t,
      c,
      type,
      nullable: 'YES',
      def: null as string | null,
    });
    const before: MysqlSchema = {
      tables: new Map([['a.t', 'InnoDB']]),
      columns: new Map([
        ['a.t.x', col('t', 'x', 'int(11)')],
        ['a.t.y', col('t', 'y', 'int(11)')],
      ]),
      indexes: new Map([['a.t.PRIMARY', 'UNIQUE (x)']]),
    };
    const after: MysqlSchema = {
      tables: new Map([['a.t', 'InnoDB']]),
      columns: new Map([
        ['a.t.x', col('t', 'x', 'bigint(20)')],
        ['a.t.z', { ...col('t', 'z', 'int(11)'), nullable: 'NO', def: '0' }],
      ]),
      indexes: new Map([
        ['a.t.PRIMARY', 'UNIQUE (x)'],
        ['a.t.i', '(z)'],
      ]),
    };
    expect(schemaChanges(before, after)).toEqual([
      '~ column a.t.x: type int(11) -> bigint(20)',
      '- column a.t.y',
      '+ column a.t.z int(11) NOT NULL DEFAULT 0',
      '+ index a.t.i (z)',
    ]);
  });

  describe('wait causes', () => {
    const MIGRATION = 10;
    const PROBE = 20;
    const READER = 30;
    // Samples every 10 ms from t = 0.
    const samples = Array.from({ length: 100 }, (_, i) => ({ send: i * 10, recv: i * 10 + 1 }));
    const ran: RanStatement[] = splitMysql('ALTER TABLE t ADD c INT;\nDO 1;').map((statement, i) => ({
      statement,
      start: i * 500,
      end: i * 500 + 400,
      error: null,
      sqlstate: null,
    }));
    const run = (r: Partial<WaitRun>): WaitRun => ({
      waiter: PROBE,
      kind: 'metadata',
      relation: 'app.t',
      mode: 'SHARED_WRITE',
      holders: new Set([MIGRATION]),
      queuedBehind: new Set(),
      first: 10,
      last: 30,
      openAtEnd: false,
      ...r,
    });
    const data = (waits: WaitRun[]): MysqlSamplerData => ({
      samples,
      held: [],
      waits,
      sources: { metadataLocks: 'performance_schema', rowLocks: null, processlist: 'mariadb' } as never,
    });
    const wait: RawWait = {
      pid: PROBE,
      relation: 'app.t',
      kind: 'write',
      statement: 'update',
      start: 100,
      end: 300,
      timedOut: false,
      deadlock: false,
    };

    it('a metadata lock the migration held', () => {
      const cause = causeFinder(data([run({})]), MIGRATION, ran, 10)(wait);
      expect(cause).toMatchObject({ kind: 'table_lock', relation: 'app.t', statement: 1 });
    });

    it('a queue behind the migration, which itself waits for an open reader', () => {
      const migrationWait = run({
        waiter: MIGRATION,
        mode: 'EXCLUSIVE',
        holders: new Set([READER]),
        first: 5,
      });
      const cause = causeFinder(data([run({}), migrationWait]), MIGRATION, ran, 10)(wait);
      expect(cause).toMatchObject({ kind: 'lock_queue', relation: 'app.t', statement: 1 });
      expect(cause?.text).toContain(`session ${READER}`);
    });

    it("the migration's brief wait later on (a COPY's final upgrade) is not a queue", () => {
      const late = run({
        waiter: MIGRATION,
        mode: 'EXCLUSIVE',
        holders: new Set([PROBE]),
        first: 29,
        last: 30,
      });
      expect(causeFinder(data([run({}), late]), MIGRATION, ran, 10)(wait)?.kind).toBe('table_lock');
    });

    it('a row lock of the migration, named with the last statement begun', () => {
      const rowRun = run({ kind: 'row', mode: 'X', first: 60, last: 70 });
      const cause = causeFinder(data([rowRun]), MIGRATION, ran, 10)({ ...wait, start: 600, end: 700 });
      expect(cause).toMatchObject({ kind: 'row_lock', relation: 'app.t', statement: 2 });
    });

    it('no lock seen: slow execution', () => {
      expect(causeFinder(data([]), MIGRATION, ran, 10)(wait)?.kind).toBe('slow_execution');
    });
  });
});
