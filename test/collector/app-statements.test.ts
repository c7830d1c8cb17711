/**
 * What the application's own statements wait for, measured by vers-db and, independently, by a
 * session that runs the real statement (`SELECT … WHERE id = k`, `UPDATE … WHERE id = k`, rolled
 * back) in a loop during the same migration. For every case the two must agree — within 20 % or
 * 50 ms for waits of 300 ms or more — and the cause must be named. Runs on the embedded
 * PostgreSQL 18 and on Debian's PostgreSQL 15.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchServer, DEBIAN_PG15_BIN, startDebian15 } from '../../bench/lib/servers.js';
import { rank } from '../../src/analysis/rank.js';
import { measureMigration } from '../../src/collector/index.js';
import type { MeasureOptions } from '../../src/collector/measure.js';
import type { ProbeStats, StrategyResult } from '../../src/result.js';
import { type ClientConfig, configFromUrl, quoteIdent, withClient } from '../../src/util/pg.js';
import { serverUrl, uniqueName } from '../helpers/db.js';

const ROWS = 600_000;
const PARTITION_ROWS = 400_000;

const CORPUS_SCHEMA = `
  CREATE TYPE mood AS ENUM ('calm', 'busy');
  CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, v int NOT NULL, m mood NOT NULL DEFAULT 'calm', pad text);
  INSERT INTO t SELECT g, g % 1000, g, 'calm', repeat('x', 40) FROM generate_series(1, ${ROWS}) g;
  CREATE INDEX t_k ON t (k);
  CREATE MATERIALIZED VIEW mv AS SELECT id, v, pad FROM t WHERE id % 2 = 0;
  CREATE UNIQUE INDEX mv_id ON mv (id);
  CREATE VIEW vw AS SELECT id, v FROM t WHERE v >= 0;
  CREATE TABLE small (id int PRIMARY KEY, note text);
  INSERT INTO small SELECT g, 'n' || g FROM generate_series(1, 1000) g;
  CREATE TABLE pt (id int NOT NULL, k int NOT NULL, v int NOT NULL, PRIMARY KEY (id)) PARTITION BY RANGE (id);
  CREATE TABLE pt_1 PARTITION OF pt FOR VALUES FROM (1) TO (100001);
  CREATE TABLE pt_2 PARTITION OF pt FOR VALUES FROM (100001) TO (200001);
  CREATE TABLE pt_3 PARTITION OF pt FOR VALUES FROM (200001) TO (300001);
  CREATE TABLE pt_4 PARTITION OF pt FOR VALUES FROM (300001) TO (400001);
  INSERT INTO pt SELECT g, g % 1000, g FROM generate_series(1, ${PARTITION_ROWS}) g;`;

/** An application statement, run by an independent session; `$KEY` is a random existing id. */
interface AppStatement {
  sql: string;
  keys: number;
}
const readT: AppStatement = { sql: 'SELECT * FROM t WHERE id = $KEY', keys: ROWS };
const writeT: AppStatement = { sql: 'BEGIN; UPDATE t SET v = v WHERE id = $KEY; ROLLBACK', keys: ROWS };
const readMv: AppStatement = { sql: 'SELECT * FROM mv WHERE id = $KEY * 2', keys: ROWS / 2 };
const readVw: AppStatement = { sql: 'SELECT * FROM vw WHERE id = $KEY', keys: ROWS };
const readSmall: AppStatement = { sql: 'SELECT * FROM small WHERE id = $KEY', keys: 1000 };
const readPt: AppStatement = { sql: 'SELECT * FROM pt WHERE id = $KEY', keys: PARTITION_ROWS };
const writePt: AppStatement = {
  sql: 'BEGIN; UPDATE pt SET v = v WHERE id = $KEY; ROLLBACK',
  keys: PARTITION_ROWS,
};
const writeT_m: AppStatement = {
  sql: `BEGIN; UPDATE t SET m = 'calm' WHERE id = $KEY; ROLLBACK`,
  keys: ROWS,
};

