/**
 * What the before-snapshot costs with and without the checkpoint's recorded row counts, and
 * what the exact counts alone cost, on the generated use-case data (one database per run, the
 * same server, alternating). `node --import tsx bench/snapshot-cost.ts [--users N] [--reps N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactRowCounts } from '../src/collector/index.js';
import { snapshotDatabase } from '../src/collector/snapshot.js';
import { configFromUrl, withClient } from '../src/util/pg.js';
import { databaseSize, loadSeed, vacuum } from './lib/data.js';
import { log } from './lib/log.js';
import { startEmbedded18 } from './lib/servers.js';
import { fmtBytes, median, timed } from './lib/timing.js';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};

async function main(): Promise<void> {
  const users = Number(arg('--users', '210000'));
  const reps = Number(arg('--reps', '5'));
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-snapshot-cost-'));
  const server = await startEmbedded18(dir);
  try {
    log(`generating ${users} users`);
    await loadSeed(server.url, 'snap_src', users);
    await vacuum(server.url, 'snap_src');
    const bytes = await databaseSize(server.url, 'snap_src');
    const config = configFromUrl(server.url, 'snap_src');
    const known = await withClient(config, exactRowCounts);
    const t = { counts: [] as number[], scanned: [] as number[], known: [] as number[] };
    for (let i = 0; i < reps; i++) {
      await withClient(config, async (c) => {
        const sides: Array<keyof typeof t> =
          i % 2 ? ['known', 'scanned', 'counts'] : ['counts', 'scanned', 'known'];
        for (const side of sides) {
          const r = await timed(
            async (): Promise<unknown> =>
              side === 'counts'
                ? exactRowCounts(c)
                : snapshotDatabase(c, true, side === 'known' ? known : undefined),
          );
          t[side].push(r.ms);
        }
      });
      log(`rep ${i + 1}/${reps}`);
    }
    const line = (label: string, xs: number[]) =>
      `${label}: median ${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(', ')})`;
    process.stdout.write(
      `${[
        `database ${fmtBytes(bytes)}, ${users} users`,
        line('exact row counts alone', t.counts),
        line('before-snapshot, counting rows', t.scanned),
        line('before-snapshot, counts from the checkpoint', t.known),
      ].join('\n')}\n`,
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
