/** When gc may remove a registry entry: the one rule for checkpoints, branches and VMs. */
import { processAlive } from '../state/children.js';

/**
 * Is a registry entry left over? One still being made (or removed) is, once its process is gone
 * (or is this very process, which is not making it any more when it runs gc); a ready branch is
 * once its creator is gone, unless it was kept on purpose.
 */
export function isOrphan(e: { state: string; pid?: number; keep?: boolean }): boolean {
  const alive = e.pid !== undefined && e.pid > 0 && processAlive(e.pid);
  if (e.state !== 'ready') return !alive || e.pid === process.pid;
  return !e.keep && !alive;
}
