/**
 * Part 8: MySQL/MariaDB branches against a `mariadb-dump` reload, at the same size, side by side.
 * On a tool-owned MariaDB loaded with the use case's example (examples/mysql/) at ~100 MB (and
 * ~1 GB in full mode), measured with the engine's own functions (src/engines/mysql/branch.ts):
 *   - checkpoint: clean shutdown of the source + physical copy of its data directory + restart;
 *   - branch: copy of the checkpoint + start of its own mariadbd, until it accepts the tool user;
 *   - reload: a fresh server (initialise + start), then `mariadb < dump.sql` (the dump made once
 *     with `mariadb-dump --single-transaction`, timed apart), until the data is there.
 * Where this user can mount a loopback XFS volume with reflinks (root, not a container), the same
 * rows are measured there too: copies are then reflinks (shared blocks), as in `vers-db up --thin`.
 * Standalone: `node --import tsx bench/mysql-branch.ts [--quick] [--sizes 100MB,1GB] [--no-thin]`
 * prints the section's markdown.
 */
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { supportsReflinks } from '../src/backends/local-clone.js';
import { loadMysqlExample } from '../src/cli/demo/mysql-example.js';
import { examplesDir } from '../src/cli/demo.js';
import { branchServer, copyServer, destroyServer } from '../src/engines/mysql/branch.js';
import { withMysql } from '../src/engines/mysql/client.js';
import { bufferPoolFor } from '../src/engines/mysql/options.js';
import { startServer, stopServer } from '../src/engines/mysql/server.js';
import { log } from './lib/log.js';
import {
  databaseBytes,
  mariadbVersion,
  mysqlDump,
  mysqlReload,
  mysqlUsersFor,
  startBenchServer,
} from './lib/mysql.js';
import { markdownTable, type PartResult, type Table, type Target } from './lib/report.js';
import { makeThinVolume, removeThinVolume, volumeUsed } from './lib/thin.js';
import { fmtBytes, fmtMs, median, ratio, timed } from './lib/timing.js';
import type { BenchContext } from './run.js';

const MB = 1024 ** 2;
const DATABASE = 'bench';

export interface Size {
  label: string;
  bytes: number;
  branchReps: number;
}

const SIZES: Record<string, Size> = {
  '50MB': { label: '50MB', bytes: 50 * MB, branchReps: 2 },
  '100MB': { label: '100MB', bytes: 100 * MB, branchReps: 3 },
  '1GB': { label: '1GB', bytes: 1024 * MB, branchReps: 2 },
};

interface Row {
  size: string;
  storage: string;
  reflinked: boolean;
  users: number;
  tableBytes: number;
  dataDirBytes: number;
  loadMs: number;
  checkpoint: { stopMs: number; copyMs: number; restartMs: number; totalMs: number };
  branches: Array<{ copyMs: number; startMs: number; totalMs: number }>;
  /** Disk the branches took on the volume, per branch (thin only). */
  diskPerBranch: number | null;
  dumpMs: number;
  dumpBytes: number;
  reload: { freshServerMs: number; loadMs: number; totalMs: number };
}

const loadText = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const branchMedian = (r: Row) => median(r.branches.map((b) => b.totalMs));

async function countUsers(settings: Parameters<typeof withMysql>[0]): Promise<number> {
  return withMysql({ ...settings, database: DATABASE }, async (c) => {
    const [rows] = await c.query('SELECT COUNT(*) AS n FROM users');
    return Number((rows as Array<{ n: string }>)[0]?.n);
  });
}

