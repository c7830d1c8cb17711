/**
 * Results name relations `<database>.<table>` as the application knows them. A logical copy on
 * the user's server serves each branch under a database of its own (`vdb_…_b_<name>`), so the
 * collector's keys and messages name that copy; they are renamed to the checkpoint's source
 * database, so strategies compare relation by relation and reports show `shop.items`, not a copy.
 */

/** Replace `<from>.` (plain or back-quoted) with `<to>.` in every key and string of `value`. */
export function renameDatabase<T>(value: T, from: string, to: string): T {
  if (from === to) return value;
  const plain = `${from}.`;
  const quoted = `\`${from}\`.`;
  const rename = (s: string) =>
    s.includes(from) ? s.split(plain).join(`${to}.`).split(quoted).join(`\`${to}\`.`) : s;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return rename(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [rename(k), walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
