/** Is a checkpoint's data what it was when it was made? Per-table checksums, compared. */

/** What differs between the checksums recorded with a checkpoint and those read now (empty: nothing). */
export function checksumProblems(
  tag: string,
  recorded: Record<string, string>,
  now: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [table, sum] of Object.entries(recorded)) {
    if (!(table in now)) problems.push(`checkpoint ${tag}: table ${table} is gone`);
    else if (now[table] !== sum) problems.push(`checkpoint ${tag}: the data of ${table} changed`);
  }
  for (const table of Object.keys(now)) {
    if (!(table in recorded)) problems.push(`checkpoint ${tag}: table ${table} appeared`);
  }
  return problems;
}
