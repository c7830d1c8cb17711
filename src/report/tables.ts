/** The two plain table shapes: bordered for the terminal, aligned columns for MCP text. */
import Table from 'cli-table3';

/** cli-table3 colours borders grey by default, escape codes and all, even into a pipe: no colour here. */
export const PLAIN_STYLE = { head: [], border: [] };

/** A bordered terminal table without colour. */
export function terminalTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({ head: [...head], style: PLAIN_STYLE });
  for (const row of rows) t.push([...row]);
  return t.toString();
}

/** A left-aligned plain-text table; cells never contain newlines. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
