/**
 * Typed errors with user-facing messages. Exit codes (as the README lists them):
 * 2 bad input or configuration, 3 backend/infrastructure error. A failed test is a result, not an error.
 */
import { redact } from './util/secrets.js';

export abstract class VersDbError extends Error {
  abstract readonly exitCode: 2 | 3;
  /** What the user can do about it, shown under the message. */
  readonly hint: string | undefined;

  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** The user asked for something malformed: a bad name, a missing file, an unknown option. */
export class InvalidInputError extends VersDbError {
  readonly exitCode = 2 as const;
}

/** A checkpoint, branch or file the user named does not exist. */
export class NotFoundError extends VersDbError {
  readonly exitCode = 2 as const;
}

/** A name is already taken by another checkpoint or branch. */
export class ConflictError extends VersDbError {
  readonly exitCode = 2 as const;
}

/** A suite file is malformed; `issues` lists every problem keyed by its path in the file. */
export class SuiteFileError extends VersDbError {
  readonly exitCode = 2 as const;
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    super(
      `${file}: ${issues.length === 1 ? issues[0] : `${issues.length} problems:\n  - ${issues.join('\n  - ')}`}`,
    );
  }
}

/** The database server is unreachable, refused us, or failed outside a migration. */
export class DatabaseError extends VersDbError {
  readonly exitCode = 3 as const;
  constructor(message: string, options?: { hint?: string; cause?: unknown; readonly code?: string }) {
    super(message, options);
    this.code = options?.code;
  }
  readonly code: string | undefined;
}

/** The backend (embedded server lifecycle, vers CLI, cloning) failed. */
export class BackendError extends VersDbError {
  readonly exitCode = 3 as const;
}

/** The call was cancelled (Ctrl-C, MCP cancellation). */
export class CancelledError extends VersDbError {
  readonly exitCode = 3 as const;
  constructor(message = 'cancelled') {
    super(message);
  }
}

export function isVersDbError(err: unknown): err is VersDbError {
  return err instanceof VersDbError;
}

/** One line for the user: the message, then the hint if there is one. Never a stack trace. */
export function describeError(err: unknown): string {
  // Messages quote command output and URLs: no known secret may reach the user through them.
  if (isVersDbError(err)) return redact(err.hint ? `${err.message}\nhint: ${err.hint}` : err.message);
  if (err instanceof Error) return redact(err.message);
  return redact(String(err));
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}
