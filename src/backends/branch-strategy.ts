/**
 * Which way branches are made on the local backend, and why, in words for `doctor` and `status`:
 * "thin" (FILE_COPY + file_copy_method=clone on a filesystem with reflinks: constant time, shared
 * blocks) or "copy" (every branch copies every byte).
 */
import { statfs } from 'node:fs/promises';
import { platform } from 'node:os';
import {
  type CloneStrategy,
  FILE_COPY_MIN_BYTES,
  parseCloneStrategy,
  supportsReflinks,
} from './local-clone.js';

/** Linux statfs(2) f_type magic numbers of the filesystems a user is likely to have. */
const LINUX_FS_TYPES: Record<number, string> = {
  61267: 'ext4',
  1481003842: 'xfs',
  2435016766: 'btrfs',
  801189825: 'zfs',
  2035054128: 'overlay',
  16914836: 'tmpfs',
  26985: 'nfs',
  4076150800: 'f2fs',
  3393526350: 'bcachefs',
  1702057286: 'fuse',
  16914839: '9p',
};

/** The filesystem type holding `dir` ("ext4", "xfs", …), or null when unknown. */
export async function filesystemType(dir: string): Promise<string | null> {
  try {
    const s = await statfs(dir);
    if (platform() === 'linux') return LINUX_FS_TYPES[s.type] ?? `unknown (0x${s.type.toString(16)})`;
    if (platform() === 'darwin') return 'macOS volume';
    return null;
  } catch {
    return null;
  }
}

export interface BranchStrategyReport {
  /** thin: copy-on-write clones; copy: every byte copied; unknown: a server whose files we cannot see. */
  mode: 'thin' | 'copy' | 'unknown';
  /** What CREATE DATABASE uses (for copy: FILE_COPY from 32 MB, WAL_LOG below). */
  strategy: CloneStrategy | 'FILE_COPY or WAL_LOG' | null;
  filesystem: string | null;
  reflinks: boolean | null;
  /** One sentence: why this mode, and what would change it. */
  reason: string;
}

const THIN_HINT =
  'as root on Linux, `vers-db up --thin 20G` puts the cluster on a loopback XFS volume with reflinks';

/**
 * Explain the choice `chooseCloneStrategy` makes for this data directory and server.
 * `dataDir` is null for a server reached by DATABASE_URL (its files are not ours to probe).
 */
export async function describeBranchStrategy(input: {
  dataDir: string | null;
  serverMajor: number | null;
  forced?: string;
}): Promise<BranchStrategyReport> {
  const forced = parseCloneStrategy(input.forced);
  if (!input.dataDir) {
    if (forced === 'FILE_COPY+clone')
      return {
        mode: 'thin',
        strategy: forced,
        filesystem: null,
        reflinks: null,
        reason: 'VERS_DB_CLONE_STRATEGY=clone: the server at DATABASE_URL is trusted to have reflinks',
      };
    return {
      mode: forced ? 'copy' : 'unknown',
      strategy: forced ?? 'FILE_COPY or WAL_LOG',
      filesystem: null,
      reflinks: null,
      reason:
        'the server at DATABASE_URL keeps its files where vers-db cannot probe them; branches copy unless VERS_DB_CLONE_STRATEGY=clone (PostgreSQL 18 on XFS, Btrfs, APFS or ZFS)',
    };
  }
  const [filesystem, reflinks] = await Promise.all([
    filesystemType(input.dataDir),
    supportsReflinks(input.dataDir),
  ]);
  const where = `${filesystem ?? 'filesystem'} at ${input.dataDir}`;
  const pg18 = input.serverMajor !== null && input.serverMajor >= 18;
  if (forced && forced !== 'FILE_COPY+clone')
    return {
      mode: 'copy',
      strategy: forced,
      filesystem,
      reflinks,
      reason: `VERS_DB_CLONE_STRATEGY=${forced}`,
    };
  if (reflinks && (pg18 || forced === 'FILE_COPY+clone'))
    return {
      mode: 'thin',
      strategy: 'FILE_COPY+clone',
      filesystem,
      reflinks,
      reason: `reflinks on ${where} and PostgreSQL ${input.serverMajor ?? '18'} (file_copy_method=clone): a branch takes constant time and shares blocks with its checkpoint`,
    };
  const copyStrategy = `FILE_COPY from ${FILE_COPY_MIN_BYTES / 1024 / 1024} MB, WAL_LOG below`;
  if (reflinks)
    return {
      mode: 'copy',
      strategy: 'FILE_COPY or WAL_LOG',
      filesystem,
      reflinks,
      reason: `reflinks on ${where}, but clone needs PostgreSQL 18 (file_copy_method); ${copyStrategy}`,
    };
  return {
    mode: 'copy',
    strategy: 'FILE_COPY or WAL_LOG',
    filesystem,
    reflinks,
    reason: `no reflinks on ${where}: every branch copies every byte (${copyStrategy}); ${THIN_HINT}`,
  };
}
