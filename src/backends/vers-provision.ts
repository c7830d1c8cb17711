import type { EngineName } from '../engines/engine.js';
import { DEFAULT_ENGINE } from '../engines/index.js';
import { BackendError, InvalidInputError } from '../errors.js';
import { quoteIdent, withClient, withDatabase } from '../util/pg.js';
import { shQuote, VersNotFoundError } from '../vers/index.js';
import type { BackendDeps } from './deps.js';
import { ensureDatabase } from './pg-admin.js';
import { createVersClient, openVersProvisioner, VERS_SETTINGS, type VersProvisioner } from './vers.js';
import { ensureBaseVm, type ProvisionOptions, type ProvisionResult } from './vers-base-vm.js';
import { baseVmEngine, checkScriptPassword, vmPassword } from './vers-settings.js';

export type { ProvisionOptions, ProvisionResult } from './vers-base-vm.js';

const TEMPLATE = /^postgres(?:ql)?@(\d{2})$/;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const INSTALL_TIMEOUT_MS = 1_800_000;

const PENDING_RESTART_SQL = 'SELECT name FROM pg_settings WHERE pending_restart ORDER BY name';

export function parseTemplate(template: string | undefined): number {
  if (template === undefined) return 16;
  const m = TEMPLATE.exec(template.trim());
  if (!m) {
    throw new InvalidInputError(
      `services.postgres.template ${JSON.stringify(template)} is not of the form postgres@N`,
      {
        hint: 'for example postgres@16',
      },
    );
  }
  return Number(m[1]);
}

/**
 * Runs as root in the VM. It logs in the first way that works: the VM's own PG environment,
 * our password, or the postgres OS user (peer auth after a fresh Debian install). The password
 * is hex, checked before it is put here.
 */
export function installScript(major: number, password: string): string {
  checkScriptPassword(password, 'postgres');
  return `set -u
PW=${shQuote(password)}
PGV=${shQuote(String(major))}
try_psql() {
  psql -X -qtA -v ON_ERROR_STOP=1 -c "$1" 2>/dev/null && return 0
  PGPASSWORD="$PW" psql -X -qtA -v ON_ERROR_STOP=1 -h "\${PGHOST:-127.0.0.1}" -U postgres -c "$1" 2>/dev/null && return 0
  [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && runuser -u postgres -- psql -X -qtA -v ON_ERROR_STOP=1 -c "$1" 2>/dev/null
}
if command -v psql >/dev/null 2>&1 && try_psql 'SELECT 1' >/dev/null; then
  echo "versdb: postgresql already answers; installation skipped"
else
  echo "versdb: installing postgresql $PGV"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || exit 20
  if ! apt-get install -y -qq "postgresql-$PGV" >/dev/null; then
    # Not in the distribution: add the PostgreSQL project's repository (PGDG).
    apt-get install -y -qq curl ca-certificates lsb-release >/dev/null || exit 21
    install -d /usr/share/postgresql-common/pgdg
    curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc || exit 22
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $(lsb_release -cs)-pgdg main" > /etc/apt/sources.list.d/pgdg.list
    apt-get update -qq && apt-get install -y -qq "postgresql-$PGV" >/dev/null || exit 23
  fi
  pg_ctlcluster "$PGV" main start 2>/dev/null || service postgresql start
  for _ in $(seq 1 60); do try_psql 'SELECT 1' >/dev/null && break; sleep 1; done
  echo "versdb: installed"
fi
try_psql "ALTER USER postgres WITH PASSWORD '$PW'" >/dev/null || { echo "versdb: cannot log in to PostgreSQL to set the password" >&2; exit 24; }
echo "versdb: server_version=$(PGPASSWORD="$PW" psql -X -qtA -h "\${PGHOST:-127.0.0.1}" -U postgres -c 'SHOW server_version')"
`;
}

/** Is the recorded base VM still there and running? */

type Provisioner = (
  ctx: BackendDeps,
  vers: VersProvisioner,
  options: ProvisionOptions,
) => Promise<ProvisionResult>;

/** How a base VM gets each engine's server (MariaDB's is loaded only when asked for). */
const PROVISIONERS: Readonly<Record<EngineName, Provisioner>> = {
  postgres: (ctx, vers, options) => provision(ctx, vers, options),
  mysql: async (ctx, vers, options) =>
    (await import('./vers-provision-mysql.js')).provisionMysql(ctx, vers, options),
};

export async function provisionVersBase(
  ctx: BackendDeps,
  options: ProvisionOptions = {},
): Promise<ProvisionResult> {
  const vers = await openVersProvisioner(ctx);
  try {
    return await PROVISIONERS[options.engine ?? ctx.engine ?? DEFAULT_ENGINE](ctx, vers, options);
  } finally {
    await vers.close();
  }
}

