/**
 * What the local driver may remove: only databases and roles named with this state directory's
 * prefix (names.ts), so a damaged or rewritten registry drops nothing else; and, for gc, those
 * of them the registry no longer accounts for.
 */
import { BackendError } from '../errors.js';
import { checkpointOwnerRole, instancePrefix, workingDatabaseName } from '../state/names.js';
import type { Registry } from '../state/registry.js';
import type { ClientConfig } from '../util/pg.js';
import type { GcReport } from './backend.js';
import { dropRoles, dropUnknownRoles } from './local-sandbox.js';
import { databasesWithPrefix, dropDatabase } from './pg-admin.js';

export async function dropOwnDatabase(admin: ClientConfig, instance: string, name: string): Promise<void> {
  const prefix = instancePrefix(instance);
  if (!name.startsWith(prefix)) {
    throw new BackendError(`refusing to drop database ${JSON.stringify(name)}: vers-db did not create it`, {
      hint: `vers-db only ever drops databases named ${prefix}…; the registry entry naming it was not written by vers-db`,
    });
  }
  await dropDatabase(admin, name);
}

export async function dropOwnRoles(admin: ClientConfig, instance: string, roles: string[]): Promise<void> {
  const prefix = instancePrefix(instance);
  const foreign = roles.find((r) => !r.startsWith(prefix));
  if (foreign)
    throw new BackendError(`refusing to drop role ${JSON.stringify(foreign)}: vers-db did not create it`);
  await dropRoles(admin, roles);
}

/** Databases and roles with this state directory's prefix that the registry (read now) does not hold. */
export async function sweepUnregistered(
  admin: ClientConfig,
  registry: Registry,
  report: GcReport,
): Promise<void> {
  const data = await registry.read();
  const prefix = instancePrefix(data.instance); // a rewritten instance id stops gc before it touches anything
  const databases = new Set<string>();
  const roles = new Set<string>();
  for (const b of Object.values(data.branches)) {
    if (b.backend === 'local') databases.add(b.database);
    if (b.sandbox) roles.add(b.sandbox.owner).add(b.sandbox.reader);
  }
  for (const c of Object.values(data.checkpoints)) {
    if (c.owner) roles.add(c.owner);
    if (c.backend !== 'local') continue;
    databases.add(c.id).add(workingDatabaseName(data.instance, c.tag));
    // A checkpoint being made does not name its role yet.
    if (c.state !== 'ready') roles.add(checkpointOwnerRole(data.instance, c.tag));
  }
  for (const name of await databasesWithPrefix(admin, prefix)) {
    if (databases.has(name)) continue;
    try {
      await dropOwnDatabase(admin, data.instance, name);
      report.removed.push(`unregistered database ${name}`);
    } catch (err) {
      report.errors.push(`${name}: ${(err as Error).message}`);
    }
  }
  await dropUnknownRoles(admin, prefix, roles, report);
}
