/** `vers-db doctor`: what works here and what does not, with the fix for each. */
import { execa } from 'execa';
import { describeBranchStrategy } from '../backends/branch-strategy.js';
import { embeddedStatus } from '../backends/embedded.js';
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import type { EngineName } from '../engines/engine.js';
import { describeError } from '../errors.js';
import { guardDisabled } from '../guard/hook.js';
import { readTested } from '../state/tested.js';
import { withClient } from '../util/pg.js';
import type { Check } from './doctor-checks.js';
import { printText } from './output.js';

const SERVER_SQL = `SELECT current_setting('server_version') AS version,
  current_setting('max_connections')::int AS max_connections,
  (SELECT count(*) FROM pg_available_extensions WHERE name = 'pgstattuple')::int AS pgstattuple,
  current_setting('fsync') AS fsync`;

async function which(cmd: string, args: string[]): Promise<string | null> {
  const r = await execa(cmd, args, { reject: false, timeout: 10_000 });
  return r.exitCode === 0 ? String(r.stdout).split('\n')[0]! : null;
}

/** How branches are made here: thin (reflink clones) or copy, and why. */
async function branchCheck(ctx: Context, version: string, fsync: string): Promise<Check> {
  const dataDir = ctx.env.DATABASE_URL ? null : ((await embeddedStatus(ctx.stateDir)).state?.dataDir ?? null);
  const b = await describeBranchStrategy({
    dataDir,
    serverMajor: Number.parseInt(version, 10) || null,
    forced: ctx.env.VERS_DB_CLONE_STRATEGY,
  });
  return {
    name: 'branches',
    ok: b.mode === 'thin' ? true : 'warn',
    detail: `${b.mode}: ${b.reason}${fsync === 'off' ? ' (fsync off)' : ''}`,
  };
}

/** The server's version, connections, extensions and how branches are made (PostgreSQL). */
async function postgresServerChecks(ctx: Context): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const backend = await ctx.backend();
    const { info, where } = await withSource(backend, async (src) => ({
      info: await withClient(src.config, async (c) => (await c.query(SERVER_SQL)).rows[0]),
      where: src.displayUrl,
    }));
    checks.push({ name: 'PostgreSQL', ok: true, detail: `${info.version} at ${where}` });
    checks.push({
      name: 'connections',
      ok: info.max_connections >= 50 ? true : 'warn',
      detail: `max_connections ${info.max_connections} (probes use 2 per table while a migration runs)`,
    });
    checks.push({
      name: 'pgstattuple',
      ok: info.pgstattuple ? true : 'warn',
      detail: info.pgstattuple
        ? 'available: exact dead tuples where installed'
        : 'not available: dead tuples from statistics',
    });
    if (ctx.backendKind === 'local') checks.push(await branchCheck(ctx, info.version, info.fsync));
  } catch (err) {
    checks.push({ name: 'PostgreSQL', ok: false, detail: describeError(err) });
  }
  return checks;
}

/** Each engine's server checks (MySQL's load mysql2 only when asked for). */
const SERVER_CHECKS: Readonly<Record<EngineName, (ctx: Context) => Promise<Check[]>>> = {
  postgres: postgresServerChecks,
  mysql: async (ctx) => (await import('./doctor-mysql.js')).mysqlServerChecks(ctx),
};

export async function runDoctor(ctx: Context): Promise<number> {
  const checks: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'Node.js',
    ok: major >= 20,
    detail: `v${process.versions.node}${major >= 20 ? '' : ' (need 20 or newer)'}`,
  });
  checks.push({ name: 'state directory', ok: true, detail: ctx.stateDir });
  try {
    await ctx.registry.read();
    checks.push({ name: 'registry', ok: true, detail: ctx.registry.file });
  } catch (err) {
    checks.push({ name: 'registry', ok: false, detail: describeError(err) });
  }
  checks.push(...(await SERVER_CHECKS[ctx.engine](ctx)));
  const psql = await which('psql', ['--version']).catch(() => null);
  checks.push({
    name: 'psql',
    ok: psql ? true : 'warn',
    detail:
      psql ??
      'not found: only needed for shell-command steps and suites that call psql (apt-get install postgresql-client)',
  });
  if (ctx.backendKind === 'vers') {
    const vers = await which(ctx.env.VERS_BIN || 'vers', ['--version']).catch(() => null);
    checks.push({
      name: 'vers CLI',
      ok: Boolean(vers),
      detail: vers ?? 'not found: install it from https://vers.sh and set VERS_API_KEY',
    });
    checks.push({
      name: 'VERS_API_KEY',
      ok: ctx.env.VERS_API_KEY ? true : 'warn',
      detail: ctx.env.VERS_API_KEY ? 'set' : 'not set (falls back to ~/.versrc)',
    });
  }
  // The plugin's guard hook asks before Claude applies migrations that no passing test recorded.
  const tested = Object.keys(readTested(ctx.stateDir).files).length;
  checks.push({
    name: 'guard hook',
    ok: true,
    detail: guardDisabled(ctx.env)
      ? 'off (VERS_DB_GUARD or the plugin setting)'
      : `on in Claude Code: ${tested} migration(s) recorded as tested in ${ctx.stateDir}`,
  });
  const mark = (c: Check) => (c.ok === true ? 'ok  ' : c.ok === 'warn' ? 'warn' : 'FAIL');
  printText(checks.map((c) => `${mark(c)}  ${c.name.padEnd(16)} ${c.detail}`).join('\n'));
  return checks.some((c) => c.ok === false) ? 3 : 0;
}
