/**
 * `npm run soak [-- --quick]`: inject faults into the CLI and the MCP server at random points —
 * kill -9, SIGHUP, SIGTERM, MCP cancellation, pg_terminate_backend of the tool's own sessions,
 * connection exhaustion, a killed shell step — and after each, start the next command and check:
 * nothing of the tool's is left (registry entries, branch databases, roles, sessions, process
 * groups), no result is lost, and the checkpoint's per-table checksums never change. The counts
 * go into bench/RESULTS.md. Runs the committed bundle (dist/cli.js, dist/server.js).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execa } from 'execa';
import pg from 'pg';
import { ensureEmbedded, stopEmbedded } from '../src/backends/embedded.js';
import { processAlive } from '../src/state/children.js';
import { configFromUrl, quoteIdent, urlOf, withClient } from '../src/util/pg.js';

const ROOT = resolve(import.meta.dirname, '..');
const QUICK = process.argv.includes('--quick');
const FAULTS = Number(process.argv.find((a) => a.startsWith('--faults='))?.slice(9) ?? (QUICK ? 60 : 120));
const CLI = join(ROOT, 'dist/cli.js');
const SERVER = join(ROOT, 'dist/server.js');

type FaultKind =
  | 'kill -9'
  | 'SIGHUP'
  | 'SIGTERM'
  | 'kill -9 in a shell step'
  | 'MCP cancellation'
  | 'pg_terminate_backend'
  | 'connection exhaustion';
const KINDS: FaultKind[] = [
  'kill -9',
  'SIGHUP',
  'SIGTERM',
  'kill -9 in a shell step',
  'MCP cancellation',
  'pg_terminate_backend',
  'connection exhaustion',
];

/** A small deterministic generator, so a run can be repeated (seed printed). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Tally {
  faults: Record<string, number>;
  leaks: string[];
  lostResults: string[];
  checksumChanges: number;
  checksumChecks: number;
  badExits: string[];
}

async function main(): Promise<void> {
  if (!existsSync(CLI) || !existsSync(SERVER)) throw new Error('dist/ is missing: run `npm run build` first');
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
  const server = await ensureEmbedded(serverHome, { persistent: true });
  const admin = configFromUrl(server.url, 'postgres');
  const source = { ...admin, database: 'soak' };
  const tally: Tally = {
    faults: {},
    leaks: [],
    lostResults: [],
    checksumChanges: 0,
    checksumChecks: 0,
    badExits: [],
  };
  try {
    await withClient(admin, (c) => c.query('CREATE DATABASE soak'));
    await withClient(source, (c) =>
      c.query(`CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, n int DEFAULT 0);
               INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 5000) g;
               CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric);
               INSERT INTO orders SELECT g, 1 + g % 5000, g * 1.5 FROM generate_series(1, 5000) g;`),
    );
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
    await writeFile(
      join(project, 'slow.sql'),
      "UPDATE users SET n = n + 1 WHERE id <= 5000;\nSELECT pg_sleep(1);\nALTER TABLE users ADD COLUMN note text DEFAULT 'x';\nSELECT pg_sleep(0.5);\n",
    );
    await writeFile(join(project, 'quick.sql'), 'CREATE INDEX ON orders (user_id);\nSELECT pg_sleep(0.3);\n');
    const ck = await cli(['checkpoint', 'base']);
    if (ck.exitCode !== 0) throw new Error(`checkpoint failed: ${ck.stderr}`);
    const registry = async () =>
      JSON.parse(await readFile(join(home, 'registry.json'), 'utf8')) as {
        instance: string;
        checkpoints: Record<string, { id: string; owner?: string }>;
        branches: Record<string, { keep: boolean }>;
      };
    const { instance, checkpoints } = await registry();
    const ckptDb = checkpoints.base!.id;
    const checksums = () => checkpointChecksums(admin, ckptDb);
    const reference = await checksums();

    for (let i = 0; i < FAULTS; i++) {
      const kind = KINDS[i % KINDS.length]!;
      tally.faults[kind] = (tally.faults[kind] ?? 0) + 1;
      const delay = 200 + Math.floor(random() * (QUICK ? 1600 : 2800));
      const label = `#${i + 1} ${kind} after ${delay} ms`;
      await inject(kind, delay, { cli, admin, env, project, tally, label });
      // The next command starts: it must clean up after whatever the fault left.
      const next = await cli(['branches', '--json']);
      if (next.exitCode !== 0)
        tally.badExits.push(`${label}: next command exited ${next.exitCode}: ${next.stderr.slice(-300)}`);
      for (const leak of await leaks(admin, home, instance, await registry()))
        tally.leaks.push(`${label}: ${leak}`);
      if (i % 10 === 9 || i === FAULTS - 1) {
        tally.checksumChecks++;
        const now = await checksums();
        if (JSON.stringify(now) !== JSON.stringify(reference)) tally.checksumChanges++;
      }
      process.stderr.write(`${label}: leaks ${tally.leaks.length}, lost ${tally.lostResults.length}\n`);
    }
  } finally {
    await stopEmbedded(serverHome).catch(() => undefined);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const total = Object.values(tally.faults).reduce((a, b) => a + b, 0);
  const summary = { mode: QUICK ? 'quick' : 'full', seed, seconds, total, ...tally };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  await writeResults(summary);
  if (tally.leaks.length || tally.lostResults.length || tally.checksumChanges || tally.badExits.length)
    process.exit(1);
}

interface InjectContext {
  cli: (args: string[]) => ReturnType<typeof execa>;
  admin: pg.ClientConfig;
  env: Record<string, string>;
  project: string;
  tally: Tally;
  label: string;
}

async function inject(kind: FaultKind, delay: number, c: InjectContext): Promise<void> {
  switch (kind) {
    case 'kill -9':
    case 'SIGHUP':
    case 'SIGTERM': {
      const run = c.cli(['test', 'base', 'slow.sql']);
      await sleep(delay);
      run.kill(kind === 'kill -9' ? 'SIGKILL' : kind);
      const r = await run;
      // A signal before the CLI installed its handlers ends it by the signal: nothing was made yet.
      const early = r.exitCode === undefined && r.signal === kind;
      if (kind !== 'kill -9' && !early && ![0, 1, 130].includes(r.exitCode ?? -1))
        c.tally.badExits.push(`${c.label}: exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
      return;
    }
    case 'kill -9 in a shell step': {
      const run = c.cli(['test', 'base', '--kind', 'command', 'sleep 20']);
      await sleep(delay + 1000);
      run.kill('SIGKILL');
      await run;
      return;
    }
    case 'MCP cancellation': {
      const client = new Client({ name: 'soak', version: '0' });
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: [SERVER],
        cwd: c.project,
        env: c.env,
        stderr: 'ignore',
      });
      await client.connect(transport);
      const abort = new AbortController();
      const call = client
        .callTool(
          { name: 'db_migration_test', arguments: { baseline: 'base', migration: 'slow.sql' } },
          undefined,
          {
            signal: abort.signal,
            timeout: 120_000,
          },
        )
        .catch(() => null);
      await sleep(delay);
      abort.abort();
      await call;
      await sleep(800); // the server cancels the statement and removes the branch
      await client.close();
      return;
    }
    case 'pg_terminate_backend': {
      const run = c.cli(['test', 'base', 'slow.sql', 'quick.sql', '--json']);
      await sleep(delay);
      await withClient(
        c.admin,
        (db) =>
          db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name LIKE 'vers-db%' AND pid <> pg_backend_pid()`,
          ),
        'soak',
      );
      const r = await run;
      countResults(c, r, 2);
      return;
    }
    case 'connection exhaustion': {
      // Leave only a handful of connections free while a test runs: it must queue or fail clearly.
      const hogs: pg.Client[] = [];
      try {
        const free = await withClient(
          c.admin,
          async (db) =>
            Number(
              (
                await db.query<{ free: number }>(
                  `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                   - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int - 1 AS free`,
                )
              ).rows[0]!.free,
            ),
          'soak',
        );
        for (let k = 0; k < free - 6; k++) {
          const h = new pg.Client({ ...c.admin, application_name: 'soak-hog' });
          await h.connect();
          hogs.push(h);
        }
        const r = await c.cli(['test', 'base', 'quick.sql', '--json']);
        countResults(c, r, 1);
      } finally {
        await Promise.all(hogs.map((h) => h.end().catch(() => undefined)));
      }
      return;
    }
  }
}

/** Exit 0/1 must come with every strategy's result; exit 3 must be a clear error, not a crash. */
function countResults(
  c: InjectContext,
  r: { exitCode?: number; stdout: unknown; stderr: unknown },
  expected: number,
) {
  const stdout = String(r.stdout);
  if (r.exitCode === 0 || r.exitCode === 1) {
    let got = 0;
    try {
      got = (JSON.parse(stdout) as { results: unknown[] }).results.length;
    } catch {
      got = 0;
    }
    if (got < expected)
      c.tally.lostResults.push(`${c.label}: ${expected - got} of ${expected} results missing`);
  } else if (r.exitCode === 3) {
    if (/\n\s+at /.test(String(r.stderr))) c.tally.badExits.push(`${c.label}: a stack trace`);
    c.tally.lostResults.push(`${c.label}: no results (exit 3: ${String(r.stderr).trim().split('\n')[0]})`);
  } else {
    c.tally.badExits.push(`${c.label}: exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
  }
}

/** Everything of the tool's that should not exist once the next command has started. */
async function leaks(
  admin: pg.ClientConfig,
  home: string,
  instance: string,
  reg: { checkpoints: Record<string, { owner?: string }>; branches: Record<string, { keep: boolean }> },
): Promise<string[]> {
  const out: string[] = [];
  for (const [name, b] of Object.entries(reg.branches))
    if (!b.keep) out.push(`registry entry for branch ${name}`);
  const prefix = `vdb_${instance}_`;
  const known = new Set(Object.values(reg.checkpoints).map((c) => c.owner));
  await withClient(
    admin,
    async (db) => {
      const dbs = await db.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${prefix}b_%`],
      );
      for (const r of dbs.rows) out.push(`database ${r.datname}`);
      const roles = await db.query<{ rolname: string }>(
        'SELECT rolname FROM pg_roles WHERE rolname LIKE $1',
        [`${prefix}%`],
      );
      for (const r of roles.rows) if (!known.has(r.rolname)) out.push(`role ${r.rolname}`);
      // Sessions get a moment to end after their client went away.
      for (let k = 0; k < 30; k++) {
        const s = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'vers-db%' AND pid <> pg_backend_pid()`,
        );
        if (s.rows[0]!.n === 0) return;
        await sleep(200);
      }
      out.push('vers-db sessions still connected after 6 s');
    },
    'soak',
  );
  const children = await readdir(join(home, 'children')).catch(() => [] as string[]);
  for (const f of children) {
    const rec = JSON.parse(await readFile(join(home, 'children', f), 'utf8')) as {
      pgid: number;
      owner: number;
    };
    if (!processAlive(rec.owner)) out.push(`process group ${rec.pgid} of a dead process still recorded`);
  }
  return out;
}

/** Per-table checksums of the checkpoint, read from a throwaway copy (the checkpoint takes no connections). */
async function checkpointChecksums(admin: pg.ClientConfig, ckpt: string): Promise<Record<string, string>> {
  const copy = `soak_verify_${process.pid}`;
  await withClient(
    admin,
    (db) => db.query(`CREATE DATABASE ${quoteIdent(copy)} TEMPLATE ${quoteIdent(ckpt)}`),
    'soak',
  );
  try {
    return await withClient(
      { ...admin, database: copy },
      async (db) => {
        const out: Record<string, string> = {};
        for (const t of ['users', 'orders']) {
          const r = await db.query<{ h: string }>(
            `SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${quoteIdent(t)} x`,
          );
          out[t] = r.rows[0]!.h;
        }
        return out;
      },
      'soak',
    );
  } finally {
    await withClient(admin, (db) => db.query(`DROP DATABASE ${quoteIdent(copy)} WITH (FORCE)`), 'soak');
  }
}

const START = '<!-- soak:start -->';
const END = '<!-- soak:end -->';

async function writeResults(
  s: {
    mode: string;
    seed: number;
    seconds: number;
    total: number;
  } & Tally,
): Promise<void> {
  const file = join(ROOT, 'bench/RESULTS.md');
  const rows = Object.entries(s.faults)
    .map(([k, n]) => `| ${k} | ${n} |`)
    .join('\n');
  const block = `${START}
## Fault soak (\`npm run soak${s.mode === 'quick' ? ' -- --quick' : ''}\`, seed ${s.seed})

${s.total} faults in ${s.seconds} s, each at a random point of a running test, then the next command started and
everything checked. **${s.leaks.length} leaks, ${s.lostResults.length} lost results, ${s.checksumChanges} checkpoint
checksum changes** (in ${s.checksumChecks} checks), ${s.badExits.length} unclear exits.

| fault | injected |
|---|---|
${rows}

A leak is a registry entry, branch database, role, vers-db session or recorded process group left after the next
command started; a lost result is a strategy missing from a run that was not itself killed.
${[...s.leaks, ...s.lostResults, ...s.badExits].map((l) => `- ${l}`).join('\n')}
${END}`;
  const text = await readFile(file, 'utf8');
  const next = text.includes(START)
    ? text.slice(0, text.indexOf(START)) + block + text.slice(text.indexOf(END) + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}

await main();
