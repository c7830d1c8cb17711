/**
 * splitStatements on a worker thread. The MCP server and the CLI share one event loop with
 * progress notifications, cancellation and signal handling; a large file must not stop them.
 * Small texts (most migrations, every comparison query) are split inline: a worker round trip
 * costs more than parsing them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BackendError, InvalidInputError } from '../errors.js';
import { loadParser, MAX_SQL_BYTES, type SqlStatement, splitStatements, tooLarge } from './split.js';
import type { SplitReply, SplitRequest } from './split-worker.js';

/** Texts up to this many bytes are split on the calling thread. */
export const INLINE_SPLIT_BYTES = 64 * 1024;

interface Pending {
  resolve: (statements: SqlStatement[]) => void;
  reject: (err: Error) => void;
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

/** dist/split-worker.js beside the bundle; run from sources (tests, bench), the .ts file through tsx. */
function spawnWorker(): Worker {
  const js = new URL('./split-worker.js', import.meta.url);
  // The parent's flags apply, except --input-type (only valid for inline code, which a worker file is not).
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  if (existsSync(fileURLToPath(js))) return new Worker(js, { execArgv });
  const ts = new URL('./split-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(boot, { eval: true });
}

function failAll(err: Error): void {
  for (const p of pending.values()) p.reject(err);
  pending.clear();
}

function startWorker(): Worker {
  const w = spawnWorker();
  w.on('message', (reply: SplitReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if ('statements' in reply) p.resolve(reply.statements);
    else if (reply.error.invalidInput)
      p.reject(new InvalidInputError(reply.error.message, { hint: reply.error.hint }));
    else p.reject(new BackendError(`the SQL splitter failed: ${reply.error.message}`));
  });
  const gone = (why: string) => {
    if (worker === w) worker = null;
    failAll(new BackendError(`the SQL splitter stopped: ${why}`));
  };
  w.on('error', (err) => gone(err.message));
  w.on('exit', (code) => gone(`worker exited with code ${code}`));
  return w;
}

/** Split `sql` as splitStatements does, without blocking the event loop on large texts. */
export async function splitStatementsOffThread(sql: string, file?: string): Promise<SqlStatement[]> {
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_SQL_BYTES) throw tooLarge(file ?? 'the migration', bytes);
  if (bytes <= INLINE_SPLIT_BYTES) {
    await loadParser();
    return splitStatements(sql, file);
  }
  worker ??= startWorker();
  const w = worker;
  const id = nextId++;
  const request: SplitRequest = file === undefined ? { id, sql } : { id, sql, file };
  return new Promise<SqlStatement[]>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // a pending split keeps the process alive; an idle worker does not
    w.postMessage(request);
  });
}

/** Stop the worker (tests, shutdown). Pending splits are rejected. */
export async function stopSplitWorker(): Promise<void> {
  const w = worker;
  worker = null;
  if (w) await w.terminate();
}
