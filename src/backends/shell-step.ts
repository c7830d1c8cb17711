/**
 * A shell step (validation, command migration) against a branch: bash with the branch's
 * connection settings in PG* and DATABASE_URL, in its own process group so a timeout or cancel
 * stops everything it started; as root, as an unprivileged user that sees only those settings.
 */
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { CancelledError, throwIfAborted } from '../errors.js';
import { type ClientConfig, sslEnv, urlOf } from '../util/pg.js';
import type { ExecOptions, ExecResult } from './backend.js';
import { assertReachable, commandEnv, commandIdentity } from './command-user.js';
import { superviseGroup } from './process-group.js';

export async function runShellStep(
  ctx: { cwd: string; env: NodeJS.ProcessEnv; stateDir: string },
  config: ClientConfig,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const pgEnv: Record<string, string> = {
    PGHOST: String(config.host ?? '127.0.0.1'),
    PGPORT: String(config.port ?? 5432),
    PGUSER: String(config.user ?? ''),
    PGPASSWORD: String(config.password ?? ''),
    PGDATABASE: String(config.database ?? ''),
    DATABASE_URL: urlOf(config),
    ...sslEnv(config),
  };
  return runShellCommand(ctx, pgEnv, command, options);
}

/**
 * The same for any engine: `connEnv` holds the connection's variables (PG*, or MYSQL_* and
 * DATABASE_URL), passed as environment, never spliced into the command.
 */
export async function runShellCommand(
  ctx: { cwd: string; env: NodeJS.ProcessEnv; stateDir: string },
  connEnv: Record<string, string>,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const start = performance.now();
  const pgEnv = connEnv;
  // As root, the step runs as an unprivileged user that sees only these settings (command-user.ts).
  const cwd = options.cwd ?? ctx.cwd;
  const who = await commandIdentity(ctx.env);
  if (who) await assertReachable(cwd, who);
  throwIfAborted(options.signal);
  // The command is the user's shell text; it runs as argv ['-c', command], never spliced into another string.
  // Detached: it leads its own process group, so a timeout, a cancel or the next start after a crash
  // stops everything it started (psql, npm and their children), not only bash.
  const sub = execa('bash', ['-c', command], {
    cwd,
    ...(who
      ? {
          uid: who.uid,
          gid: who.gid,
          extendEnv: false,
          env: commandEnv(process.env, { ...options.env, ...pgEnv }),
        }
      : { env: { ...options.env, ...pgEnv } }),
    input: options.stdin,
    detached: true,
    reject: false,
    all: false,
  });
  const stop = await superviseGroup(sub.pid, ctx.stateDir, options);
  const r = await sub.finally(stop.done);
  if (options.signal?.aborted) throw new CancelledError();
  if (stop.timedOut()) {
    return {
      exitCode: 124,
      stdout: String(r.stdout ?? ''),
      stderr: `${r.stderr ?? ''}\ntimed out after ${options.timeoutMs} ms`,
      durationMs: performance.now() - start,
    };
  }
  return {
    exitCode: r.exitCode ?? 1,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    durationMs: performance.now() - start,
  };
}
