/**
 * Where CLI output goes: results on stdout (exactly the JSON with --json), progress and
 * diagnostics on stderr, so `vers-db test … --json | jq` always works.
 */
import pc from 'picocolors';
import type { ProgressFn } from '../core/context.js';
import { redact } from '../util/secrets.js';

export interface OutputOptions {
  json: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A result on stdout: exactly its JSON with --json, else its human rendering. */
export function printResult<T>(json: boolean | undefined, result: T, render: (result: T) => string): void {
  if (json) printJson(result);
  else printText(render(result));
}

export const useColor = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

/** Progress lines on stderr, with elapsed time, so a long run shows it is alive. */
export function stderrProgress(): ProgressFn {
  const start = Date.now();
  const color = Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
  return (p) => {
    const elapsed = `${((Date.now() - start) / 1000).toFixed(1)}s`.padStart(7);
    const step = p.total ? ` [${p.progress ?? 0}/${p.total}]` : '';
    process.stderr.write(`${color ? pc.dim(elapsed) : elapsed}${step} ${redact(p.message)}\n`);
  };
}

export function logToStderr(message: string): void {
  process.stderr.write(`${redact(message)}\n`);
}
