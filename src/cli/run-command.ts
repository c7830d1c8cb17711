/**
 * The one place CLI errors become exit codes (as the README lists them): 0 ok, 1 a test or
 * threshold failed, 2 bad input or configuration, 3 backend/infrastructure error. Ctrl-C aborts
 * the running work (the statement is cancelled, the branch removed) before the process exits.
 */
import pc from 'picocolors';
import { stopOnDemandServers } from '../backends/embedded.js';
import { type Context, createContext } from '../core/context.js';
import { recoverAfterCrashes } from '../core/recover.js';
import { CancelledError, describeError, isVersDbError } from '../errors.js';
import { logToStderr } from './output.js';

export interface GlobalOptions {
  backend?: string;
  /** --engine / VERS_DB_ENGINE: postgres or mysql (else DATABASE_URL's scheme). */
  engine?: string;
}

export type Handler = (ctx: Context, signal: AbortSignal) => Promise<number | undefined>;

export async function runCommand(globals: GlobalOptions, handler: Handler): Promise<never> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      logToStderr(
        'interrupted: cancelling the running statement and removing branches (Ctrl-C again to force quit)',
      );
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  // A closed terminal (SIGHUP) is an interruption like any other: cancel, clean up, exit.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  let code = 0;
  let ctx: Context | undefined;
  try {
    ctx = createContext({ backend: globals.backend, engine: globals.engine, log: logToStderr });
    await recoverAfterCrashes(ctx);
    code = (await handler(ctx, controller.signal)) ?? 0;
  } catch (err) {
    code = exitCodeOf(err, controller.signal.aborted);
    const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
    const label = color ? pc.red('error:') : 'error:';
    logToStderr(`${label} ${describeError(err)}`);
    if (!isVersDbError(err) && err instanceof Error && process.env.VERS_DB_DEBUG)
      logToStderr(err.stack ?? '');
  } finally {
    await ctx?.close().catch(() => undefined);
    await stopOnDemandServers();
  }
  process.exit(code);
}

function exitCodeOf(err: unknown, aborted: boolean): number {
  if (err instanceof CancelledError || aborted) return 130;
  if (isVersDbError(err)) return err.exitCode;
  return 3;
}
