/**
 * `node --import tsx bench/thin-large.ts [--out FILE]` — the thin-branch targets at 0.1 and 4 GB
 * without the seed generator (which needs ~25 min per 4 GB on a loaded 2-core machine): one wide
 * table of ~1 KB rows and its primary key, generated in minutes. Per size: thin branches (fsync on
 * and off) on the PG18 server's loopback XFS tablespace, and pg_restore -j of the same data on the
 * Debian PG15 server. A single-table restore is faster per byte than the seed's (fewer indexes), so
 * the ratio against it is conservative.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopOnDemandServers } from '../src/backends/embedded.js';
import { quoteIdent, withClient } from '../src/util/pg.js';
import { timeBranches } from './fresh-copy.js';
import { createDatabase, databaseSize, dropDatabase, inDatabase } from './lib/data.js';
import { pgDump, pgRestore } from './lib/dump.js';
import { log } from './lib/log.js';
import { markdownTable } from './lib/report.js';
import { type BenchServer, startDebian15, startEmbedded18 } from './lib/servers.js';
import {
  addThinTablespace,
  makeThinVolume,
  removeThinVolume,
  setServerFsync,
  volumeUsed,
} from './lib/thin.js';
import { fmtBytes, fmtMs, median } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import type { ThinTiming } from './thin-copy.js';

const MB = 1024 ** 2;
const SIZES = [
  { label: '100MB', bytes: 100 * MB },
  { label: '4GB', bytes: 4096 * MB },
];
const FILL_SQL = [
  'CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 30) AS pad FROM generate_series(1, $1::int) g',
  'ALTER TABLE big ADD PRIMARY KEY (id)',
  'VACUUM ANALYZE big',
];
/** Bytes per row of FILL_SQL's table with its index, measured: ~1.04 KB. */
const BYTES_PER_ROW = 1060;

async function fill(
  server: BenchServer,
  database: string,
  bytes: number,
  tablespace?: string,
): Promise<number> {
  await dropDatabase(server.url, database);
  if (tablespace) {
    await withClient(inDatabase(server.url, 'postgres'), (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(database)} TABLESPACE ${quoteIdent(tablespace)}`),
    );
  } else await createDatabase(server.url, database);
  await withClient(inDatabase(server.url, database), async (c) => {
    await c.query(FILL_SQL[0]!, [Math.round(bytes / BYTES_PER_ROW)]);
    for (const sql of FILL_SQL.slice(1)) await c.query(sql);
  });
  return databaseSize(server.url, database);
}

const newTiming = (strategy: string): ThinTiming => ({
  strategy,
  createMs: [],
  endToEndMs: [],
  checkpointMs: Number.NaN,
  recorded: '',
  error: null,
  rawSql: false,
});

async function main(): Promise<void> {
  const outAt = process.argv.indexOf('--out');
  const out = outAt > 0 ? process.argv[outAt + 1] : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-thin-'));
  await chmod(dir, 0o755);
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const v = await makeThinVolume(dir, 16 * 1024 * MB);
    if (!v.ok) throw new Error(`no thin volume: ${v.reason}`);
    cleanups.push(() => removeThinVolume(v));
    const pg18 = await startEmbedded18(dir);
    cleanups.push(() => pg18.stop(), stopOnDemandServers);
    const pg15 = await startDebian15(dir);
    cleanups.push(() => pg15.stop());
    const thin = await addThinTablespace(pg18, v);
    const rows: string[][] = [];
    for (const size of SIZES) {
      const db = `thin_large_${size.label.toLowerCase()}`;
      log(`${size.label}: filling PG18 (on the XFS tablespace)`);
      const bytes18 = await fill(pg18, db, size.bytes, thin.tablespace);
      const timings: ThinTiming[] = [];
      for (const fsyncOff of [false, true]) {
        const t = newTiming(fsyncOff ? 'thin, fsync off' : 'thin');
        const ctx = benchContext(pg18, db, join(dir, 'state'), 'clone');
        try {
          if (fsyncOff) await setServerFsync(pg18.url, false);
          const before = await volumeUsed(v.mountPoint);
          await timeBranches(ctx, `large-${fsyncOff ? 'nofsync' : 'fsync'}`, 3, t);
          t.volumeGrowth = (await volumeUsed(v.mountPoint)) - before;
        } finally {
          await ctx.close();
          if (fsyncOff) await setServerFsync(pg18.url, true);
        }
        log(`${size.label}: ${t.strategy} ${t.endToEndMs.map(fmtMs).join(', ')}`);
        timings.push(t);
      }
      await dropDatabase(pg18.url, db);
      log(`${size.label}: filling PG15, pg_dump -Fc, pg_restore -j ${cpus().length}`);
      const bytes15 = await fill(pg15, db, size.bytes);
      const dump = join(dir, `${db}.dump`);
      const dumpMs = await pgDump(pg15, db, dump);
      const restoreMs = await pgRestore(pg15, `${db}_restored`, dump, cpus().length);
      log(`${size.label}: pg_restore ${fmtMs(restoreMs)}`);
      await dropDatabase(pg15.url, `${db}_restored`);
      await dropDatabase(pg15.url, db);
      await rm(dump, { force: true });
      for (const t of timings) {
        rows.push([
          fmtBytes(bytes18),
          `PG18 embedded, ${t.strategy}`,
          fmtMs(median(t.endToEndMs)),
          fmtMs(median(t.createMs)),
          String(t.endToEndMs.length),
          `${(restoreMs / median(t.endToEndMs)).toFixed(0)}× (PG15 pg_restore)`,
          fmtBytes(Math.max(0, t.volumeGrowth ?? 0)),
        ]);
      }
      rows.push([
        fmtBytes(bytes15),
        `PG15 Debian, pg_restore -j ${cpus().length} (pg_dump -Fc ${fmtMs(dumpMs)})`,
        fmtMs(restoreMs),
        '—',
        '1',
        '1×',
        '—',
      ]);
    }
    const text = markdownTable({
      head: [
        'size',
        'how',
        'time to a writable copy',
        'CREATE DATABASE only',
        'n',
        'vs pg_restore (cross-server: PG18 clone vs Debian PG15 pg_restore)',
        'volume grew (checkpoint + n branches)',
      ],
      rows,
    });
    process.stdout.write(`${text}\n`);
    if (out) await writeFile(out, `${text}\n`);
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: Error) => log(`cleanup: ${err.message}`));
  }
}

await main();
