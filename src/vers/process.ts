/**
 * Starting the vers binary: one argv call with a deadline and an AbortSignal, its failures to
 * start, stop or finish as typed errors (its exit code is the caller's to judge), and the
 * long-lived `vers tunnel` child. Only variables that have a value reach vers.
 */
import { performance } from 'node:perf_hooks';
import { execa, type ResultPromise } from 'execa';
import {
  INSTALL_HINT,
  VersCancelledError,
  VersCommandError,
  VersNotInstalledError,
  VersTimeoutError,
} from './errors.js';
import type { Redactor } from './output.js';

/** Where and how vers runs. */
export interface VersProcess {
  bin: string;
  cwd: string;
  /** The whole environment of the call; nothing else is inherited. */
  env: NodeJS.ProcessEnv;
}

export interface RawResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

export interface RunVersOptions {
  /** The command as messages show it (secrets and scripts elided). */
  command: string;
  timeoutMs: number;
  signal?: AbortSignal;
  input?: string | Buffer;
  redact: Redactor;
  /** Called with one line per finished call (debug). */
  log?: (message: string) => void;
}

/**
 * An empty variable (the plugin's MCP config expands unset ones to '') would hide ~/.versrc and the
 * project's .env from the vers CLI: pass only variables that have a value.
 */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

/** Run vers once to the end; a missing binary, cancellation or our deadline throws. */
export async function runVers(p: VersProcess, args: string[], o: RunVersOptions): Promise<RawResult> {
  const { command } = o;
  if (o.signal?.aborted)
    throw new VersCancelledError(`cancelled before \`${command}\``, { command, versExitCode: null });
  const start = performance.now();
  const r = await execa(p.bin, args, {
    cwd: p.cwd,
    env: p.env,
    extendEnv: false,
    input: o.input,
    stdin: o.input === undefined ? 'ignore' : 'pipe',
    timeout: o.timeoutMs,
    cancelSignal: o.signal,
    forceKillAfterDelay: 3000,
    reject: false,
    stripFinalNewline: false,
    encoding: 'utf8',
  });
  const durationMs = performance.now() - start;
  const stderr = o.redact(String(r.stderr ?? ''));
  const stdout = String(r.stdout ?? '');
  o.log?.(`${command} → exit ${r.exitCode ?? '-'} in ${Math.round(durationMs)} ms`);
  if ((r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || r.code === 'ENOENT') {
    throw new VersNotInstalledError(`the vers CLI was not found (${JSON.stringify(p.bin)} is not on PATH)`, {
      command,
      versExitCode: null,
      hint: INSTALL_HINT,
    });
  }
  if (r.isCanceled || o.signal?.aborted) {
    throw new VersCancelledError(`cancelled: \`${command}\` was stopped`, {
      command,
      versExitCode: null,
      stderr,
    });
  }
  if (r.timedOut) {
    throw new VersTimeoutError(`\`${command}\` did not finish within ${Math.round(o.timeoutMs / 1000)} s`, {
      command,
      versExitCode: null,
      stderr,
      hint: 'the Vers API may be slow or unreachable; check `vers status` and retry',
    });
  }
  if (r.exitCode === undefined) {
    throw new VersCommandError(
      `\`${command}\` could not run: ${o.redact(r.shortMessage ?? 'unknown failure')}`,
      {
        command,
        versExitCode: null,
        stderr,
        cause: r.cause,
      },
    );
  }
  return { stdout, stderr, exitCode: r.exitCode, durationMs };
}

/** A vers process that keeps running (a tunnel), in its own process group. */
export function startVers(p: VersProcess, args: string[]): ResultPromise {
  return execa(p.bin, args, {
    cwd: p.cwd,
    env: p.env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    encoding: 'utf8',
    forceKillAfterDelay: 3000,
    // Its own process group: the state directory records it, and the next start stops it if we die.
    detached: true,
  });
}
