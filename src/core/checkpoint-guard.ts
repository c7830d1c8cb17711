/**
 * After every run, before any pass is reported: is the checkpoint still there, unchanged? A
 * migration that escaped its branch (with --superuser, or through a hole in the sandbox) must
 * fail the run, and the registry must stop calling a damaged checkpoint ready.
 */
import type { Backend } from '../backends/backend.js';
import type { StrategyResult } from '../result.js';
import type { Context } from './context.js';

export async function failIfCheckpointChanged(
  ctx: Context,
  backend: Backend,
  tag: string,
  results: StrategyResult[],
): Promise<void> {
  if (!backend.verifyCheckpoint) return; // Vers: a commit cannot change
  const problems = await backend.verifyCheckpoint(tag);
  if (problems.length === 0) return;
  const reason = `the checkpoint changed during the run: ${problems.join('; ')}`;
  for (const r of results) {
    r.integrity.ok = false;
    r.integrity.problems = [...(r.integrity.problems ?? []), ...problems];
    if (r.status === 'passed') {
      r.status = 'failed';
      r.error = reason;
    }
  }
  // The backend has marked it damaged in the registry: it is no longer offered as a baseline.
  ctx.log(`checkpoint ${tag} is damaged: ${problems.join('; ')}`);
}
