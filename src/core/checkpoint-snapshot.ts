/**
 * What a checkpoint looked like: exact row counts, sizes and the catalog schema, stored beside
 * the registry when the checkpoint is made. Branch comparisons and rollback checks are judged
 * against it (the checkpoint database itself accepts no connections, so it stays untouched).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exactRowCounts, type SchemaSnapshot, snapshotSchema, tableChecksums } from '../collector/index.js';
import type { EngineName } from '../engines/engine.js';
import { NotFoundError } from '../errors.js';
import { type ClientConfig, withClient } from '../util/pg.js';
import type { MysqlSchemaJson } from './mysql-snapshot.js';

export interface CheckpointSnapshot {
  tag: string;
  /** Absent: postgres. */
  engine?: EngineName;
  takenAt: string;
  rowCounts: Record<string, number>;
  sizes: Record<string, number>;
  checksums: Record<string, string> | null;
  /** The catalog (postgres) or information_schema (mysql, `engine: 'mysql'` inside) at checkpoint time. */
  schema: SchemaSnapshot | MysqlSchemaJson;
}

const TABLE_SIZES_SQL = `
  SELECT format('%I.%I', schemaname, relname) AS relation, pg_total_relation_size(relid)::bigint AS bytes
  FROM pg_stat_user_tables ORDER BY 1`;

/** The source's exact row counts, for a checkpoint whose backend did not record its own. */
export function sourceRowCounts(config: ClientConfig): Promise<Record<string, number>> {
  return withClient(config, exactRowCounts, 'vers-db:snapshot');
}

export async function takeCheckpointSnapshot(
  tag: string,
  config: ClientConfig,
  options: { checksums?: boolean; rowCounts?: boolean } = {},
): Promise<CheckpointSnapshot> {
  return withClient(
    config,
    async (c) => {
      const sizes: Record<string, number> = {};
      for (const r of (await c.query<{ relation: string; bytes: string }>(TABLE_SIZES_SQL)).rows) {
        sizes[r.relation] = Number(r.bytes);
      }
      return {
        tag,
        takenAt: new Date().toISOString(),
        // Left out when the checkpoint counts its own rows as it is sealed (the local backends).
        rowCounts: options.rowCounts === false ? {} : await exactRowCounts(c),
        sizes,
        checksums: options.checksums ? await tableChecksums(c) : null,
        schema: await snapshotSchema(c),
      };
    },
    'vers-db:snapshot',
  );
}

const fileOf = (stateDir: string, tag: string) => join(stateDir, 'checkpoints', `${tag}.json`);

export async function saveCheckpointSnapshot(stateDir: string, snap: CheckpointSnapshot): Promise<void> {
  await mkdir(join(stateDir, 'checkpoints'), { recursive: true, mode: 0o700 });
  await writeFile(fileOf(stateDir, snap.tag), `${JSON.stringify(snap)}\n`, { mode: 0o600 });
}

export async function loadCheckpointSnapshot(stateDir: string, tag: string): Promise<CheckpointSnapshot> {
  try {
    return JSON.parse(await readFile(fileOf(stateDir, tag), 'utf8')) as CheckpointSnapshot;
  } catch {
    throw new NotFoundError(`no snapshot recorded for checkpoint ${JSON.stringify(tag)}`, {
      hint: 'the checkpoint was made by an older vers-db or its state file was removed; make a new checkpoint',
    });
  }
}
