/**
 * What the MySQL demo may replace: its own database on the tool-owned source server, only if an
 * earlier `vers-db demo --engine mysql` made it and nobody added anything to it since. The objects
 * are listed from information_schema (tables, views, routines, triggers, events) and recorded in
 * the registry, as the PostgreSQL demo records its catalog inventory.
 */

import type { Context } from '../../core/context.js';
import { addedObjects } from '../../core/inventory.js';
import { DEMO_CREATOR } from '../../core/ownership.js';
import { DATABASE_EXISTS_SQL } from '../../engines/mysql/admin-sql.js';
import { type MysqlSettings, withMysql } from '../../engines/mysql/client.js';
import { mysqlInventory } from '../../engines/mysql/inventory.js';
import { ConflictError } from '../../errors.js';

async function databaseExists(settings: MysqlSettings, database: string): Promise<boolean> {
  return withMysql(settings, async (c) => {
    const [rows] = await c.query(DATABASE_EXISTS_SQL, [database]);
    return Number((rows as Array<{ n: string | number }>)[0]?.n ?? 0) > 0;
  });
}

/** Record the demo's database as its own, with the objects it holds now (none while loading). */
export async function recordMysqlDemoDatabase(
  ctx: Context,
  settings: MysqlSettings,
  database: string,
  options: { loading?: boolean } = {},
): Promise<void> {
  const objects = options.loading ? [] : await mysqlInventory(settings, database);
  await ctx.registry.update((d) => {
    d.sources ??= {};
    d.sources[database] = {
      createdBy: DEMO_CREATOR,
      createdAt: new Date().toISOString(),
      objects,
      loading: options.loading,
    };
  });
}

/** The demo drops its database only if this project's demo made it and nobody added to it since. */
export async function assertMysqlDemoDatabaseIsOurs(
  ctx: Context,
  settings: MysqlSettings,
  database: string,
): Promise<void> {
  if (!(await databaseExists(settings, database))) return;
  const record = (await ctx.registry.read()).sources?.[database];
  const hint = `the demo rebuilds ${database} on every run: drop or rename it yourself if it is disposable`;
  if (record?.createdBy !== DEMO_CREATOR) {
    throw new ConflictError(
      `MySQL database ${database} exists and was not made by this project's \`vers-db demo --engine mysql\``,
      { hint },
    );
  }
  const added = record.loading ? [] : addedObjects(record.objects, await mysqlInventory(settings, database));
  if (added.length > 0) {
    throw new ConflictError(
      `MySQL database ${database} holds ${added.length} object(s) the demo did not create: ${added.slice(0, 5).join(', ')}`,
      { hint },
    );
  }
}
