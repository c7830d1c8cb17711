/**
 * `down` and `rollback` on the vers backend. `down` deletes the project's base VM only with
 * --yes (otherwise it says what it would delete); `rollback` prints the new VM and how to reach
 * the PostgreSQL (or MariaDB) inside it, not a DATABASE_URL it cannot honour.
 */
import type { RollbackResult } from '../backends/backend.js';
import { VERS_SETTINGS } from '../backends/vers.js';
import { deleteVersBase } from '../backends/vers-provision.js';
import type { Context } from '../core/context.js';
import { engineOf } from '../engines/engine.js';
import { printText } from './output.js';

const TUNNEL_PORT = 15432;
const MYSQL_TUNNEL_PORT = 13306;

export async function versDown(ctx: Context, o: { yes?: boolean }): Promise<number> {
  const data = await ctx.registry.read();
  const vm = data.settings[VERS_SETTINGS.baseVm];
  if (!vm) {
    ctx.log('no Vers base VM is set up for this project: nothing to delete');
    return 0;
  }
  const database = data.settings[VERS_SETTINGS.database] ?? 'postgres';
  const checkpoints = Object.values(data.checkpoints).filter((c) => c.backend === 'vers').length;
  const kept = Object.values(data.branches).filter((b) => b.backend === 'vers').length;
  const untouched = `its ${checkpoints} checkpoint(s) are Vers commits and stay; ${kept} branch VM(s) and rollback copies are not touched (vers-db delete, vers-db gc)`;
  if (!o.yes) {
    const label = data.settings[VERS_SETTINGS.engine] === 'mysql' ? 'MariaDB' : 'PostgreSQL';
    printText(`would delete the Vers base VM ${vm} (${label}, database ${database})`);
    ctx.log(untouched);
    ctx.log('nothing was deleted: run `vers-db down --backend vers --yes` to delete it');
    return 0;
  }
  await deleteVersBase(ctx, vm);
  printText(`deleted the Vers base VM ${vm}`);
  ctx.log(untouched);
  ctx.log('`vers-db up --backend vers` makes a new one');
  return 0;
}

/** The lines `rollback` prints for a VM: the id on stdout, how to reach it on stderr. */
export async function printVersRollback(ctx: Context, r: RollbackResult): Promise<void> {
  const settings = (await ctx.registry.read()).settings;
  const database = encodeURIComponent(settings[VERS_SETTINGS.database] ?? 'postgres');
  printText(`VERS_VM=${r.target}`);
  ctx.log(`a fresh VM from checkpoint ${r.tag}${r.removed ? `, replacing VM ${r.removed}` : ''}`);
  if (engineOf(await ctx.registry.checkpoint(r.tag)) === 'mysql') {
    ctx.log(
      `reach its MariaDB: vers tunnel ${r.target} ${MYSQL_TUNNEL_PORT}:3306   then   DATABASE_URL=mysql://versdb:<password>@127.0.0.1:${MYSQL_TUNNEL_PORT}/${database}`,
    );
    ctx.log(`the password is in ${ctx.registry.file} (settings."${VERS_SETTINGS.mysqlPassword}")`);
    ctx.log(`a shell in the VM:    vers connect ${r.target}`);
    return;
  }
  ctx.log(
    `reach its PostgreSQL: vers tunnel ${r.target} ${TUNNEL_PORT}:5432   then   DATABASE_URL=postgres://postgres:<password>@127.0.0.1:${TUNNEL_PORT}/${database}`,
  );
  ctx.log(`the password is in ${ctx.registry.file} (settings."${VERS_SETTINGS.password}")`);
  ctx.log(`a shell in the VM:    vers connect ${r.target}`);
}
