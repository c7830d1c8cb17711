/**
 * Reaching the database server inside a VM (PostgreSQL, or MariaDB: vers-mysql.ts): a `vers
 * tunnel` to it (returned once a login through it works, closed with the connection), commands
 * run in it by `vers exec` with the database in PG* (MYSQL_*) and DATABASE_URL, and files put into
 * it over stdin. Secrets go over stdin or the tunnel,
 * never on a vers argv.
 */
import type { LimitFunction } from 'p-limit';
import type { EngineName } from '../engines/engine.js';
import { DEFAULT_ENGINE } from '../engines/index.js';
import { CancelledError, InvalidInputError } from '../errors.js';
import { recordChild } from '../state/children.js';
import type { ClientConfig } from '../util/pg.js';
import { shQuote, type VersClient, VersNotFoundError, type VersTunnel } from '../vers/index.js';
import type { BranchConnection, ExecOptions, ExecResult } from './backend.js';
import { type BackendDeps, stateDirOf } from './deps.js';
import { freePort } from './embedded.js';
import { versEngine } from './vers-engines.js';

const DEFAULT_EXEC_TIMEOUT_MS = 3_600_000;
const LOGIN_TIMEOUT_MS = 30_000;

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
    const engine = versEngine(options.engine ?? DEFAULT_ENGINE);
    let tunnel: VersTunnel | undefined;
    for (let attempt = 0; !tunnel; attempt++) {
      const port = await freePort();
      try {
        tunnel = await this.client.tunnel(vm, port, engine.port, { signal: options.signal });
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
    const user = options.user ?? engine.user;
    const config: ClientConfig = { host: '127.0.0.1', port: t.port, user, password, database };
    try {
      // A tunnel that dies while we wait (dead VM) ends the wait with its reason.
      const died = t.closed.then((why) => {
        throw why ?? new Error(`the tunnel to VM ${vm} closed`);
      });
      died.catch(() => undefined);
      await Promise.race([engine.waitForLogin(config, LOGIN_TIMEOUT_MS, options.signal), died]);
    } catch (err) {
      await t.close();
      throw err;
    }
    const conn = {
      config,
      displayUrl: `${engine.displayUrl(config)} (vers tunnel to VM ${vm})`,
      close: () => t.close(),
      engine: engine.name,
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
    const env = versEngine(options.engine ?? DEFAULT_ENGINE).envScript(database, password, options.env);
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
