/**
 * `npm run soak [-- --quick] [--faults=N] [--only=kind,kind]`: inject faults into the CLI and the
 * MCP server at random points — kill -9, SIGHUP, SIGTERM, MCP cancellation, pg_terminate_backend
 * of the tool's own sessions, connection exhaustion, a killed shell step, a full disk, a server
 * restart, a vers failure — and after each, start the next command and check: nothing of the
 * tool's is left (registry entries, branch databases, roles, sessions, process groups, Vers VMs),
 * no result is lost, and the checkpoint's per-table checksums never change. The counts go into
 * bench/RESULTS.md. Runs the committed bundle (dist/cli.js, dist/server.js).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { ensureEmbedded, stopEmbedded } from '../src/backends/embedded.js';
import { configFromUrl, urlOf, withClient } from '../src/util/pg.js';
import { checkpointChecksums, localLeaks, readRegistry } from './lib/soak-checks.js';
import { type InjectContext, injectProcessFault } from './lib/soak-faults.js';
import { fullDisk, isMounted, mountSmallVolume, serverRestart, unmountVolume } from './lib/soak-infra.js';
import { writeResults } from './lib/soak-results.js';
import { countsOf, type FaultKind, KINDS, newTally, note, noteBadExit, rng } from './lib/soak-tally.js';
import {
  commitDigest,
  noteVersLeaks,
  setupVersWorld,
  teardownVers,
  type VersWorld,
  versFailure,
  versLeaks,
} from './lib/soak-vers.js';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const FAULTS = Number(process.argv.find((a) => a.startsWith('--faults='))?.slice(9) ?? (QUICK ? 60 : 120));
const ONLY = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',') as FaultKind[] | undefined;
const CLI = join(ROOT, 'dist/cli.js');
const SERVER = join(ROOT, 'dist/server.js');
const TABLES = ['users', 'orders'];
const STATE_VOLUME_KB = 2048;

const SEED_SQL = `CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, n int DEFAULT 0);
  INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 5000) g;
  CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric);
  INSERT INTO orders SELECT g, 1 + g % 5000, g * 1.5 FROM generate_series(1, 5000) g;`;
const SLOW_SQL =
  "UPDATE users SET n = n + 1 WHERE id <= 5000;\nSELECT pg_sleep(1);\nALTER TABLE users ADD COLUMN note text DEFAULT 'x';\nSELECT pg_sleep(0.5);\n";
const QUICK_SQL = 'CREATE INDEX ON orders (user_id);\nSELECT pg_sleep(0.3);\n';

async function main(): Promise<void> {
  if (!existsSync(CLI) || !existsSync(SERVER)) throw new Error('dist/ is missing: run `npm run build` first');
  let kinds = ONLY ?? KINDS;
  const seed = Number(process.env.SOAK_SEED ?? Date.now() % 100_000);
  const random = rng(seed);
  const started = Date.now();
  const root = await mkdtemp(join(tmpdir(), 'vers-db-soak-'));
  await chmod(root, 0o755);
  const serverHome = join(root, 'server');
  const project = join(root, 'project');
  const home = join(project, '.vers-db');
  await execa('mkdir', ['-p', project]);
  await chmod(project, 0o755);
  // The state directory lives on a small volume of its own: the full-disk fault fills it.
  const mounted = await mountSmallVolume(home, STATE_VOLUME_KB).then(
    () => true,
    (err: Error) => {
      process.stderr.write(
        `no full-disk faults: cannot mount a tmpfs volume (${err.message.split('\n')[0]}); run as root\n`,
      );
      return false;
    },
  );
  if (!mounted) kinds = kinds.filter((k) => k !== 'full disk');
  let vers: VersWorld | null = null;
  let versSetup: Promise<VersWorld> | null = null;
  const tally = newTally();
  const versSorts: Record<string, number> = {};
  try {
    const server = await ensureEmbedded(serverHome, { persistent: true });
    const admin = configFromUrl(server.url, 'postgres');
    const source = { ...admin, database: 'soak' };
    await withClient(admin, (c) => c.query('CREATE DATABASE soak'));
    await withClient(source, (c) => c.query(SEED_SQL));
    const env = {
      DATABASE_URL: urlOf(source),
      VERS_DB_HOME: home,
      NO_COLOR: '1',
      PATH: process.env.PATH ?? '',
    };
    const cli = (args: string[]) =>
      execa(process.execPath, [CLI, ...args], {
        cwd: project,
        env,
        extendEnv: false,
        reject: false,
        timeout: 120_000,
      });
    await writeFile(join(project, 'slow.sql'), SLOW_SQL);
    await writeFile(join(project, 'quick.sql'), QUICK_SQL);
    // Set up while the local checkpoint is made; awaited below.
    versSetup = kinds.includes('vers failure') ? setupVersWorld(root, CLI) : null;
    versSetup?.catch(() => undefined);
    const ck = await cli(['checkpoint', 'base']);
    if (ck.exitCode !== 0) throw new Error(`checkpoint failed: ${ck.stderr}`);
    const ckptDb = (await readRegistry(home)).checkpoints.base!.id;
    const checksums = async () => JSON.stringify(await checkpointChecksums(admin, ckptDb, TABLES));
    const reference = await checksums();
    if (versSetup) {
      vers = await versSetup;
      await writeFile(join(vers.project, 'slow.sql'), SLOW_SQL);
      await writeFile(join(vers.project, 'quick.sql'), QUICK_SQL);
    }
    const versReference = vers ? await commitDigest(vers) : '';

    for (let i = 0; i < FAULTS; i++) {
      const kind = kinds[i % kinds.length]!;
      const counts = countsOf(tally, kind);
      const faultStarted = Date.now();
      counts.faults++;
      const delay = 200 + Math.floor(random() * (QUICK ? 1600 : 2800));
      const label = `#${i + 1} ${kind} after ${delay} ms`;
      const c: InjectContext = { cli, admin, env, project, server: SERVER, tally, kind, label };
      if (kind === 'vers failure' && vers) {
        const sort = await versFailure(vers, counts.faults - 1, delay, { tally, kind, label });
        versSorts[sort] = (versSorts[sort] ?? 0) + 1;
        const next = await vers.cli(['branches', '--json']);
        noteBadExit(tally, kind, label, next);
        noteVersLeaks(tally, kind, label, await versLeaks(vers));
        counts.checksumChecks++;
        tally.checksumChecks++;
        if ((await commitDigest(vers)) !== versReference) {
          counts.checksumChanges++;
          tally.checksumChanges++;
        }
      } else {
        if (kind === 'full disk') await fullDisk(delay, home, c);
        else if (kind === 'server restart')
          await serverRestart(delay, home, serverHome, counts.faults % 2 === 0, c);
        else await injectProcessFault(kind, delay, c);
        // The next command starts: it must clean up after whatever the fault left.
        const next = await cli(['branches', '--json']);
        noteBadExit(tally, kind, label, next);
        for (const leak of await localLeaks(admin, home, await readRegistry(home)))
          note(tally, kind, 'leaks', `${label}: ${leak}`);
        counts.checksumChecks++;
        tally.checksumChecks++;
        if ((await checksums()) !== reference) {
          counts.checksumChanges++;
          tally.checksumChanges++;
        }
      }
      counts.seconds = Math.round((counts.seconds + (Date.now() - faultStarted) / 1000) * 10) / 10;
      process.stderr.write(
        `${label}: leaks ${tally.leaks.length}, lost ${tally.lostResults.length}, unclear ${tally.badExits.length}\n`,
      );
    }
  } finally {
    await versSetup?.catch(() => undefined);
    teardownVers(root); // every fake VM's PostgreSQL stopped, even after a failed setup
    await stopEmbedded(serverHome).catch(() => undefined);
    if (mounted) await unmountVolume(home);
    if (await isMounted(home))
      note(tally, 'full disk', 'leaks', `the soak's volume at ${home} is still mounted`);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const total = Object.values(tally.kinds).reduce((a, k) => a + k.faults, 0);
  const summary = { mode: QUICK ? 'quick' : 'full', seed, seconds, total, versSorts, ...tally };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (!ONLY) await writeResults(join(ROOT, 'bench/RESULTS.md'), summary);
  if (tally.leaks.length || tally.lostResults.length || tally.checksumChanges || tally.badExits.length)
    process.exit(1);
}

await main();