async function provision(
  ctx: BackendDeps,
  vers: VersProvisioner,
  options: ProvisionOptions,
): Promise<ProvisionResult> {
  const major = parseTemplate(options.template);
  const databases = options.databases?.length ? options.databases : ['postgres'];
  for (const [name] of Object.entries(options.settings ?? {})) {
    if (!SETTING_NAME.test(name))
      throw new InvalidInputError(`services.postgres.settings: invalid setting name ${JSON.stringify(name)}`);
  }
  const progress = options.onProgress ?? ctx.log;
  const { client } = vers;
  const settings = (await ctx.registry.read()).settings;
  const password = vmPassword(settings, VERS_SETTINGS.password);
  client.addSecret(password);
  const { vm: baseVm, created } = await ensureBaseVm(ctx, vers, options, 'postgres', (d) => {
    d.settings[VERS_SETTINGS.password] = password;
    d.settings[VERS_SETTINGS.database] = databases[0]!;
    d.settings[VERS_SETTINGS.pgVersion] = String(major);
  });

  progress(`making sure PostgreSQL ${major} runs in VM ${baseVm}…`);
  const r = await client.exec(baseVm, installScript(major, password), {
    timeoutMs: INSTALL_TIMEOUT_MS,
    signal: options.signal,
  });
  if (r.exitCode !== 0) {
    throw new BackendError(`could not set up PostgreSQL ${major} in VM ${baseVm} (exit ${r.exitCode})`, {
      hint: `${r.stderr.trim().split('\n').slice(-5).join('\n') || r.stdout.trim().split('\n').slice(-5).join('\n')}\nthe VM stays recorded; fix the cause and run \`vers-db up --backend vers\` again`,
    });
  }
  const installed = r.stdout.includes('versdb: installed');
  const serverVersion = /versdb: server_version=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
  if (
    options.template !== undefined &&
    !serverVersion.startsWith(`${major}.`) &&
    !serverVersion.startsWith(`${major}beta`)
  ) {
    ctx.log(`note: the VM runs PostgreSQL ${serverVersion}, not ${major} (it was there already)`);
  }

  const conn = await vers.connect(baseVm, 'postgres', password, options.signal);
  let pendingRestart: string[] = [];
  try {
    await withClient(conn.config, async (c) => {
      for (const db of databases)
        if (await ensureDatabase(conn.config, db)) progress(`created database ${db}`);
      for (const [name, value] of Object.entries(options.settings ?? {})) {
        await c.query(`ALTER SYSTEM SET ${name} = ${c.escapeLiteral(String(value))}`);
      }
      if (options.settings && Object.keys(options.settings).length > 0)
        await c.query('SELECT pg_reload_conf()');
      pendingRestart = (await c.query<{ name: string }>(PENDING_RESTART_SQL)).rows.map((row) => row.name);
    });
    for (const db of databases) {
      if (!options.extensions?.length) break;
      await withClient(withDatabase(conn.config, db), async (c) => {
        for (const ext of options.extensions ?? [])
          await c.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)}`);
      });
    }
  } finally {
    await conn.close();
  }

  const db = databases[0]!;
  const instructions = [
    `base VM: ${baseVm} (PostgreSQL ${serverVersion}, database ${db}); the postgres password is in ${ctx.registry.file} (settings."${VERS_SETTINGS.password}")`,
    `load data over a tunnel: vers tunnel ${baseVm} 15432:5432   then   psql "postgres://postgres:<password>@127.0.0.1:15432/${db}" -f schema.sql`,
    `or inside the VM:       vers exec -i -t 1800 -- ${baseVm} runuser -u postgres -- psql -d ${db} < dump.sql`,
    'then:                   vers-db checkpoint <tag> --backend vers',
  ];
  if (pendingRestart.length > 0) {
    instructions.unshift(
      `settings ${pendingRestart.join(', ')} need a restart: vers exec -t 120 -- ${baseVm} pg_ctlcluster ${major} main restart`,
    );
  }
  return {
    vm: baseVm,
    databaseUrlHint: `postgres://postgres:***@127.0.0.1:15432/${encodeURIComponent(db)} (while \`vers tunnel ${baseVm} 15432:5432\` runs)`,
    instructions,
    created,
    installed,
    serverVersion,
    pendingRestart,
  };
}

export interface VersStatus {
  cli: string | null;
  cliError: string | null;
  baseVm: string | null;
  /** running, paused, dead, … or null when unknown or not set up. */
  state: string | null;
  database: string | null;
  /** The engine the base VM serves. */
  engine: 'postgres' | 'mysql';
  pgVersion: string | null;
  checkpoints: number;
  branches: number;
  vms: number;
}

/** What `vers-db status --backend vers` shows; never throws for a missing CLI or VM. */
export async function versStatus(ctx: BackendDeps): Promise<VersStatus> {
  const data = await ctx.registry.read();
  const s = data.settings;
  const out: VersStatus = {
    cli: null,
    cliError: null,
    baseVm: s[VERS_SETTINGS.baseVm] ?? null,
    state: null,
    database: s[VERS_SETTINGS.database] ?? null,
    engine: baseVmEngine(s),
    pgVersion: s[VERS_SETTINGS.pgVersion] ?? null,
    checkpoints: Object.values(data.checkpoints).filter((c) => c.backend === 'vers').length,
    branches: Object.values(data.branches).filter((b) => b.backend === 'vers').length,
    vms: Object.values(data.vms).length,
  };
  try {
    const client = createVersClient(ctx);
    out.cli = (await client.ensureSupported()).raw;
    if (out.baseVm) out.state = (await client.vmStatus(out.baseVm)).state;
  } catch (err) {
    if (err instanceof VersNotFoundError) out.state = 'gone';
    else out.cliError = (err as Error).message;
  }
  return out;
}

/** `down`: delete the project's base VM (one already gone counts as deleted) and forget it. */
export async function deleteVersBase(deps: BackendDeps, vm: string): Promise<void> {
  const vers = await openVersProvisioner(deps);
  try {
    await vers.client.delete([vm], { timeoutMs: 90_000 }).catch((err: unknown) => {
      if (!(err instanceof VersNotFoundError)) throw err;
    });
    await deps.registry.update((d) => {
      delete d.settings[VERS_SETTINGS.baseVm];
    });
    await vers.forgetVm(vm);
  } finally {
    await vers.close();
  }
}
