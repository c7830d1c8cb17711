/**
 * What the collector costs one use-case strategy (part 5's largest gap: strategy B's batched
 * backfill), side by side in one run on fresh copies of one generated database: no collector,
 * the lock sampler alone (no probe connections), and the full collector (sampler + probes).
 * The order rotates each round, so drift over the run falls on every side.
 * `node --import tsx bench/strategy-probes.ts [--users N] [--reps N] [--strategy b] [--sides none,sampler,full,full-20ms]`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureMigration } from '../src/collector/index.js';
import { configFromUrl, quoteIdent, withClient } from '../src/util/pg.js';
import { admin, loadSeed, STRATEGY_FILES, vacuum } from './lib/data.js';
import { log } from './lib/log.js';
import { startEmbedded18 } from './lib/servers.js';
import { median } from './lib/timing.js';

type Side = 'none' | 'sampler' | 'full' | 'full-20ms';
/** full-20ms: the full collector sampling locks every 20 ms instead of the default 10 ms. */
const ALL_SIDES: Side[] = ['none', 'sampler', 'full', 'full-20ms'];

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};

async function main(): Promise<void> {
  const users = Number(arg('--users', '210000'));
  const reps = Number(arg('--reps', '3'));
  const strategy = arg('--strategy', 'b');
  const SIDES = arg('--sides', 'none,sampler,full')
    .split(',')
    .filter((x): x is Side => (ALL_SIDES as string[]).includes(x));
  const file = STRATEGY_FILES.find((f) => f.endsWith(`v2-strategy-${strategy}.sql`))!;
  const sql = await readFile(file, 'utf8');
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-strategy-probes-'));
  const server = await startEmbedded18(dir);
  try {
    log(`generating ${users} users`);
    await loadSeed(server.url, 'sp_src', users);
    await vacuum(server.url, 'sp_src');
    const times: Record<Side, number[]> = { none: [], sampler: [], full: [], 'full-20ms': [] };
    let probesPerSecond = 0;
    for (let i = 0; i < reps; i++) {
      const order = [...SIDES.slice(i % SIDES.length), ...SIDES.slice(0, i % SIDES.length)];
      for (const side of order) {
        const db = `sp_${i}_${side}`;
        await withClient(admin(server.url), (c) =>
          c.query(`CREATE DATABASE ${quoteIdent(db)} TEMPLATE sp_src`),
        );
        const r = await measureMigration({
          name: db,
          branch: db,
          connection: configFromUrl(server.url, db),
          migration: { kind: 'sql', sql, file },
          collectMetrics: side !== 'none',
          ...(side === 'sampler' ? { maxProbeConnections: 0 } : {}),
          ...(side === 'full-20ms' ? { sampleIntervalMs: 20 } : {}),
        });
        await withClient(admin(server.url), (c) => c.query(`DROP DATABASE ${quoteIdent(db)} WITH (FORCE)`));
        if (r.status !== 'passed') throw new Error(`${db}: ${r.status} ${r.error ?? ''}`);
        times[side].push(r.duration_ms);
        if (side === 'full')
          probesPerSecond = (r.blocking.reads.probes + r.blocking.writes.probes) / (r.duration_ms / 1000);
        log(`round ${i + 1}/${reps} ${side}: ${r.duration_ms} ms`);
      }
    }
    const base = median(times.none.length ? times.none : [1]);
    for (const side of SIDES) {
      const m = median(times[side]);
      process.stdout.write(
        `${side}: median ${m.toFixed(0)} ms (${times[side].map((t) => t.toFixed(0)).join(', ')}), ${(((m - base) / base) * 100).toFixed(1)} % vs none\n`,
      );
    }
    process.stdout.write(`probe statements per second (last full run): ${probesPerSecond.toFixed(0)}\n`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
