/**
 * `npm run bench` — measures what vers-db achieves, side by side in one run, and writes
 * bench/RESULTS.md. `--quick` (under 3 minutes): ~50 MB only. Full (up to ~20 minutes): ~100 MB
 * and ~1 GB. BENCH_LARGE=1 adds ~4 GB. Everything runs on servers the bench starts in a private
 * directory under /tmp and stops again, also on failure and Ctrl-C. `--out FILE` writes elsewhere.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stopOnDemandServers } from '../src/backends/embedded.js';
import { freshCopy, type KeptData, type SizeCase } from './fresh-copy.js';
import { calibrateUsers } from './lib/data.js';
import { log } from './lib/log.js';
import { describeMachine, finishMachine } from './lib/machine.js';
import { type PartResult, renderResults, writeResults } from './lib/report.js';
import { type BenchServer, ensurePg15Binaries, startDebian15, startEmbedded18 } from './lib/servers.js';
import { addThinTablespace, makeThinVolume, removeThinVolume } from './lib/thin.js';

const MB = 1024 ** 2;
const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

export interface BenchContext {
  quick: boolean;
  dir: string;
  cores: number;
  pg18: BenchServer;
  pg15: BenchServer | null;
  pg15Missing: string | null;
  data18: KeptData;
  data15: KeptData | null;
  /** The ~1 GB source on the thin volume (part 5), when there is one. */
  dataThin: KeptData | null;
}

const SIZE_CASES: Record<string, SizeCase> = {
  '100MB': { label: '100MB', targetBytes: 100 * MB, branchReps: 3 },
  '300MB': { label: '300MB', targetBytes: 300 * MB, branchReps: 2 },
  '1GB': { label: '1GB', targetBytes: 1024 * MB, branchReps: 2 },
  '4GB': { label: '4GB', targetBytes: 4096 * MB, branchReps: 2 },
};

function sizesFor(quick: boolean, large: boolean): SizeCase[] {
  // BENCH_SIZES=100MB,4GB runs only those (with --only, a targeted re-measurement).
  const only = process.env.BENCH_SIZES?.split(',').map((s) => SIZE_CASES[s.trim()]);
  if (only?.every(Boolean)) return only as SizeCase[];
  if (quick) return [{ label: '50MB', targetBytes: 50 * MB, branchReps: 2 }];
  const sizes: SizeCase[] = [
    { label: '100MB', targetBytes: 100 * MB, branchReps: 3 },
    { label: '1GB', targetBytes: 1024 * MB, branchReps: 2 },
  ];
  if (large) sizes.push({ label: '4GB', targetBytes: 4096 * MB, branchReps: 1 });
  return sizes;
}

