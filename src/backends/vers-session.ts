/**
 * Reaching the database server inside a VM (PostgreSQL, or MariaDB: vers-mysql.ts): a `vers
 * tunnel` to it (returned once a login through it works, closed with the connection), commands
 * run in it by `vers exec` with the database in PG* (MYSQL_*) and DATABASE_URL, and files put into
 * it over stdin. Secrets go over stdin or the tunnel,
 * never on a vers argv.
 */
import type { LimitFunction } from 'p-limit';
import type { EngineName } from '../engines/engine.js';
import { CancelledError, InvalidInputError, throwIfAborted } from '../errors.js';
import { recordChild } from '../state/children.js';
import { type ClientConfig, connect, displayUrl } from '../util/pg.js';
import { isLoginRefusal } from '../util/sqlstate.js';
import { shQuote, type VersClient, VersNotFoundError, type VersTunnel } from '../vers/index.js';
import type { BranchConnection, ExecOptions, ExecResult } from './backend.js';
import { type BackendDeps, stateDirOf } from './deps.js';
import { freePort } from './embedded.js';
import {
  mysqlDisplayUrl,
  mysqlEnvScript,
  VERS_MYSQL_USER,
  VM_MYSQL_PORT,
  waitForMysqlLogin,
} from './vers-mysql.js';

/** PostgreSQL listens here inside a VM; tunnels forward to it. */
export const VM_PG_PORT = 5432;
const DEFAULT_EXEC_TIMEOUT_MS = 3_600_000;
const LOGIN_TIMEOUT_MS = 30_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export` lines for the PG environment: the VM's own PGHOST/PGPORT win (the fake sets them). */
export function pgEnvScript(database: string, password: string, extra: Record<string, string> = {}): string {
  const lines = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"',
    `export PGUSER=postgres PGPASSWORD=${shQuote(password)} PGDATABASE=${shQuote(database)}`,
    `export DATABASE_URL="postgres://postgres:$PGPASSWORD@$PGHOST:$PGPORT/"${shQuote(encodeURIComponent(database))}`,
  ];
  for (const [name, value] of Object.entries(extra)) {
    if (!ENV_NAME.test(name))
      throw new InvalidInputError(`invalid environment variable name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  return lines.join('\n');
}

export class VersSession {
  private readonly tunnels = new Set<VersTunnel>();

  constructor(
    private readonly deps: BackendDeps,
    private readonly client: VersClient,
    private readonly v: LimitFunction,
  ) {}

  /**
   * A tunnel to the VM's database server as `user` (default postgres, or versdb on MySQL),
   * returned once a login through it works.
   */
  async connect(
    vm: string,
    database: string,
    password: string,
    options: { signal?: AbortSignal; user?: string; engine?: EngineName } = {},
  ): Promise<BranchConnection> {
    const mysql = options.engine === 'mysql';
    const remotePort = mysql ? VM_MYSQL_PORT : VM_PG_PORT;
    let tunnel: VersTunnel | undefined;
    for (let attempt = 0; !tunnel; attempt++) {
      const port = await freePort();
      try {
        tunnel = await this.client.tunnel(vm, port, remotePort, { signal: options.signal });
      } catch (err) {
        // Another process may have taken the port between our probe and vers's listen.
        if (attempt >= 1 || err instanceof CancelledError || err instanceof VersNotFoundError) throw err;
      }
    }
    const t = tunnel;
    this.tunnels.add(t);
    const forget =
      t.pid === undefined
        ? async () => {}
        : await recordChild(stateDirOf(this.deps), t.pid, 'vers tunnel').catch(() => async () => {});
    void t.closed.then((why) => {
      void forget();
      this.tunnels.delete(t);
      if (why) this.deps.log(`the tunnel to VM ${vm} dropped: ${why.message}`);
    });
    const user = options.user ?? (mysql ? VERS_MYSQL_USER : 'postgres');
    const config: ClientConfig = { host: '127.0.0.1', port: t.port, user, password, database };
    const settings = { host: '127.0.0.1', port: t.port, user, password, database };
    try {
      // A tunnel that dies while we wait (dead VM) ends the wait with its reason.
      const died = t.closed.then((why) => {
        throw why ?? new Error(`the tunnel to VM ${vm} closed`);
      });
      died.catch(() => undefined);
      const login = mysql
        ? waitForMysqlLogin(settings, LOGIN_TIMEOUT_MS, options.signal)
        : waitForLogin(config, LOGIN_TIMEOUT_MS, options.signal);
      await Promise.race([login, died]);
    } catch (err) {
      await t.close();
      throw err;
    }
    const conn = {
      config,
      displayUrl: `${mysql ? mysqlDisplayUrl(settings) : displayUrl(config)} (vers tunnel to VM ${vm})`,
      close: () => t.close(),
      engine: options.engine ?? 'postgres',
    };
    return conn;
  }

  /** `command` runs in bash in the VM with `database` in PG* (MYSQL_* on MySQL) and DATABASE_URL. */
  async exec(
    vm: string,
    database: string,
    password: string,
    command: string,
    options: ExecOptions & { engine?: EngineName } = {},
  ): Promise<ExecResult> {
    const env =
      options.engine === 'mysql'
        ? mysqlEnvScript(database, password, options.env)
        : pgEnvScript(database, password, options.env);
    const script = `${env}\n${command}`;
    const r = await this.v(() =>
      this.client.exec(vm, script, {
        timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
        signal: options.signal,
        stdin: options.stdin,
        workdir: options.cwd,
      }),
    );
    // Like the local backend (execa's default): one final newline is not part of the output.
    return { ...r, stdout: stripFinalNewline(r.stdout), stderr: stripFinalNewline(r.stderr) };
  }

  /** Put a file into a VM (`exec -i … cat > path`); the path is quoted, never interpolated. */
  async upload(
    vm: string,
    remotePath: string,
    content: string | Buffer,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const dir = remotePath.includes('/') ? remotePath.slice(0, remotePath.lastIndexOf('/')) || '/' : '.';
    const script = `mkdir -p ${shQuote(dir)} && cat > ${shQuote(remotePath)}`;
    const r = await this.v(() =>
      this.client.exec(vm, script, { timeoutMs: 300_000, stdin: content, signal: options.signal }),
    );
    if (r.exitCode !== 0) {
      throw new InvalidInputError(
        `could not write ${remotePath} in VM ${vm}: ${r.stderr.trim() || `exit ${r.exitCode}`}`,
      );
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.tunnels].map((t) => t.close()));
    this.tunnels.clear();
  }
}

const stripFinalNewline = (s: string): string => s.replace(/\r?\n$/, '');

/** PostgreSQL behind a fresh tunnel (or in a just-booted VM) may need a moment. */
async function waitForLogin(config: ClientConfig, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfAborted(signal);
    try {
      const c = await connect({ ...config, connectionTimeoutMillis: 5000 }, 'vers-db:probe');
      await c.end();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Wrong password or database: waiting for the server will not help.
      if (isLoginRefusal(code) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
