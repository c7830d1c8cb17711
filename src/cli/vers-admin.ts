/**
 * `down` and `rollback` on the vers backend. `down` deletes the project's base VM only with
 * --yes (otherwise it says what it would delete); `rollback` prints the new VM and how to reach
 * the PostgreSQL (or MariaDB) inside it, not a DATABASE_URL it cannot honour.
 */
import type { RollbackResult } from '../backends/backend.js';
import { VERS_SETTINGS } from '../backends/vers.js';
import { versEngine } from '../backends/vers-engines.js';
import { deleteVersBase } from '../backends/vers-provision.js';
import { baseVmEngine } from '../backends/vers-settings.js';
import type { Context } from '../core/context.js';
import { engineOf } from '../engines/engine.js';
import { printText } from './output.js';

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
    const label = versEngine(baseVmEngine(data.settings)).server;
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
  const server = versEngine(engineOf(await ctx.registry.checkpoint(r.tag)));
  const local = server.tunnelPort;
  ctx.log(
    `reach its ${server.server}: vers tunnel ${r.target} ${local}:${server.port}   then   DATABASE_URL=${server.urlScheme}://${server.user}:<password>@127.0.0.1:${local}/${database}`,
  );
  ctx.log(`the password is in ${ctx.registry.file} (settings."${server.passwordSetting}")`);
  ctx.log(`a shell in the VM:    vers connect ${r.target}`);
}
