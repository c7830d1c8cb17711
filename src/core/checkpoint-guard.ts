/**
 * After every run, before any pass is reported: is the checkpoint still there, unchanged? A
 * migration that escaped its branch (with --superuser, or through a hole in the sandbox) must
 * fail the run, and the registry must stop calling a damaged checkpoint ready. A server that
 * cannot be reached (restarting, shutting down) is waited for a while; if it stays away the
 * checkpoint is unverified: nothing is reported as passed, every result is kept, and the
 * checkpoint is not called damaged (nothing shows that it is).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../backends/backend.js';
import { describeError } from '../errors.js';
import type { StrategyResult } from '../result.js';
import { SQLSTATE } from '../util/sqlstate.js';
import type { Context } from './context.js';
import { checkpointEngine, coreVerifiesMysql, verifyMysqlCheckpoint } from './mysql-checkpoint.js';

/** Connection-level failures: the server is restarting or unreachable, not the checkpoint changed. */
const UNREACHABLE =
  /cannot (connect to|reach) (PostgreSQL|MySQL)|Connection terminated|ECONNRESET|ECONNREFUSED|shutting down|starting up|not yet accepting|in recovery|terminating connection/i;
const UNREACHABLE_CODES = new Set<string>([
  SQLSTATE.ADMIN_SHUTDOWN,
  SQLSTATE.CRASH_SHUTDOWN,
  SQLSTATE.CANNOT_CONNECT_NOW,
  SQLSTATE.CONNECTION_EXCEPTION,
  SQLSTATE.SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION,
  SQLSTATE.CONNECTION_DOES_NOT_EXIST,
  SQLSTATE.CONNECTION_FAILURE,
]);
const WAIT_MS = 15_000;
const RETRY_MS = 500;

export function isUnreachable(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e: unknown = err; e && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (UNREACHABLE_CODES.has((e as { code?: string }).code ?? '')) return true;
    if (UNREACHABLE.test((e as Error).message ?? '')) return true;
  }
  return false;
}

type Verify = (tag: string) => Promise<string[]>;

async function verifyPatiently(verify: Verify, tag: string, waitMs: number): Promise<string[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      return await verify(tag);
    } catch (err) {
      if (!isUnreachable(err) || Date.now() >= until) throw err;
      await sleep(RETRY_MS);
    }
  }
}

/** The driver's own verification, the core's for a local MySQL checkpoint, or none (Vers). */
async function verifierOf(ctx: Context, backend: Backend, tag: string): Promise<Verify | null> {
  if (backend.verifyCheckpoint) return (t) => backend.verifyCheckpoint!(t);
  const ckpt = await ctx.registry.checkpoint(tag);
  if (!ckpt) return null;
  const engine = await checkpointEngine(ctx, ckpt);
  return coreVerifiesMysql({ engine }, backend) ? (t) => verifyMysqlCheckpoint(ctx, backend, t) : null;
}

export async function failIfCheckpointChanged(
  ctx: Context,
  backend: Backend,
  tag: string,
  results: StrategyResult[],
  options: { waitMs?: number } = {},
): Promise<void> {
  const verify = await verifierOf(ctx, backend, tag);
  if (!verify) return; // Vers: a commit cannot change
  let problems: string[];
  try {
    problems = await verifyPatiently(verify, tag, options.waitMs ?? WAIT_MS);
  } catch (err) {
    if (!isUnreachable(err)) throw err;
    const reason = `the checkpoint could not be verified after the run: ${describeError(err)}`;
    for (const r of results) {
      r.integrity.ok = false;
      r.integrity.problems = [...(r.integrity.problems ?? []), reason];
      if (r.status === 'passed') {
        r.status = 'failed';
        r.error = reason;
      }
    }
    ctx.log(`checkpoint ${tag}: ${reason}`);
    return;
  }
  if (problems.length === 0) return;
  const reason = `the checkpoint changed during the run: ${problems.join('; ')}`;
  for (const r of results) {
    r.integrity.ok = false;
    r.integrity.problems = [...(r.integrity.problems ?? []), ...problems];
    if (r.status === 'passed') {
      r.status = 'failed';
      r.error = reason;
    }
  }
  // The backend has marked it damaged in the registry: it is no longer offered as a baseline.
  ctx.log(`checkpoint ${tag} is damaged: ${problems.join('; ')}`);
}
