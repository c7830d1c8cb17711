/**
 * Suites on MySQL/MariaDB (./engines.ts lists them beside PostgreSQL's): the suite options only the PostgreSQL side has (refused before anything is made, naming the suite
 * and the option), and the MySQL source database: rebuilt only when an earlier suite run made it,
 * its setup SQL files run through the engine's own splitter, its objects recorded afterwards.
 * Migrations, validations and checkpoints go through the same core path as on PostgreSQL.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Backend } from '../backends/backend.js';
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { mysqlSettingsOf } from '../core/engine-of.js';
import { resolveMigration } from '../core/migration-input.js';
import { refuseForeignObjects, SUITE_CREATOR } from '../core/ownership.js';
import { connectMysql } from '../engines/mysql/client.js';
import { mysqlInventory } from '../engines/mysql/inventory.js';
import { splitMysql } from '../engines/mysql/split.js';
import { BackendError, InvalidInputError, throwIfAborted } from '../errors.js';
import { readTextFile } from '../util/text-file.js';
import type { Suite, SuiteFile } from './schema.js';

const MAX_SETUP_SQL_BYTES = 512 * 1024 * 1024;

/** The registry key of a MySQL suite source (PostgreSQL sources are keyed by their bare name). */
const sourceKey = (database: string) => `mysql:${database}`;

/** A setup step that names one existing .sql file next to the suite file: loaded through the engine. */
export function setupSqlFile(command: string, dir: string): string | null {
  const t = command.trim();
  if (!/\.sql$/i.test(t) || /\s/.test(t)) return null;
  const abs = resolve(dir, t);
  return existsSync(abs) && statSync(abs).isFile() ? abs : null;
}

/** What only the PostgreSQL suite runner has: every use in a MySQL suite file, refused before anything is made. */
export async function refusePostgresOnly(file: SuiteFile, suites: readonly Suite[]): Promise<void> {
  const problems: string[] = [];
  const s = file.services;
  if (s.template || s.databases.length > 0 || s.extensions.length > 0 || Object.keys(s.settings).length > 0)
    problems.push('services.postgres (template, databases, extensions, settings) configures PostgreSQL');
  for (const suite of suites) {
    const at = `tests.${suite.name}`;
    if (suite.pattern !== 'migrations') {
      problems.push(`${at}: the ${suite.pattern} pattern is PostgreSQL-only (MySQL suites run migrations)`);
      continue;
    }
    if (suite.deploy) problems.push(`${at}.deploy: the deploy rehearsal is PostgreSQL-only`);
    for (const b of suite.branches) {
      if (b.pattern !== 'migrations') continue;
      if (b.metrics.includes('index_bloat'))
        problems.push(`${b.path}.metrics: index_bloat (pgstattuple) is PostgreSQL-only`);
      const m = await resolveMigration({ migration: b.migration, name: b.name }, file.dir, 0, 'mysql').catch(
        (e: Error) => {
          problems.push(`${b.path}.migration: ${e.message}`);
          return null;
        },
      );
      if (m?.source.kind === 'command')
        problems.push(`${b.path}.migration: shell-command strategies are PostgreSQL-only; give SQL`);
    }
  }
  if (problems.length === 0) return;
  throw new InvalidInputError(
    `${file.file} runs on MySQL/MariaDB, and uses what only PostgreSQL suites have:\n  ${problems.join('\n  ')}`,
    { hint: 'remove those options, or run the suite on PostgreSQL (engine: postgres)' },
  );
}

/**
 * The MySQL source database before setup: made if missing; rebuilt when it holds only what an
 * earlier suite run's setup made (MySQL has no database comment: the registry record is the mark),
 * or when `--rebuild` says so.
 */
export async function prepareMysqlSource(
  ctx: Context,
  backend: Backend,
  setupRuns: boolean,
  forceRebuild: boolean,
): Promise<void> {
  if (!setupRuns) return;
  await withSource(backend, async (source) => {
    const settings = mysqlSettingsOf(source);
    const db = settings.database;
    const database = backend.sourceDatabase(db);
    if (!(await database.exists())) return database.ensure();
    const objects = await mysqlInventory(settings, db);
    const record = (await ctx.registry.read()).sources?.[sourceKey(db)];
    if (!forceRebuild) refuseForeignObjects(db, record?.createdBy === SUITE_CREATOR, objects, record);
    if (objects.length > 0) {
      ctx.log(
        `rebuilding the suite's source database ${db}${forceRebuild ? ' (--rebuild)' : ' (made by an earlier run)'}`,
      );
      await database.reset();
    }
  });
}

/** Run one setup SQL file on the source, statement by statement as the `mysql` client would. */
export async function runMysqlSetupFile(
  backend: Backend,
  path: string,
  label: string,
  signal?: AbortSignal,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const text = await readTextFile(path, label, MAX_SETUP_SQL_BYTES);
  const statements = splitMysql(text, label);
  return withSource(backend, async (source) => {
    const c = await connectMysql(mysqlSettingsOf(source));
    try {
      for (const st of statements) {
        throwIfAborted(signal);
        try {
          await c.query(st.sql);
        } catch (err) {
          return {
            exitCode: 1,
            stdout: '',
            stderr: `${label}:${st.line}: statement ${st.index}: ${(err as Error).message}`,
          };
        }
      }
      return { exitCode: 0, stdout: '', stderr: '' };
    } finally {
      await c.end().catch(() => c.destroy());
    }
  });
}

/** Record what the setup made in the MySQL source, so the next run may rebuild it and only it. */
export async function recordMysqlSource(ctx: Context, backend: Backend): Promise<void> {
  await withSource(backend, async (source) => {
    const settings = mysqlSettingsOf(source);
    const objects = await mysqlInventory(settings, settings.database).catch((e: Error) => {
      throw new BackendError(`cannot list the objects of ${settings.database}: ${e.message}`);
    });
    await ctx.registry.update((d) => {
      d.sources ??= {};
      d.sources[sourceKey(settings.database)] = {
        createdBy: SUITE_CREATOR,
        createdAt: new Date().toISOString(),
        objects,
      };
    });
  });
}
