/**
 * Writing a state file whole or not at all (temp file + rename). A full disk, a read-only or
 * over-quota state directory is a clear error that names the file and says what to do, and the
 * partial temp file is removed (a full disk must not be left fuller by the error).
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { BackendError } from '../errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT']);

export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, content, { mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw stateWriteError(file, err);
  }
}

/** A file-system error while writing `file`, as a user-facing error (others pass through). */
export function stateWriteError(file: string, err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (FULL.has(code))
    return new BackendError(`cannot write ${file}: no space left on the device holding it (${code})`, {
      hint: 'free some space there, or point VERS_DB_HOME at a disk with room; nothing was changed',
      cause: err,
    });
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return new BackendError(
      `cannot write ${file}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`,
      {
        hint: 'vers-db keeps its state there (VERS_DB_HOME): make it writable, or point VERS_DB_HOME elsewhere',
        cause: err,
      },
    );
  return err;
}
