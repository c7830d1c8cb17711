/**
 * `vers tunnel` is a long-running child process. It is ready when its local port accepts a
 * TCP connection; it is over when the process exits (closed by us, or dropped).
 */
import { connect as tcpConnect } from 'node:net';
import type { ResultPromise } from 'execa';
import { errorForExit, VersCancelledError, VersCommandError, VersTimeoutError } from './errors.js';
import type { Redactor } from './output.js';

export interface VersTunnel {
  /** Local port on 127.0.0.1. */
  port: number;
  /** The tunnel process, leader of its own process group (recorded so a crash does not orphan it). */
  pid: number | undefined;
  /** Resolves when the tunnel process has exited, with why (null = closed by us). */
  closed: Promise<Error | null>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function openTunnel(
  child: ResultPromise,
  port: number,
  o: { command: string; timeoutMs: number; signal?: AbortSignal; redact: Redactor },
): Promise<VersTunnel> {
  let closing = false;
  let exited = false;
  const closed: Promise<Error | null> = child.then((r) => {
    exited = true;
    const stderr = o.redact(String(r.stderr ?? '')).trim();
    // Stopped by us and quiet about it: a normal close. An "Error:" means it died first.
    if (closing && !/^Error: /m.test(stderr)) return null;
    if (r.exitCode && r.exitCode !== 0)
      return errorForExit(r.exitCode, { command: o.command, versExitCode: r.exitCode, stderr });
    return new VersCommandError(
      `\`${o.command}\` stopped: ${stderr || r.shortMessage || 'the tunnel process exited'}`,
      {
        command: o.command,
        versExitCode: r.exitCode ?? null,
        stderr,
      },
    );
  });
  const close = async () => {
    if (exited) return;
    closing = true;
    child.kill('SIGTERM');
    await closed;
  };
  const deadline = Date.now() + o.timeoutMs;
  while (!exited) {
    if (o.signal?.aborted) {
      await close();
      throw new VersCancelledError(`cancelled while opening \`${o.command}\``, {
        command: o.command,
        versExitCode: null,
      });
    }
    if (await accepts(port)) return { port, pid: child.pid, closed, close };
    if (Date.now() > deadline) {
      await close();
      throw new VersTimeoutError(
        `\`${o.command}\` did not open 127.0.0.1:${port} within ${Math.round(o.timeoutMs / 1000)} s`,
        {
          command: o.command,
          versExitCode: null,
        },
      );
    }
    await sleep(100);
  }
  throw (
    (await closed) ??
    new VersCommandError(`\`${o.command}\` exited before it was ready`, {
      command: o.command,
      versExitCode: null,
    })
  );
}
