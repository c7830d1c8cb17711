/**
 * Part 5 — vers-db against the physical limit: the three use-case strategies at ~1 GB on thin
 * branches, against an ideal, zero-cost tool that loads once and then only runs the migrations
 * and validations, one after another, each on a fresh copy it gets for free. The overhead is
 * everything vers-db adds: checkpoint, branches, snapshots, the collector with its default
 * probes (no workload), dropping branches.
 */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createContext } from '../src/core/context.js';
import { createCheckpoint, testStrategies } from '../src/core/index.js';
import type { Comparison } from '../src/result.js';
import { quoteIdent, urlOf, withClient } from '../src/util/pg.js';
import { admin, dropDatabase, inDatabase, STRATEGY_FILES } from './lib/data.js';
import { log } from './lib/log.js';
import { PhaseClock } from './lib/phases.js';
import type { PartResult, Target } from './lib/report.js';
import type { BenchServer } from './lib/servers.js';
import { setServerFsync } from './lib/thin.js';
import { fmtBytes, fmtMs, timed } from './lib/timing.js';
import { benchEnv } from './lib/vers.js';
import type { BenchContext } from './run.js';

const VALIDATE_SQL = fileURLToPath(new URL('./sql/validate.sql', import.meta.url));
const TITLE = '5. Against the ideal tool: strategies A, B and C on thin branches';
const TARGET = 'overhead vs an ideal zero-cost tool (1 GB; BENCH_IDEAL_SIZE)';

function pgEnv(server: BenchServer, database: string): Record<string, string> {
  const u = new URL(server.url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: database,
    DATABASE_URL: urlOf(inDatabase(server.url, database)),
  };
}

interface IdealStep {
  strategy: string;
  migrateMs: number;
  validateMs: number;
  passed: boolean;
}