/** Times `statement` in a loop until stopped: the longest time above its own median before the migration. */
function independentTiming(config: ClientConfig, statement: AppStatement) {
  const client = new pg.Client({ ...config, application_name: 'independent-app' });
  let stopping = false;
  const own: number[] = [];
  let worst = 0;
  const loop = (async () => {
    await client.connect();
    while (!stopping) {
      const sql = statement.sql.replaceAll('$KEY', String(1 + Math.floor(Math.random() * statement.keys)));
      const start = performance.now();
      await client.query(sql).catch(() => client.query('ROLLBACK').catch(() => undefined));
      const took = performance.now() - start;
      if (own.length < 5) own.push(took);
      else worst = Math.max(worst, took - [...own].sort((a, b) => a - b)[2]!);
      await new Promise((r) => setTimeout(r, 5));
    }
    await client.end();
  })();
  return {
    /** Wait until its own time is known, so the migration starts after it. */
    ready: async () => {
      while (own.length < 5) await new Promise((r) => setTimeout(r, 10));
    },
    stop: async () => {
      stopping = true;
      await loop;
      return worst;
    },
  };
}

/** Waits of 300 ms or more agree within 20 % or 50 ms; shorter ones both stay short. */
function expectAgreement(measured: number, independent: number, label: string): void {
  const message = `${label}: vers-db ${measured} ms, independent ${independent.toFixed(1)} ms`;
  if (Math.max(measured, independent) >= 300) {
    expect(Math.abs(measured - independent), message).toBeLessThanOrEqual(Math.max(0.2 * independent, 50));
  } else {
    expect(measured, message).toBeLessThan(300);
  }
}

interface Server {
  name: string;
  url: string;
  stop?: () => Promise<void>;
}

