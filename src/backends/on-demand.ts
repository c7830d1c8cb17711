/**
 * Servers other than the embedded PostgreSQL that a process starts on demand (the tool-owned
 * MySQL source) register how to leave them here; the entry points' exit path
 * (stopOnDemandServers in embedded.ts) runs every one, so none of them imports an engine.
 */
const leavers = new Set<() => Promise<void>>();

export function onLeave(fn: () => Promise<void>): void {
  leavers.add(fn);
}

/** Run every registered leaver once; a failing one does not stop the others. */
export async function leaveOnDemandServers(): Promise<void> {
  const all = [...leavers];
  leavers.clear();
  for (const fn of all) await fn().catch(() => undefined);
}
