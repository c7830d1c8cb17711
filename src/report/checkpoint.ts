/** A new checkpoint: for the terminal (`vers-db checkpoint`) and as MCP text (db_checkpoint). */
import type { CheckpointReport } from '../result.js';
import { engineNote, formatBytes, formatMs } from './format.js';

const enginePrefix = (r: CheckpointReport) => (engineNote(r) ? `${engineNote(r)}, ` : '');

import { terminalTable } from './tables.js';

export function renderCheckpoint(r: CheckpointReport): string {
  const lines = [
    `checkpoint ${r.tag} created in ${formatMs(r.duration_ms)} (${enginePrefix(r)}${r.backend}, ${r.strategy}) from ${r.source}`,
  ];
  if (r.tables?.length) {
    lines.push(
      terminalTable(
        ['Table', 'Rows', 'Size'],
        r.tables.map((x) => [x.relation, x.rows.toLocaleString('en-US'), formatBytes(x.total_bytes)]),
      ),
    );
  }
  lines.push('next:', ...r.next.map((n) => `  ${n}`));
  return lines.join('\n');
}

/** Totals instead of the per-table list, which structuredContent carries. */
export function renderCheckpointText(r: CheckpointReport): string {
  const lines = [
    `checkpoint ${r.tag} created from ${r.source} (${enginePrefix(r)}${r.backend}, ${r.strategy}) in ${formatMs(r.duration_ms)}`,
  ];
  if (r.tables) {
    const rows = r.tables.reduce((n, t) => n + t.rows, 0);
    const bytes = r.tables.reduce((n, t) => n + t.total_bytes, 0);
    lines.push(`${r.tables.length} tables, ${rows} rows, ${formatBytes(bytes)}`);
  }
  for (const next of r.next) lines.push(`next: ${next}`);
  return lines.join('\n');
}
