/**
 * Sealing and verifying a MySQL/MariaDB checkpoint when its storage driver does neither itself.
 * A local MySQL checkpoint is a stopped server's data directory: nothing can connect to it, so
 * its contents are read on a temporary branch, a fresh copy of exactly those files served by
 * its own server. Sealing reads exact row counts and CHECKSUM TABLE of every table right after
 * the checkpoint is made; verifying (after every run) reads them again from a new copy and
 * compares: a checkpoint that changed shows it there. The temporary branch is always removed.
 */
import { randomBytes } from 'node:crypto';
import type { Backend } from '../backends/backend.js';
import { checksumProblems } from '../backends/local-verify.js';
import { withBranch } from '../backends/with-branch.js';
import type { EngineName } from '../result.js';
import { deriveBranchName } from '../state/names.js';
import type { CheckpointEntry } from '../state/registry.js';
import { loadCheckpointSnapshot } from './checkpoint-snapshot.js';
import type { Context } from './context.js';
import { isMysql, mysqlSettingsOf } from './engine-of.js';
import { type MysqlSealFacts, mysqlSealFacts } from './mysql-snapshot.js';

/** Who made the temporary branches (the registry records it; gc removes them after a crash). */
export const VERIFY_CREATED_BY = 'vers-db verify';

/**
 * The core reads a MySQL checkpoint itself on a temporary branch when it is local (a Vers commit
 * cannot change) and the driver has no verifyCheckpoint of its own.
 */
export function coreVerifiesMysql(ckpt: Pick<CheckpointEntry, 'engine'>, backend: Backend): boolean {
  return isMysql(ckpt) && !backend.verifyCheckpoint && backend.capabilities.isolation !== 'vm';
}

/** A checkpoint's engine: recorded in the registry, else in its state file (absent: postgres). */
export async function checkpointEngine(
  ctx: Context,
  ckpt: Pick<CheckpointEntry, 'tag' | 'engine'>,
): Promise<EngineName> {
  if (ckpt.engine) return ckpt.engine;
  const snap = await loadCheckpointSnapshot(ctx.stateDir, ckpt.tag).catch(() => null);
  return snap?.engine ?? 'postgres';
}

/** Exact row counts and checksums of the checkpoint `tag`, read on a temporary branch of it. */
export async function readCheckpointOnBranch(
  backend: Backend,
  tag: string,
  signal?: AbortSignal,
): Promise<MysqlSealFacts> {
  const name = deriveBranchName(`verify-${tag}`, randomBytes(3).toString('hex'));
  const [info] = await backend.branch(tag, [name], { signal, createdBy: VERIFY_CREATED_BY, keep: false });
  try {
    // The tool user: InnoDB's dictionary (table ids) needs PROCESS, which a sandbox owner lacks.
    return await withBranch(
      backend,
      info!.name,
      (conn) => {
        const settings = mysqlSettingsOf(conn);
        return mysqlSealFacts(settings, settings.database);
      },
      { as: 'superuser' },
    );
  } finally {
    await backend.destroy(info?.name ?? name);
  }
}

/**
 * What differs between the checksums the checkpoint was sealed with and its contents now
 * (empty: untouched). Recorded by the driver in the registry, or by createCheckpoint in the
 * checkpoint's state file.
 */
export async function verifyMysqlCheckpoint(ctx: Context, backend: Backend, tag: string): Promise<string[]> {
  const entry = await ctx.registry.checkpoint(tag);
  if (entry?.state !== 'ready') return [`checkpoint ${tag}: it no longer exists`];
  const recorded = entry.checksums ?? (await loadCheckpointSnapshot(ctx.stateDir, tag)).checksums;
  if (!recorded) return [`checkpoint ${tag}: no checksums were recorded when it was made`];
  const now = await readCheckpointOnBranch(backend, tag);
  const problems = checksumProblems(tag, recorded, now.checksums);
  // A changed checkpoint is no longer offered as a baseline (as the drivers that verify do).
  if (problems.length > 0) {
    await ctx.registry.update((d) => {
      const c = d.checkpoints[tag];
      if (c) c.damaged = problems.join('; ');
    });
  }
  return problems;
}
