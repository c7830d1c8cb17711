/**
 * `node --import tsx bench/verify-cost.ts [rows]`: what the after-run checkpoint check costs —
 * per-table checksums of a checkpoint of `rows` rows (default 1 M), read the way every run reads
 * them (src/backends/local-verify.ts), three times; prints the median.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureEmbedded, stopEmbedded } from '../src/backends/embedded.js';
import { verifyTemplate } from '../src/backends/local-verify.js';
import { tableChecksums } from '../src/collector/snapshot.js';
import { configFromUrl, quoteIdent, withClient } from '../src/util/pg.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const home = await mkdtemp(join(tmpdir(), 'vers-db-verify-'));
try {
  const server = await ensureEmbedded(home, { persistent: true });
  const admin = configFromUrl(server.url, 'postgres');
  const db = 'verify_cost';
  await withClient(admin, (c) => c.query(`CREATE DATABASE ${quoteIdent(db)}`));
  const checksums = await withClient({ ...admin, database: db }, async (c) => {
    await c.query(`CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, n int DEFAULT 0, created timestamptz DEFAULT now());
      INSERT INTO users (id, email) SELECT g, 'u' || g || '@example.com' FROM generate_series(1, ${rows}) g;`);
    await c.query('VACUUM ANALYZE users');
    return tableChecksums(c);
  });
  await withClient(admin, (c) =>
    c.query(`ALTER DATABASE ${quoteIdent(db)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
  );
  const entry = { tag: 'cost', id: db, checksums } as Parameters<typeof verifyTemplate>[1];
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const problems = await verifyTemplate(admin, entry, home);
    times.push(performance.now() - t);
    if (problems.length) throw new Error(problems.join('; '));
  }
  times.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ rows, runs_ms: times.map(Math.round), median_ms: Math.round(times[1]!) })}\n`,
  );
} finally {
  await stopEmbedded(home).catch(() => undefined);
  await rm(home, { recursive: true, force: true });
}
