/**
 * The PostgreSQL source database of a suite run, before its setup: checked against the file's
 * services.postgres, rebuilt only when it is empty or an earlier suite run made it (the database
 * comment and the registry record), its extensions created.
 */
import type { Backend } from '../backends/backend.js';
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { databaseInventory } from '../core/inventory.js';
import { refuseForeignObjects, sourceRecord } from '../core/ownership.js';
import { BackendError, InvalidInputError } from '../errors.js';
import { quoteIdent, withClient } from '../util/pg.js';
import type { SuiteFile } from './schema.js';

const SOURCE_MARKER = 'vers-db suite source: rebuilt by the setup of every `vers-db run`';

const SOURCE_STATE_SQL = `
  SELECT shobj_description(d.oid, 'pg_database') AS comment,
         (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             AND n.nspname NOT LIKE 'pg\\_toast%') AS relations
  FROM pg_database d WHERE d.datname = current_database()`;

/**
 * Setup builds the source database from scratch, so it must be a database vers-db may rebuild:
 * empty, or made by an earlier suite run and holding nothing its setup did not create. A
 * database with someone's objects is never dropped unless `--rebuild` says so.
 */
export async function preparePgSource(
  ctx: Context,
  backend: Backend,
  file: SuiteFile,
  setupRuns: boolean,
  forceRebuild: boolean,
): Promise<void> {
  await withSource(backend, async (source) => {
    const db = String(source.config.database ?? 'postgres');
    const wanted = file.services.databases[0];
    if (wanted && wanted !== db) {
      throw new InvalidInputError(
        `${file.file}: services.postgres.config.databases[0] is "${wanted}", but the source database is "${db}"`,
        {
          hint: `point DATABASE_URL at the "${wanted}" database (setup commands and checkpoints use the source database)`,
        },
      );
    }
    if (file.services.databases.length > 1) {
      ctx.log(
        `note: only the first of services.postgres.config.databases (${wanted}) is checkpointed and branched`,
      );
    }
    if (Object.keys(file.services.settings).length > 0 && !backend.capabilities.appliesServerSettings) {
      ctx.log(
        `note: services.postgres.config.settings (${Object.keys(file.services.settings).join(', ')}) are server settings; ` +
          'the local backend does not change the server, so they are not applied',
      );
    }
    if (!setupRuns) return;
    const database = backend.sourceDatabase(db);
    let rebuilt = false;
    if (await database.exists()) {
      const state = await withClient(source.config, async (c) => (await c.query(SOURCE_STATE_SQL)).rows[0]);
      const objects = await databaseInventory(source.config);
      if (!forceRebuild)
        refuseForeignObjects(db, state?.comment === SOURCE_MARKER, objects, await sourceRecord(ctx, db));
      if (objects.length > 0) {
        ctx.log(
          `rebuilding the suite's source database ${db}${forceRebuild ? ' (--rebuild)' : ' (made by an earlier run)'}`,
        );
        await database.reset({ comment: SOURCE_MARKER });
        rebuilt = true;
      }
    }
    if (!rebuilt) await database.ensure({ comment: SOURCE_MARKER });
    if (file.services.extensions.length > 0) {
      await withClient(source.config, async (c) => {
        for (const ext of file.services.extensions) {
          await c.query(`CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)}`).catch((err: Error) => {
            throw new BackendError(
              `services.postgres.config.extensions: cannot create extension "${ext}": ${err.message}`,
            );
          });
        }
      });
    }
  });
}
