/**
 * Records migrations that passed a vers-db test (see tested.ts): read-modify-write of tested.json
 * under a lock, written atomically and private to the user.
 */

import { writeFileAtomic } from './atomic-write.js';
import { SHORT_SECTION, withFileLock } from './file-lock.js';
import { ensureStateDir } from './paths.js';
import { readTested, type TestedEntry, testedFile } from './tested.js';

/** Keep the file bounded: the oldest records go first. */
const MAX_ENTRIES = 5000;

export async function recordTested(stateDir: string, entries: Record<string, TestedEntry>): Promise<void> {
  if (Object.keys(entries).length === 0) return;
  await ensureStateDir(stateDir);
  await withFileLock(stateDir, 'tested.lock', SHORT_SECTION, async () => {
    const data = readTested(stateDir);
    for (const [hash, entry] of Object.entries(entries)) {
      delete data.files[hash]; // re-inserted last: insertion order is age order
      data.files[hash] = entry;
    }
    const keys = Object.keys(data.files);
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete data.files[old];
    await writeFileAtomic(testedFile(stateDir), `${JSON.stringify(data, null, 2)}\n`, 0o600);
  });
}
