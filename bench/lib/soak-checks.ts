/**
 * What the soak checks after every fault: nothing of the tool's left once the next command has
 * started (registry entries, branch databases, roles, sessions, process groups), every strategy's
 * result present, and the checkpoint's per-table checksums unchanged.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { processAlive } from '../../src/state/children.js';
import { quoteIdent, withClient } from '../../src/util/pg.js';
import { note, type Tally } from './soak-tally.js';

export interface Registry {
  instance: string;
  checkpoints: Record<string, { id: string; owner?: string }>;
  branches: Record<string, { keep: boolean; id?: string }>;
  settings: Record<string, string>;
}

export async function readRegistry(home: string): Promise<Registry> {
  return JSON.parse(await readFile(join(home, 'registry.json'), 'utf8')) as Registry;
}

/** Registry entries of branches nobody keeps: a run that ended must have removed them. */
export function strayEntries(reg: Registry): string[] {
  return Object.entries(reg.branches)
    .filter(([, b]) => !b.keep)
    .map(([name]) => `registry entry for branch ${name}`);
}

/** Recorded process groups whose owner died: the next command must have ended and forgotten them. */
export async function strayChildren(home: string): Promise<string[]> {
  const out: string[] = [];
  for (const f of await readdir(join(home, 'children')).catch(() => [] as string[])) {
    const rec = JSON.parse(await readFile(join(home, 'children', f), 'utf8').catch(() => '{}')) as {
      pgid?: number;
      owner?: number;
    };
    if (rec.owner !== undefined && !processAlive(rec.owner))
      out.push(`process group ${rec.pgid} of a dead process still recorded`);
  }
  return out;
}

/** Everything of the tool's on the local server that should not exist once the next command has started. */
export async function localLeaks(admin: pg.ClientConfig, home: string, reg: Registry): Promise<string[]> {
  const out = strayEntries(reg);
  const prefix = `vdb_${reg.instance}_`;
  const known = new Set(Object.values(reg.checkpoints).map((c) => c.owner));
  await withClient(
    admin,
    async (db) => {
      const dbs = await db.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${prefix}b_%`],
      );
      for (const r of dbs.rows) out.push(`database ${r.datname}`);
      const roles = await db.query<{ rolname: string }>(
        'SELECT rolname FROM pg_roles WHERE rolname LIKE $1',
        [`${prefix}%`],
      );
      for (const r of roles.rows) if (!known.has(r.rolname)) out.push(`role ${r.rolname}`);
      // Sessions get a moment to end after their client went away.
      for (let k = 0; k < 30; k++) {
        const s = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'vers-db%' AND pid <> pg_backend_pid()`,
        );
        if (s.rows[0]!.n === 0) return;
        await sleep(200);
      }
      out.push('vers-db sessions still connected after 6 s');
    },
    'soak',
  );
  out.push(...(await strayChildren(home)));
  return out;
}

/** Per-table checksums of the checkpoint, read from a throwaway copy (the checkpoint takes no connections). */
export async function checkpointChecksums(
  admin: pg.ClientConfig,
  ckpt: string,
  tables: readonly string[],
): Promise<Record<string, string>> {
  const copy = `soak_verify_${process.pid}`;
  await withClient(
    admin,
    (db) => db.query(`CREATE DATABASE ${quoteIdent(copy)} TEMPLATE ${quoteIdent(ckpt)}`),
    'soak',
  );
  try {
    return await withClient(
      { ...admin, database: copy },
      async (db) => {
        const out: Record<string, string> = {};
        for (const t of tables) {
          const r = await db.query<{ h: string }>(
            `SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${quoteIdent(t)} x`,
          );
          out[t] = r.rows[0]!.h;
        }
        return out;
      },
      'soak',
    );
  } finally {
    await withClient(admin, (db) => db.query(`DROP DATABASE ${quoteIdent(copy)} WITH (FORCE)`), 'soak');
  }
}

export interface RunOutcome {
  exitCode?: number;
  stdout: unknown;
  stderr: unknown;
}

/** Exit 0/1 must come with every strategy's result; exit 3 must be a clear error, not a crash. */
export function countResults(t: Tally, kind: string, label: string, r: RunOutcome, expected: number): void {
  const stdout = String(r.stdout);
  if (r.exitCode === 0 || r.exitCode === 1) {
    let got = 0;
    try {
      got = (JSON.parse(stdout) as { results: unknown[] }).results.length;
    } catch {
      got = 0;
    }
    if (got < expected)
      note(t, kind, 'lostResults', `${label}: ${expected - got} of ${expected} results missing`);
  } else if (r.exitCode === 3) {
    if (/\n\s+at /.test(String(r.stderr))) note(t, kind, 'badExits', `${label}: a stack trace`);
    const err = String(r.stderr)
      .split('\n')
      .filter((l) => /^(error|hint):/.test(l))
      .join(' / ');
    note(
      t,
      kind,
      'lostResults',
      `${label}: no results (exit 3: ${err || String(r.stderr).trim().slice(-300)})`,
    );
    if (process.env.SOAK_DEBUG) process.stderr.write(`--- ${label} stderr:\n${String(r.stderr)}\n---\n`);
  } else {
    note(t, kind, 'badExits', `${label}: exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
  }
}