/** One size on one storage: load, checkpoint, branches, dump, reload; every server destroyed after. */
async function measureAt(
  base: string,
  size: Size,
  storage: string,
  usersFor: ((bytes: number) => number) | null,
  volume: string | null,
): Promise<{ row: Row; usersFor: (bytes: number) => number }> {
  await mkdir(base, { recursive: true, mode: 0o755 });
  const roots = { source: join(base, 'source'), ckpt: join(base, 'ckpt'), fresh: join(base, 'fresh') };
  const branchRoots: string[] = [];
  const pool = bufferPoolFor(size.bytes * 1.3);
  try {
    const source = await startBenchServer(roots.source, pool);
    const perUser = usersFor ?? (await mysqlUsersFor(source.settings));
    const users = perUser(size.bytes);
    log(`mysql ${size.label} (${storage}): loading ${users.toLocaleString('en-US')} users`);
    const load = await timed(() => loadMysqlExample(source.settings, examplesDir(), DATABASE, users));
    const tableBytes = await databaseBytes(source.settings, DATABASE);

    // Checkpoint: clean shutdown, copy, restart (what the backend does).
    const stop = await timed(() => stopServer(roots.source));
    const copy = await timed(() => copyServer(roots.source, roots.ckpt));
    const restart = await timed(() => startServer(roots.source, { bufferPoolBytes: pool }));
    const checkpoint = {
      stopMs: stop.ms,
      copyMs: copy.ms,
      restartMs: restart.ms,
      totalMs: stop.ms + copy.ms + restart.ms,
    };
    log(`mysql ${size.label} (${storage}): checkpoint ${fmtMs(checkpoint.totalMs)}`);

    const usedBefore = volume ? await volumeUsed(volume) : 0;
    const branches: Row['branches'] = [];
    for (let i = 0; i < size.branchReps; i++) {
      const root = join(base, `branch-${i + 1}`);
      branchRoots.push(root);
      const b = await timed(() => branchServer(roots.ckpt, root));
      branches.push({ copyMs: b.value.copy.elapsedMs, startMs: b.value.startMs, totalMs: b.ms });
      if (i === 0 && (await countUsers(b.value.server.settings)) !== users) {
        throw new Error(`the branch of ${size.label} does not hold the ${users} users`);
      }
      log(`mysql ${size.label} (${storage}): branch ${i + 1} in ${fmtMs(b.ms)}`);
    }
    const diskPerBranch = volume ? ((await volumeUsed(volume)) - usedBefore) / size.branchReps : null;
    for (const root of branchRoots.splice(0)) await destroyServer(root);

    const dumpFile = join(base, 'dump.sql');
    const dumpMs = await mysqlDump(restart.value.settings, DATABASE, dumpFile);
    const dumpBytes = (await stat(dumpFile)).size;
    const fresh = await timed(() => startBenchServer(roots.fresh, pool));
    const reloadMs = await mysqlReload(fresh.value.settings, dumpFile);
    if ((await countUsers(fresh.value.settings)) !== users) throw new Error('the reload lost users');
    await rm(dumpFile, { force: true });
    log(`mysql ${size.label} (${storage}): reload ${fmtMs(fresh.ms + reloadMs)}`);

    const row: Row = {
      size: size.label,
      storage,
      reflinked: await supportsReflinks(base),
      users,
      tableBytes,
      dataDirBytes: copy.value.bytes,
      loadMs: load.ms,
      checkpoint,
      branches,
      diskPerBranch,
      dumpMs,
      dumpBytes,
      reload: { freshServerMs: fresh.ms, loadMs: reloadMs, totalMs: fresh.ms + reloadMs },
    };
    return { row, usersFor: perUser };
  } finally {
    for (const root of [...branchRoots, roots.fresh, roots.ckpt, roots.source]) {
      await destroyServer(root).catch((err: Error) => log(`mysql: cannot remove ${root}: ${err.message}`));
    }
  }
}

export async function measureMysqlBranches(
  dir: string,
  sizes: Size[],
  thin: boolean,
): Promise<{ rows: Row[]; thinMissing: string | null; load: string }> {
  const rows: Row[] = [];
  const loadAtStart = loadText();
  let usersFor: ((bytes: number) => number) | null = null;
  for (const size of sizes) {
    const r = await measureAt(join(dir, `mysql-${size.label}`), size, 'copy', usersFor, null);
    usersFor = r.usersFor;
    rows.push(r.row);
  }
  const load = () => `${loadAtStart} at the start, ${loadText()} at the end`;
  if (!thin) return { rows, thinMissing: 'not asked for (--no-thin)', load: load() };
  const largest = Math.max(...sizes.map((s) => s.bytes));
  // Source, checkpoint, fresh server and the dump at full size; branches share their blocks.
  const v = await makeThinVolume(join(dir, 'mysql-thin'), largest * 5 + 1024 * MB);
  if (!v.ok) return { rows, thinMissing: v.reason, load: load() };
  try {
    for (const size of sizes) {
      const r = await measureAt(join(v.mountPoint, size.label), size, 'thin', usersFor, v.mountPoint);
      rows.push(r.row);
    }
  } finally {
    await removeThinVolume(v);
  }
  return { rows, thinMissing: null, load: load() };
}

function storageLabel(r: Row): string {
  const kind = r.storage === 'thin' ? 'loop XFS (`up --thin`)' : 'state directory';
  return `${kind}: ${r.reflinked ? 'reflinked' : 'full copy'}`;
}

