/**
 * How the local backend copies a database. CREATE DATABASE … TEMPLATE has three ways:
 * WAL_LOG (block by block through shared buffers, linear in size, the default since PG15),
 * FILE_COPY (file-level copy with a checkpoint before and after), and on PG18 FILE_COPY with
 * file_copy_method=clone (reflinks: near-instant on XFS/Btrfs/ZFS). We choose deliberately and
 * record the choice with every checkpoint and branch.
 */
import { randomBytes } from 'node:crypto';
import { constants, copyFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';

export type CloneStrategy = 'WAL_LOG' | 'FILE_COPY' | 'FILE_COPY+clone';

/** Below this size WAL_LOG avoids FILE_COPY's two cluster-wide checkpoints and is as fast. */
export const FILE_COPY_MIN_BYTES = 32 * 1024 * 1024;

export interface CloneEnvironment {
  serverVersionNum: number;
  /** Whether the server's data directory supports reflinks; null when unknown (remote server). */
  reflinks: boolean | null;
}

export function parseCloneStrategy(value: string | undefined): CloneStrategy | null {
  if (!value) return null;
  const v = value.trim().toUpperCase();
  if (v === 'WAL_LOG') return 'WAL_LOG';
  if (v === 'FILE_COPY') return 'FILE_COPY';
  if (v === 'CLONE' || v === 'FILE_COPY+CLONE') return 'FILE_COPY+clone';
  throw new InvalidInputError(`unknown clone strategy ${JSON.stringify(value)} in VERS_DB_CLONE_STRATEGY`, {
    hint: 'use WAL_LOG, FILE_COPY or clone',
  });
}

export function chooseCloneStrategy(
  sizeBytes: number,
  env: CloneEnvironment,
  forced: CloneStrategy | null,
): CloneStrategy {
  if (forced === 'FILE_COPY+clone' && env.serverVersionNum < 180000) {
    throw new InvalidInputError('clone needs PostgreSQL 18 or newer (file_copy_method)', {
      hint: 'use WAL_LOG or FILE_COPY on this server',
    });
  }
  if (forced) return forced;
  if (env.serverVersionNum >= 180000 && env.reflinks) return 'FILE_COPY+clone';
  return sizeBytes >= FILE_COPY_MIN_BYTES ? 'FILE_COPY' : 'WAL_LOG';
}

/**
 * The SQL clause and session setting for a strategy. `file_copy_method` exists only from
 * PostgreSQL 18; before that FILE_COPY always copies and the setting must not be sent.
 */
export function strategyClause(
  strategy: CloneStrategy,
  serverVersionNum: number,
): { clause: string; setup: string | null } {
  const hasFileCopyMethod = serverVersionNum >= 180000;
  switch (strategy) {
    case 'WAL_LOG':
      return { clause: 'STRATEGY WAL_LOG', setup: null };
    case 'FILE_COPY':
      return {
        clause: 'STRATEGY FILE_COPY',
        setup: hasFileCopyMethod ? "SET file_copy_method = 'copy'" : null,
      };
    case 'FILE_COPY+clone':
      return { clause: 'STRATEGY FILE_COPY', setup: "SET file_copy_method = 'clone'" };
  }
}

/**
 * Does the filesystem holding `dir` make reflink copies? Asks the filesystem itself: Node's
 * `copyFile` with COPYFILE_FICLONE_FORCE is FICLONE on Linux (XFS, Btrfs, ZFS ≥ 2.2 with block
 * cloning) and clonefile(2) on macOS (APFS), and fails rather than falling back to a copy.
 */
export async function supportsReflinks(dir: string): Promise<boolean> {
  const a = join(dir, `.reflink-probe-${randomBytes(4).toString('hex')}`);
  const b = `${a}.copy`;
  try {
    await writeFile(a, 'probe');
    await copyFile(a, b, constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await rm(a, { force: true });
    await rm(b, { force: true });
  }
}