/** Per strategy: a free clone (not timed), psql -f the migration, validate (timed), drop (not timed). */
async function idealRun(server: BenchServer, source: string, validateArgs: string[]): Promise<IdealStep[]> {
  const steps: IdealStep[] = [];
  for (const file of STRATEGY_FILES) {
    const db = 'bench_ideal_copy';
    await withClient(admin(server.url), async (c) => {
      await c.query("SET file_copy_method = 'clone'");
      await c.query(`CREATE DATABASE ${quoteIdent(db)} TEMPLATE ${quoteIdent(source)} STRATEGY FILE_COPY`);
    });
    const env = pgEnv(server, db);
    const migrate = await timed(() =>
      execa('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file], { env }),
    );
    const validate = await timed(() => execa('psql', validateArgs, { env, reject: false }));
    steps.push({
      strategy: basename(file, '.sql'),
      migrateMs: migrate.ms,
      validateMs: validate.ms,
      passed: validate.value.exitCode === 0,
    });
    await dropDatabase(server.url, db);
  }
  return steps;
}

interface VersRun {
  label: string;
  checkpointMs: number;
  testMs: number;
  comparison: Comparison;
  phases: Map<string, number>;
}

async function versRun(
  b: BenchContext,
  source: string,
  validation: string,
  fsyncOff: boolean,
): Promise<VersRun> {
  const server = b.pg18;
  // Reached through DATABASE_URL, the backend cannot probe the server's files: clone is named here;
  // on a `vers-db up --thin` state directory it is chosen by itself.
  // The validation is the bench's own script: trusted, so it runs as root (VERS_DB_COMMAND_USER=root) from b.dir.
  const ctx = createContext({
    env: {
      ...benchEnv(server, source, `${b.dir}/vers-db-state-ideal`, 'clone'),
      VERS_DB_COMMAND_USER: 'root',
    },
    cwd: b.dir,
    log: () => {},
  });
  const tag = fsyncOff ? 'ideal-nofsync' : 'ideal';
  try {
    if (fsyncOff) await setServerFsync(server.url, false);
    const ckpt = await timed(() => createCheckpoint(ctx, { tag }));
    const clock = new PhaseClock();
    const test = await timed(() =>
      testStrategies(ctx, {
        baseline: tag,
        migrations: STRATEGY_FILES.map((f) => ({ migration: f, kind: 'file' as const })),
        validation,
        createdBy: 'vers-db bench',
        onProgress: clock.onProgress,
      }),
    );
    return {
      label: fsyncOff ? 'vers-db serial, thin, fsync off' : 'vers-db serial, thin',
      checkpointMs: ckpt.ms,
      testMs: test.ms,
      comparison: test.value,
      phases: clock.totals(),
    };
  } finally {
    await (await ctx.backend()).deleteCheckpoint(tag, { force: true }).catch(() => undefined);
    await ctx.close();
    if (fsyncOff) await setServerFsync(server.url, true);
  }
}

export async function idealTool(b: BenchContext): Promise<PartResult> {
  const data = b.dataThin;
  if (!data) {
    const why =
      'needs the ~1 GB source on the thin volume (full mode, as root, with loop devices and xfsprogs)';
    return {
      section: { title: TITLE, intro: [], tables: [], notes: [`Skipped: ${why}.`] },
      targets: [{ name: TARGET, target: '≤ 15 %', measured: '—', met: null, why }],
    };
  }
  const validateArgs = [
    '-X',
    '-q',
    '-v',
    'ON_ERROR_STOP=1',
    '-v',
    `expected_users=${data.users}`,
    '-v',
    `expected_orders=${data.orders}`,
    '-f',
    VALIDATE_SQL,
  ];
  const validation = ['psql', ...validateArgs].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  log('ideal tool: free clones, then psql -f and the validation only');
  const ideal = await idealRun(b.pg18, data.database, validateArgs);
  log('vers-db: checkpoint + test A, B and C on thin branches (fsync on)');
  const runs = [await versRun(b, data.database, validation, false)];
  log('vers-db: the same with fsync off');
  runs.push(await versRun(b, data.database, validation, true));
  await dropDatabase(b.pg18.url, data.database);
  return report(data, ideal, runs);
}

function report(
  data: NonNullable<BenchContext['dataThin']>,
  ideal: IdealStep[],
  runs: VersRun[],
): PartResult {
  const load = data.loadMs ?? 0;
  const idealWork = ideal.reduce((a, s) => a + s.migrateMs + s.validateMs, 0);
  const pct = (v: number, base: number) => `${(((v - base) / base) * 100).toFixed(1)} %`;
  const rows = [
    [
      'ideal tool: load once, then migrations + validations',
      fmtMs(load),
      '—',
      fmtMs(idealWork),
      fmtMs(load + idealWork),
      '0 %',
      '0 %',
    ],
    ...runs.map((r) => [
      r.label,
      fmtMs(load),
      fmtMs(r.checkpointMs),
      fmtMs(r.testMs),
      fmtMs(load + r.checkpointMs + r.testMs),
      pct(load + r.checkpointMs + r.testMs, load + idealWork),
      pct(r.checkpointMs + r.testMs, idealWork),
    ]),
  ];
  const perStrategy = ideal.map((s, i) => [
    s.strategy,
    `${fmtMs(s.migrateMs)} + ${fmtMs(s.validateMs)} ${s.passed ? 'passed' : 'FAILED'}`,
    ...runs.map((r) => {
      const x = r.comparison.results[i];
      return x ? `${fmtMs(x.duration_ms)} migration, ${x.status}` : '—';
    }),
  ]);
  const phaseNames = [...new Set(runs.flatMap((r) => [...r.phases.keys()]))];
  const main = runs[0]!;
  const overhead = (main.checkpointMs + main.testMs - idealWork) / (load + idealWork);
  const overheadAfterLoad = (main.checkpointMs + main.testMs - idealWork) / idealWork;
  const top = [...main.phases.entries()]
    .filter(([n]) => n !== 'migration statements' && n !== 'validation command')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([n, ms]) => `${n} ${fmtMs(ms)}`)
    .join(', ');
  const allPassed =
    ideal.every((s) => s.passed) &&
    runs.every((r) => r.comparison.results.every((x) => x.status === 'passed'));
  const target: Target = {
    name: TARGET,
    target: '≤ 15 % (load included, as both load once)',
    measured: `+${(overhead * 100).toFixed(1)} % (vers-db ${fmtMs(load + main.checkpointMs + main.testMs)} vs ideal ${fmtMs(load + idealWork)}; after the load +${(overheadAfterLoad * 100).toFixed(0)} %; ${fmtBytes(data.bytes)})`,
    met: allPassed ? overhead <= 0.15 : false,
    why: !allPassed
      ? 'a migration or validation failed: the comparison is not valid'
      : `What vers-db adds beyond the migrations, largest first: ${top}. Loading ${fmtMs(load)} is common to both.`,
  };
  return {
    section: {
      title: TITLE,
      intro: [
        `PG18 embedded, ${fmtBytes(data.bytes)} (${data.users.toLocaleString('en-US')} users) on the loopback XFS volume, branches by FILE_COPY + clone.`,
        'The ideal tool loads once and gets every fresh copy for free (made outside its time); it runs each migration with psql -f',
        'and the same validation (bench/sql/validate.sql). vers-db: checkpoint, then `testStrategies` serially with its collector',
        '(lock sampler, read and write probes, snapshots, exact row counts), the same validation, branches dropped.',
      ],
      tables: [
        {
          head: [
            'wall time',
            'load (generate)',
            'checkpoint',
            'strategies A, B, C',
            'total',
            'overhead',
            'overhead after the load',
          ],
          rows,
        },
        { head: ['strategy', 'ideal: psql -f + validate', ...runs.map((r) => r.label)], rows: perStrategy },
        {
          head: ['where vers-db spent its time (3 strategies)', ...runs.map((r) => r.label)],
          rows: phaseNames.map((n) => [n, ...runs.map((r) => fmtMs(r.phases.get(n) ?? 0))]),
        },
      ],
      notes: [
        'The bench reaches its server through DATABASE_URL, where vers-db cannot probe the files, so VERS_DB_CLONE_STRATEGY=clone is set; on a `vers-db up --thin` state directory the backend chooses clone by itself.',
      ],
    },
    targets: [target],
  };
}