export function mysqlTable(rows: Row[]): Table {
  return {
    head: [
      'size',
      'copies',
      'tables / data dir',
      'checkpoint (stop + copy + restart)',
      'branch (copy + start), median',
      'dump + reload into a fresh server (init + start + load)',
      'branch vs reload',
      'disk per branch',
    ],
    rows: rows.map((r) => [
      `${r.size} (${r.users.toLocaleString('en-US')} users)`,
      storageLabel(r),
      `${fmtBytes(r.tableBytes)} / ${fmtBytes(r.dataDirBytes)}`,
      `${fmtMs(r.checkpoint.totalMs)} (${fmtMs(r.checkpoint.stopMs)} + ${fmtMs(r.checkpoint.copyMs)} + ${fmtMs(r.checkpoint.restartMs)})`,
      `${fmtMs(branchMedian(r))} (${fmtMs(median(r.branches.map((b) => b.copyMs)))} + ${fmtMs(median(r.branches.map((b) => b.startMs)))}; ${r.branches.length} runs: ${r.branches.map((b) => fmtMs(b.totalMs)).join(', ')})`,
      `dump ${fmtMs(r.dumpMs)} (${fmtBytes(r.dumpBytes)}), once; reload ${fmtMs(r.reload.totalMs)} (${fmtMs(r.reload.freshServerMs)} + ${fmtMs(r.reload.loadMs)})`,
      `**${ratio(r.reload.totalMs, branchMedian(r))}** (${ratio(r.reload.loadMs, branchMedian(r))} against the load alone)`,
      r.diskPerBranch === null
        ? `${fmtBytes(r.dataDirBytes)} (a full copy)`
        : fmtBytes(Math.max(0, r.diskPerBranch)),
    ]),
  };
}

function targets(rows: Row[]): Target[] {
  return rows
    .filter((r) => r.storage === 'copy' || r.reflinked)
    .map((r) => ({
      name: `MySQL branch vs mariadb-dump reload, ${r.size}${r.storage === 'thin' ? ' (thin)' : ''}`,
      target: 'faster than the reload (issue 12 reports it)',
      measured: `${ratio(r.reload.totalMs, branchMedian(r))} (branch ${fmtMs(branchMedian(r))} vs reload ${fmtMs(r.reload.totalMs)}, ${fmtBytes(r.tableBytes)} of tables)`,
      met: branchMedian(r) < r.reload.totalMs,
      why: r.reflinked ? 'reflinked copies' : 'a full copy of the data directory per branch',
    }));
}

export function mysqlSection(
  rows: Row[],
  version: string,
  thinMissing: string | null,
  load: string,
): PartResult {
  return {
    section: {
      title: '8. MySQL branches vs mysqldump reload',
      intro: [
        `MariaDB ${version}, tool-owned servers (src/engines/mysql/) loaded with examples/mysql/ (users + twice as many`,
        "orders, generated on the server). A branch is a copy of the checkpoint's data directory served by its own",
        '`mariadbd`, timed until it accepts connections; the reload is what a reset loop without branches does: a fresh',
        'server, then `mariadb < dump.sql` from a `mariadb-dump --single-transaction` made once (its time shown apart).',
        `Load average (1, 5, 15 min) on this 2-core machine: ${load}.`,
      ],
      tables: [mysqlTable(rows)],
      notes: [
        'Without reflinks a branch copies every byte of the data directory (including the 32 MB redo log and the system tablespace), so its time grows with the data; with reflinks the copy shares blocks and the server start dominates.',
        'The reload replays every row and rebuilds every index in one session; the "load alone" ratio leaves out the fresh server\'s initialisation and start, as if one server were kept and only its database reloaded.',
        ...(thinMissing ? [`No thin rows: ${thinMissing}.`] : []),
      ],
    },
    targets: targets(rows),
  };
}

export async function mysqlBranchesBench(b: BenchContext): Promise<PartResult> {
  const sizes = b.quick ? [SIZES['50MB']!] : [SIZES['100MB']!, SIZES['1GB']!];
  const { rows, thinMissing, load } = await measureMysqlBranches(b.dir, sizes, !b.quick);
  return mysqlSection(
    rows,
    await mariadbVersion(),
    b.quick ? 'quick mode makes no thin volume' : thinMissing,
    load,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--sizes');
  const labels = at > 0 ? (process.argv[at + 1] ?? '').split(',') : ['100MB'];
  const sizes = labels.map((l) => SIZES[l.trim()]).filter((s): s is Size => s !== undefined);
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-mysql-'));
  await import('node:fs/promises').then((fs) => fs.chmod(dir, 0o755));
  try {
    const { rows, thinMissing, load } = await measureMysqlBranches(
      dir,
      sizes,
      !process.argv.includes('--no-thin'),
    );
    const part = mysqlSection(rows, await mariadbVersion(), thinMissing, load);
    process.stdout.write(`## ${part.section.title}\n\n${part.section.intro.join('\n')}\n\n`);
    process.stdout.write(`${markdownTable(part.section.tables[0]!)}\n\n`);
    process.stdout.write(`${part.section.notes.map((n) => `- ${n}`).join('\n')}\n\n`);
    process.stdout.write(
      `${markdownTable({ head: ['target', 'goal', 'measured', 'met', 'why'], rows: part.targets.map((t) => [t.name, t.target, t.measured, String(t.met), t.why]) })}\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
