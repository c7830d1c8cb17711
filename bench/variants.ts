/**
 * Part 7: the variants catalogue at ≥ 1 M rows. For each rewrite, `test --variants` runs the
 * original and the generated variant side by side on branches of one checkpoint; the table
 * shows how long each blocked the application's writes and reads (the tool's own probes), how
 * long each took, whether the variant ended in the original's schema and data, and which one
 * the tool recommended. Full mode only (quick mode skips it).
 * Standalone smoke: `node --import tsx bench/variants.ts --rows 20000` (starts its own server).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCheckpoint } from '../src/core/index.js';
import type { StrategyResult } from '../src/result.js';
import { configFromUrl, withClient } from '../src/util/pg.js';
import { testWithVariants } from '../src/variants/run.js';
import { log } from './lib/log.js';
import { markdownTable, type PartResult, type Table } from './lib/report.js';
import { type BenchServer, startEmbedded18 } from './lib/servers.js';
import { fmtMs } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import type { BenchContext } from './run.js';

const DATABASE = 'bench_variants';

const schema = (rows: number) => `
  CREATE TABLE users (id int PRIMARY KEY, email text, n int NOT NULL, pad text);
  INSERT INTO users SELECT g, 'u' || g || '@example.com', g % 1000, repeat('x', 120) FROM generate_series(1, ${rows}) g;
  CREATE TABLE orders (id int PRIMARY KEY, user_id int, total int);
  INSERT INTO orders SELECT g, 1 + g % ${rows}, g FROM generate_series(1, ${rows}) g;
  CREATE TABLE events (id int, at int NOT NULL, v int, pad text) PARTITION BY RANGE (at);
  CREATE TABLE events_0 PARTITION OF events FOR VALUES FROM (0) TO (${Math.ceil(rows / 2)});
  CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (${Math.ceil(rows / 2)}) TO (${rows});
  INSERT INTO events SELECT g, g, g % 977, repeat('y', 80) FROM generate_series(0, ${rows - 1}) g;`;

/** One migration per rewrite of the catalogue. */
const CASES: [rewrite: string, sql: string][] = [
  ['concurrent-index', 'CREATE INDEX users_n ON users (n, email);'],
  ['not-valid-constraint', 'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);'],
  ['unique-using-index', 'ALTER TABLE users ADD UNIQUE (email);'],
  ['set-not-null', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;'],
  ['batched-backfill', 'UPDATE users SET n = n + 1;'],
  ['volatile-default', 'ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();'],
  ['partitioned-index', 'CREATE INDEX ON events (v);'],
  ['expand-contract', 'ALTER TABLE users ALTER COLUMN n TYPE bigint;'],
];

interface Row {
  rewrite: string;
  original: StrategyResult;
  variant: StrategyResult | undefined;
  recommended: string | null;
}

const waits = (r: StrategyResult) =>
  `${fmtMs(r.blocking.writes.max_wait_ms)} / ${fmtMs(r.blocking.reads.max_wait_ms)}`;
const worst = (r: StrategyResult) => Math.max(r.blocking.writes.max_wait_ms, r.blocking.reads.max_wait_ms);
const lessBlocking = (row: Row) =>
  row.variant?.status === 'passed' &&
  row.variant.equivalence?.status === 'same' &&
  worst(row.variant) < worst(row.original);

export async function measureVariants(server: BenchServer, rows: number, dir: string): Promise<Row[]> {
  await withClient(configFromUrl(server.url, 'postgres'), (c) => c.query(`CREATE DATABASE ${DATABASE}`));
  await withClient(configFromUrl(server.url, DATABASE), async (c) => {
    await c.query(schema(rows));
    await c.query('VACUUM ANALYZE');
  });
  const ctx = benchContext(server, DATABASE, join(dir, 'vers-db-state-variants'));
  const out: Row[] = [];
  try {
    await createCheckpoint(ctx, { tag: 'variants', createdBy: 'vers-db bench' });
    for (const [rewrite, sql] of CASES) {
      log(`variants: ${rewrite} on ${rows.toLocaleString('en-US')} rows`);
      const file = join(dir, `${rewrite}.sql`);
      await writeFile(file, `${sql}\n`);
      const c = await testWithVariants(ctx, {
        baseline: 'variants',
        migrations: [{ migration: file, name: rewrite }],
        createdBy: 'vers-db bench',
      });
      const original = c.results[0]!;
      const variant = c.results.find((r) => r.name === `${rewrite}.${rewrite}`);
      out.push({ rewrite, original, variant, recommended: c.recommendation?.name ?? null });
    }
  } finally {
    await (await ctx.backend()).deleteCheckpoint('variants', { force: true }).catch(() => undefined);
    await ctx.close();
  }
  return out;
}

export function variantsTable(rows: Row[]): Table {
  return {
    head: [
      'rewrite',
      'original: writes / reads blocked (max)',
      'variant: writes / reads blocked (max)',
      'original took',
      'variant took',
      'same end state',
      'recommended',
    ],
    rows: rows.map((r) => [
      r.rewrite,
      waits(r.original),
      r.variant ? waits(r.variant) : 'no variant',
      fmtMs(r.original.duration_ms),
      r.variant ? fmtMs(r.variant.duration_ms) : '—',
      r.variant?.equivalence?.status === 'same'
        ? 'yes'
        : (r.variant?.equivalence?.differences.join('; ') ?? r.variant?.error ?? '—'),
      r.recommended === r.rewrite
        ? 'original'
        : r.recommended === `${r.rewrite}.${r.rewrite}`
          ? 'variant'
          : '—',
    ]),
  };
}

export async function variantsBench(b: BenchContext): Promise<PartResult> {
  const title = '7. Safer variants (vers-db test --variants)';
  if (b.quick) {
    return {
      section: { title, intro: ['Quick mode skips this part (it needs ≥ 1 M rows).'], tables: [], notes: [] },
      targets: [
        {
          name: 'each variant blocks less, same end state',
          target: 'all',
          measured: '—',
          met: null,
          why: 'quick mode',
        },
      ],
    };
  }
  const rows = 1_000_000;
  const measured = await measureVariants(b.pg18, rows, b.dir);
  const ok = measured.filter(lessBlocking).length;
  return {
    section: {
      title,
      intro: [
        `On ${b.pg18.label} (${b.pg18.version}), ${rows.toLocaleString('en-US')} rows per table. Each rewrite's original`,
        'and its generated variant ran on branches of one checkpoint with the application probes on; blocking is the',
        "longest wait of the probes' writes / reads. The variant must also end in the original's schema and data.",
      ],
      tables: [variantsTable(measured)],
      notes: [],
    },
    targets: [
      {
        name: 'each variant blocks less, same end state',
        target: `${measured.length} of ${measured.length}`,
        measured: `${ok} of ${measured.length}`,
        met: ok === measured.length,
        why: '',
      },
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--rows');
  const rows = at > 0 ? Number(process.argv[at + 1]) : 20_000;
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-variants-'));
  const server = await startEmbedded18(dir);
  try {
    process.stdout.write(`${markdownTable(variantsTable(await measureVariants(server, rows, dir)))}\n`);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