const servers: Array<{ name: string; available: boolean; start: () => Promise<Server> }> = [
  { name: 'PostgreSQL 18', available: true, start: async () => ({ name: '18', url: serverUrl() }) },
  {
    name: 'PostgreSQL 15',
    available: existsSync(join(DEBIAN_PG15_BIN, 'initdb')),
    start: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vers-db-corpus15-'));
      await chmod(dir, 0o755);
      const server: BenchServer = await startDebian15(dir);
      return {
        name: '15',
        url: server.url,
        stop: async () => {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
];

// A one-statement backfill of 600,000 rows on a busy 2-core machine can take a minute.
describe.each(servers)('application statements on $name', { timeout: 300_000 }, ({ available, start }) => {
  let server: Server;
  let template: string;
  const made: string[] = [];

  beforeAll(async () => {
    if (!available) return;
    server = await start();
    template = uniqueName('corpus');
    await withClient(configFromUrl(server.url, 'postgres'), (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(template)}`),
    );
    await withClient(configFromUrl(server.url, template), async (c) => {
      await c.query(CORPUS_SCHEMA);
      await c.query('VACUUM ANALYZE');
    });
  });

  afterAll(async () => {
    if (!available) return;
    await withClient(configFromUrl(server.url, 'postgres'), async (c) => {
      for (const db of [...made, template])
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    });
    await server.stop?.();
  });

  /** Run `sql` on a fresh copy of the corpus, timing `app` independently at the same time. */
  async function run(
    sql: string,
    app: AppStatement,
    extra: Partial<MeasureOptions> = {},
  ): Promise<{ result: StrategyResult; independent: number }> {
    const name = uniqueName('corpus_run');
    await withClient(configFromUrl(server.url, 'postgres'), (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`),
    );
    made.push(name);
    const config = configFromUrl(server.url, name);
    const timer = independentTiming(config, app);
    await timer.ready();
    try {
      const result = await measureMigration({
        name: 'case',
        branch: name,
        connection: config,
        migration: { kind: 'sql', sql },
        ...extra,
      });
      expect(result.status, result.error ?? '').toBe('passed');
      return { result, independent: await timer.stop() };
    } finally {
      await timer.stop();
    }
  }

  const stats = (r: StrategyResult, relation: string, kind: 'reads' | 'writes'): ProbeStats => {
    const s = r.blocking.tables[relation]?.[kind];
    expect(s, `${relation} ${kind} probed`).toBeDefined();
    expect(s!.status).toBe('measured');
    return s!;
  };

  function log(label: string, s: ProbeStats, independent: number): void {
    console.error(
      `[${label}] vers-db ${s.max_wait_ms} ms, independent ${independent.toFixed(1)} ms, cause ${s.cause?.kind ?? 'none'}: ${s.cause?.text ?? ''}`,
    );
  }

  /** The one-statement backfill's run, also ranked against the batched one below. */
  let oneStatement: { result: StrategyResult; independent: number } | undefined;

  it.skipIf(!available)('one-statement backfill: writes wait on row locks until it commits', async () => {
    oneStatement = await run('ALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 0;\n', writeT);
    const { result, independent } = oneStatement;
    const s = stats(result, 'public.t', 'writes');
    log('backfill', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(300);
    expectAgreement(s.max_wait_ms, independent, 'backfill');
    expect(s.cause?.kind).toBe('row_lock');
    expect(s.cause?.statement).toBe(2);
    expect(s.cause?.text).toMatch(
      /^writes to public\.t waited .* on row locks held by statement 2 \(UPDATE t SET c = 0\)/,
    );
    expect(s.waited_share).toBeGreaterThan(0);
  });

  it.skipIf(!available)('REINDEX: reads wait on the index the planner locks', async () => {
    const { result, independent } = await run('REINDEX INDEX t_pkey;\n', readT);
    const s = stats(result, 'public.t', 'reads');
    log('reindex', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(100);
    expectAgreement(s.max_wait_ms, independent, 'reindex');
    expect(s.cause?.kind).toBe('index_lock');
    expect(s.cause?.relation).toBe('public.t_pkey');
  });

  it.skipIf(!available)('REFRESH MATERIALIZED VIEW: reads of the view wait', async () => {
    const { result, independent } = await run('REFRESH MATERIALIZED VIEW mv;\n', readMv);
    const s = stats(result, 'public.mv', 'reads');
    log('refresh', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(100);
    expectAgreement(s.max_wait_ms, independent, 'refresh');
    expect(s.cause?.kind).toBe('view_lock');
    expect(result.blocking.tables['public.mv']!.writes.status).toBe('not_applicable');
  });

  it.skipIf(!available)('REFRESH MATERIALIZED VIEW CONCURRENTLY: reads of the view go on', async () => {
    const { result, independent } = await run('REFRESH MATERIALIZED VIEW CONCURRENTLY mv;\n', readMv);
    const s = stats(result, 'public.mv', 'reads');
    log('refresh-concurrently', s, independent);
    expectAgreement(s.max_wait_ms, independent, 'refresh concurrently');
    expect(s.cause?.kind).not.toBe('view_lock');
  });

  it.skipIf(!available)('CREATE OR REPLACE VIEW in a transaction: reads through the view wait', async () => {
    const { result, independent } = await run(
      'BEGIN;\nCREATE OR REPLACE VIEW vw AS SELECT id, v FROM t WHERE v >= 0;\nSELECT pg_sleep(0.8);\nCOMMIT;\n',
      readVw,
    );
    const s = stats(result, 'public.vw', 'reads');
    log('view', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(300);
    expectAgreement(s.max_wait_ms, independent, 'view');
    expect(s.cause?.kind).toBe('view_lock');
    expect(s.cause?.statement).toBe(2);
  });

  it.skipIf(!available)('CREATE INDEX on a partitioned table: writes wait, reads do not', async () => {
    const sql = 'CREATE INDEX pt_k ON pt (k);\n';
    const writes = await run(sql, writePt);
    const w = stats(writes.result, 'public.pt', 'writes');
    log('partitioned index, writes', w, writes.independent);
    expect(w.max_wait_ms).toBeGreaterThan(100);
    expectAgreement(w.max_wait_ms, writes.independent, 'partitioned index writes');
    expect(w.cause?.kind).toBe('table_lock');
    // Partitions are probed too.
    expect(writes.result.blocking.tables['public.pt_1']?.writes.status).toBe('measured');
    const reads = await run(sql, readPt);
    const r = stats(reads.result, 'public.pt', 'reads');
    log('partitioned index, reads', r, reads.independent);
    expectAgreement(r.max_wait_ms, reads.independent, 'partitioned index reads');
  });

  it.skipIf(!available)('ALTER TYPE … ADD VALUE: writes of the enum column go on', async () => {
    const { result, independent } = await run(`ALTER TYPE mood ADD VALUE 'idle';\n`, writeT_m);
    const s = stats(result, 'public.t', 'writes');
    log('enum', s, independent);
    expectAgreement(s.max_wait_ms, independent, 'enum');
  });

  it.skipIf(!available)('TRUNCATE in a transaction: reads of the table wait', async () => {
    const { result, independent } = await run(
      'BEGIN;\nTRUNCATE small;\nSELECT pg_sleep(0.6);\nCOMMIT;\n',
      readSmall,
    );
    const s = stats(result, 'public.small', 'reads');
    log('truncate', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(300);
    expectAgreement(s.max_wait_ms, independent, 'truncate');
    expect(s.cause?.kind).toBe('table_lock');
  });

  it.skipIf(!available)('CLUSTER: reads wait for the whole rewrite', async () => {
    const { result, independent } = await run('CLUSTER t USING t_pkey;\n', readT);
    const s = stats(result, 'public.t', 'reads');
    log('cluster', s, independent);
    expect(s.max_wait_ms).toBeGreaterThan(300);
    expectAgreement(s.max_wait_ms, independent, 'cluster');
  });

  it.skipIf(!available)(
    'the lock-queue trap: reads queue behind an ALTER that waits for a long reader',
    async () => {
      const { result, independent } = await run('ALTER TABLE t ADD COLUMN d int;\n', readT, {
        longReaderMs: 800,
      });
      const s = stats(result, 'public.t', 'reads');
      log('lock queue', s, independent);
      expect(s.max_wait_ms).toBeGreaterThan(300);
      expectAgreement(s.max_wait_ms, independent, 'lock queue');
      expect(s.cause?.kind).toBe('lock_queue');
    },
  );

  it.skipIf(!available)('ranks a batched backfill above a one-statement backfill', async () => {
    const one = oneStatement ?? (await run('ALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 0;\n', writeT));
    const batched = await run(
      `ALTER TABLE t ADD COLUMN c int;
DO $$
DECLARE lo int := 0;
BEGIN
  WHILE lo < ${ROWS} LOOP
    UPDATE t SET c = 0 WHERE id > lo AND id <= lo + 5000;
    COMMIT;
    lo := lo + 5000;
  END LOOP;
END $$;
`,
      writeT,
    );
    const oneWrites = stats(one.result, 'public.t', 'writes');
    const batchedWrites = stats(batched.result, 'public.t', 'writes');
    log('one-statement backfill', oneWrites, one.independent);
    log('batched backfill', batchedWrites, batched.independent);
    // Each batch holds its rows only until its COMMIT: the worst wait is one batch, not the whole backfill.
    expect(batchedWrites.max_wait_ms).toBeLessThan(oneWrites.max_wait_ms / 3);
    expect(batched.independent).toBeLessThan(one.independent / 3);
    const ranking = rank([
      { ...one.result, name: 'one-statement' },
      { ...batched.result, name: 'batched' },
    ]);
    expect(ranking.recommendation?.name).toBe('batched');
    expect(ranking.recommendation?.reasons.join('\n')).toMatch(
      /one-statement .*row locks held by statement 2/,
    );
  });
});
