/**
 * What the collector's application probes cost the migration, side by side in one run: the same
 * migration (a 400,000-row backfill and a CREATE INDEX, on a database of a table, three smaller
 * tables and a view: 9 probe loops) on fresh copies of one database, with the collector and
 * without, alternating the order, many times. Reports the migration's own time (duration_ms) per
 * side, the ratio pair by pair, and the probe rate.
 * `node --import tsx bench/probe-overhead.ts [--reps N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureMigration } from '../src/collector/index.js';
import { configFromUrl, quoteIdent, withClient } from '../src/util/pg.js';
import { log } from './lib/log.js';
import { startEmbedded18 } from './lib/servers.js';
import { median } from './lib/timing.js';

const SCHEMA = `
  CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, v int NOT NULL, pad text);
  INSERT INTO t SELECT g, g % 1000, g, repeat('x', 40) FROM generate_series(1, 400000) g;
  CREATE TABLE a (id int PRIMARY KEY, note text); INSERT INTO a SELECT g, 'a' FROM generate_series(1, 5000) g;
  CREATE TABLE b (id int PRIMARY KEY, note text); INSERT INTO b SELECT g, 'b' FROM generate_series(1, 5000) g;
  CREATE TABLE c (id int PRIMARY KEY, note text); INSERT INTO c SELECT g, 'c' FROM generate_series(1, 5000) g;
  CREATE VIEW tv AS SELECT id, v FROM t;`;
const MIGRATION = 'UPDATE t SET v = v + 1;\nCREATE INDEX t_k ON t (k);\n';

async function main(): Promise<void> {
  const repsAt = process.argv.indexOf('--reps');
  const reps = repsAt > 0 ? Number(process.argv[repsAt + 1]) : 8;
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-probe-overhead-'));
  const server = await startEmbedded18(dir);
  try {
    const admin = configFromUrl(server.url, 'postgres');
    await withClient(admin, (c) => c.query('CREATE DATABASE overhead_src'));
    await withClient(configFromUrl(server.url, 'overhead_src'), async (c) => {
      await c.query(SCHEMA);
      await c.query('VACUUM ANALYZE');
    });
    const sides = { with: [] as number[], without: [] as number[], rate: [] as number[] };
    const ratios: number[] = [];
    for (let i = 0; i < reps; i++) {
      // Alternate which side goes first, so drift over the run falls on both.
      const order = i % 2 === 0 ? [true, false] : [false, true];
      const pair: Record<string, number> = {};
      for (const collect of order) {
        const db = `overhead_${i}_${collect ? 'with' : 'without'}`;
        await withClient(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(db)} TEMPLATE overhead_src`));
        const r = await measureMigration({
          name: db,
          branch: db,
          connection: configFromUrl(server.url, db),
          migration: { kind: 'sql', sql: MIGRATION },
          collectMetrics: collect,
        });
        await withClient(admin, (c) => c.query(`DROP DATABASE ${quoteIdent(db)} WITH (FORCE)`));
        (collect ? sides.with : sides.without).push(r.duration_ms);
        if (collect)
          sides.rate.push((r.blocking.reads.probes + r.blocking.writes.probes) / (r.duration_ms / 1000));
        pair[collect ? 'with' : 'without'] = r.duration_ms;
        log(`rep ${i + 1}/${reps} ${collect ? 'with' : 'without'} collector: ${r.duration_ms} ms`);
      }
      ratios.push(pair.with! / pair.without!);
    }
    const pct = (x: number) => `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)} %`;
    process.stdout.write(
      `${[
        `migration time without the collector: median ${median(sides.without).toFixed(0)} ms (min ${Math.min(...sides.without).toFixed(0)}, max ${Math.max(...sides.without).toFixed(0)})`,
        `migration time with the collector:    median ${median(sides.with).toFixed(0)} ms (min ${Math.min(...sides.with).toFixed(0)}, max ${Math.max(...sides.with).toFixed(0)})`,
        `overhead, pair by pair: median ${pct(median(ratios))} (min ${pct(Math.min(...ratios))}, max ${pct(Math.max(...ratios))}), ${reps} pairs`,
        `probe statements per second while it ran: ${median(sides.rate).toFixed(0)}`,
      ].join('\n')}\n`,
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