/** Cleanup steps run in reverse order of registration, once, whatever ends the run. */
const cleanups: Array<{ what: string; run: () => Promise<void> }> = [];
let cleaning: Promise<void> | null = null;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const c = cleanups.pop()!;
      try {
        await c.run();
      } catch (err) {
        log(`cleanup: could not ${c.what}: ${(err as Error).message}`);
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping the servers and removing the bench directory`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** What pg_dump 15 says to the embedded PostgreSQL 18 (why the pg_restore rows run on PG15). */
async function dumpVersusNewerServer(pg15: BenchServer, pg18: BenchServer): Promise<string> {
  const u = new URL(pg18.url);
  const r = await execa(
    join(pg15.clientBin!, 'pg_dump'),
    ['--schema-only', '-h', u.hostname, '-p', u.port, '-U', u.username, 'postgres'],
    {
      env: { PGPASSWORD: decodeURIComponent(u.password) },
      reject: false,
    },
  );
  if (r.exitCode === 0) return 'pg_dump worked';
  const line =
    String(r.stderr)
      .split('\n')
      .find((l) => /version|mismatch/i.test(l)) ?? String(r.stderr).split('\n')[0];
  return `refused ("${line?.replace(/^pg_dump: (error: )?/, '').trim()}")`;
}

type Part = (b: BenchContext) => Promise<PartResult>;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const outAt = process.argv.indexOf('--out');
  const outFile = outAt > 0 && process.argv[outAt + 1] ? resolve(process.argv[outAt + 1]!) : RESULTS_FILE;
  const large = !quick && process.env.BENCH_LARGE === '1';
  const cores = cpus().length;
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-'));
  // The postgres OS user (the servers run as it when we are root) must reach the data directories.
  await chmod(dir, 0o755);
  cleanups.push({ what: `remove ${dir}`, run: () => rm(dir, { recursive: true, force: true }) });
  log(`${quick ? 'quick' : 'full'} run in ${dir}`);

  // The thin volume is made before the server that uses it, so cleanup unmounts it after the server stops.
  let thinVolume: { mountPoint: string; stateDir: string } | null = null;
  let thinMissing: string | null = quick ? 'quick mode makes no thin volume' : null;
  if (!quick) {
    const sizes = sizesFor(quick, large);
    const bytes = Math.max(...sizes.map((s) => s.targetBytes)) * 3 + 2 * 1024 * MB;
    const v = await makeThinVolume(dir, bytes);
    if (v.ok) {
      thinVolume = v;
      cleanups.push({ what: 'unmount and remove the thin volume', run: () => removeThinVolume(v) });
    } else {
      thinMissing = v.reason;
      log(`no thin volume: ${v.reason}`);
    }
  }

  const pg18 = await startEmbedded18(dir);
  cleanups.push({ what: 'stop the embedded PostgreSQL 18', run: () => pg18.stop() });
  cleanups.push({ what: 'stop on-demand servers', run: stopOnDemandServers });
  log(`started ${pg18.version}`);
  const machine = await describeMachine(pg18.dataDir);
  machine.servers.push(`${pg18.label}: ${pg18.version}`);

  let pg15: BenchServer | null = null;
  let pg15Missing: string | null = null;
  const bins = await ensurePg15Binaries();
  if (bins.ok) {
    pg15 = await startDebian15(dir);
    cleanups.push({ what: 'stop the Debian PostgreSQL 15', run: () => pg15!.stop() });
    machine.servers.push(
      `${pg15.label}: ${pg15.version}${bins.installed ? ' (installed by this run with apt-get)' : ''}`,
    );
    machine.clientTools = `Debian ${pg15.version.replace('PostgreSQL ', '')} (${pg15.clientBin}); against PostgreSQL 18: ${await dumpVersusNewerServer(pg15, pg18)}`;
    log(`started ${pg15.version}`);
  } else {
    pg15Missing = bins.reason;
    machine.clientTools = `none usable: ${bins.reason}`;
    log(`no PostgreSQL 15: ${bins.reason}`);
  }

  log('calibrating rows per MB with a 20 000-user sample');
  const usersFor = await calibrateUsers(pg18.url, 'bench_calibrate');

  const parts: PartResult[] = [];
  const failures: string[] = [];
  const thin = thinVolume ? await addThinTablespace(pg18, thinVolume) : null;
  const p1 = await freshCopy(
    { dir, cores, pg18, pg15, pg15Missing, sizes: sizesFor(quick, large), usersFor, thin, thinMissing },
    machine.reflinks,
  );
  parts.push(p1.part);
  const bench: BenchContext = {
    quick,
    dir,
    cores,
    pg18,
    pg15,
    pg15Missing,
    data18: p1.kept18,
    data15: p1.kept15,
    dataThin: p1.keptThin,
  };

  const later: Array<[string, () => Promise<Part>]> = [
    ['2. end to end', async () => (await import('./end-to-end.js')).endToEnd],
    ['3. cost of measuring', async () => (await import('./measuring-cost.js')).measuringCost],
    ['4. MCP', async () => (await import('./mcp.js')).mcpRoundTrips],
    ['5. against the ideal tool', async () => (await import('./ideal.js')).idealTool],
    ['6. workload mode', async () => (await import('./workload-overhead.js')).workloadOverhead],
    ['7. variants', async () => (await import('./variants.js')).variantsBench],
    ['8. MySQL branches', async () => (await import('./mysql-branch.js')).mysqlBranchesBench],
  ];
  // --only 1,5 runs part 1 and the listed later parts (a targeted re-measurement; pair it with --out).
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : null;
  for (const [name, load] of later) {
    if (interrupted) return;
    if (only && !only.includes(name.split('.')[0]!)) continue;
    try {
      const run = await load();
      parts.push(await run(bench));
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message}`);
      log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  // An interrupted run never overwrites RESULTS.md with a partial one.
  if (interrupted) return;
  finishMachine(machine, cores);
  const text = renderResults(
    machine,
    quick ? 'quick' : large ? 'full + BENCH_LARGE' : 'full',
    parts,
    failures,
  );
  await writeResults(outFile, text);
  process.stdout.write(text);
  log(`wrote ${outFile}`);
}

try {
  await main();
} catch (err) {
  // After Ctrl-C the servers go away under the running step; its error is expected noise.
  if (!interrupted) log(`bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = interrupted ? 130 : 1;
} finally {
  await cleanup();
}
