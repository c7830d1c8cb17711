/**
 * Typed errors for vers CLI failures. vers picks its exit code by matching the error text
 * (v0.7.0 and later): 2 auth, 3 not found, 4 conflict, 5 bad request, 6 timeout, 7 cancelled.
 * Each maps to the vers-db error family a user would expect (configuration problems exit 2,
 * infrastructure problems exit 3). Messages never carry VERS_API_KEY (see redactor in output.ts).
 */
import {
  BackendError,
  CancelledError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  type VersDbError,
} from '../errors.js';

export interface VersFailureDetails {
  /** The vers command as the user could retype it, with secrets and scripts elided. */
  command: string;
  /** vers's own exit code; null when it never ran or we stopped it. */
  versExitCode: number | null;
  /** vers's stderr (redacted, trimmed). */
  stderr?: string;
  hint?: string;
  cause?: unknown;
}

/** What every vers error carries besides its message. */
export interface VersFailureFields {
  readonly command: string;
  readonly versExitCode: number | null;
  readonly stderr: string;
}

type ErrorBase = abstract new (message: string, options?: { hint?: string; cause?: unknown }) => VersDbError;

/**
 * One vers error class on top of a vers-db error family: the family sets the exit code, this adds
 * the command, vers's exit code and its stderr. (CancelledError takes no hint or cause.)
 */
function versFailure<B extends ErrorBase>(Base: B) {
  abstract class VersFailure extends (Base as ErrorBase) {
    readonly command: string;
    readonly versExitCode: number | null;
    readonly stderr: string;
    constructor(message: string, d: VersFailureDetails) {
      super(message, { hint: d.hint, cause: d.cause });
      this.command = d.command;
      this.versExitCode = d.versExitCode;
      this.stderr = d.stderr ?? '';
    }
  }
  return VersFailure as unknown as new (
    message: string,
    d: VersFailureDetails,
  ) => InstanceType<B> & VersFailureFields;
}

/** Any vers failure without a more specific class (exit 1, unexpected output). */
export class VersCommandError extends versFailure(BackendError) {}

/** vers is not on PATH (or VERS_BIN points nowhere). */
export class VersNotInstalledError extends versFailure(InvalidInputError) {}

/** vers is older than v0.9.0 (no exec API, no remote exit codes). */
export class VersTooOldError extends versFailure(InvalidInputError) {}

/** Exit 2, or no API key at all: the user must log in or set VERS_API_KEY. */
export class VersAuthError extends versFailure(InvalidInputError) {}

/** Exit 3: an unknown VM, commit or tag. */
export class VersNotFoundError extends versFailure(NotFoundError) {}

/** Exit 4: e.g. a tag name already taken in the organisation. */
export class VersConflictError extends versFailure(ConflictError) {}

/** Exit 5: the API rejected the request (a bad tag name, an invalid size). */
export class VersBadRequestError extends versFailure(BackendError) {}

/** Exit 6, or vers-db's own deadline for the call ran out. */
export class VersTimeoutError extends versFailure(BackendError) {}

/** Exit 7, or the caller's AbortSignal fired (vers was stopped). */
export class VersCancelledError extends versFailure(CancelledError) {}

export type VersError =
  | VersCommandError
  | VersNotInstalledError
  | VersTooOldError
  | VersAuthError
  | VersNotFoundError
  | VersConflictError
  | VersBadRequestError
  | VersTimeoutError
  | VersCancelledError;

export const INSTALL_HINT =
  'install the vers CLI v0.9.0 or newer (v0.10.0 tested) from https://github.com/hdresearch/vers-cli/releases ' +
  '(its install.sh puts `vers` on PATH), or set VERS_BIN to the binary';

export const AUTH_HINT = 'set VERS_API_KEY (or run `vers login`) with a valid Vers API key';

/** The first "Error: …" line vers printed, else its last non-empty stderr line. */
export function versErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim());
  const error = lines.find((l) => l.startsWith('Error: '));
  if (error) return error.slice('Error: '.length);
  return lines.filter(Boolean).at(-1) ?? '';
}

/** A failed vers call (non-zero exit, not exec's remote code) as the typed error for its exit code. */
export function errorForExit(exitCode: number, d: VersFailureDetails): VersError {
  const reason = versErrorLine(d.stderr ?? '') || `exit code ${exitCode}`;
  const what = `\`${d.command}\``;
  switch (exitCode) {
    case 2:
      return new VersAuthError(`vers refused the API key: ${reason}`, { ...d, hint: AUTH_HINT });
    case 3:
      return new VersNotFoundError(`vers: not found: ${reason} (${what})`, {
        ...d,
        hint:
          d.hint ??
          'the VM, commit or tag no longer exists; `vers status` lists VMs, `vers-db gc` cleans up the registry',
      });
    case 4:
      return new VersConflictError(`vers: conflict: ${reason} (${what})`, d);
    case 5:
      return new VersBadRequestError(`vers rejected the request: ${reason} (${what})`, d);
    case 6:
      return new VersTimeoutError(`vers timed out: ${reason} (${what})`, d);
    case 7:
      return new VersCancelledError(`vers: cancelled: ${reason} (${what})`, d);
    default:
      if (/authentication required|no api key/i.test(`${reason}\n${d.stderr ?? ''}`)) {
        return new VersAuthError('vers has no API key', { ...d, hint: AUTH_HINT });
      }
      return new VersCommandError(`vers failed (exit ${exitCode}): ${reason} (${what})`, d);
  }
}
