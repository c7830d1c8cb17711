/**
 * The names PostgreSQL chooses for what the user left unnamed (src/backend/commands/indexcmds.c
 * ChooseIndexName, catalog/pg_constraint.c ChooseConstraintName), so a rewrite that must name an
 * object (to VALIDATE it, to ATTACH it) gives it the name the original would have got, and both
 * end in the same schema. The equivalence check catches any case this gets wrong.
 */

const NAMEDATALEN = 64;

/** Cut a string to at most `bytes` UTF-8 bytes without splitting a character (pg_mbcliplen). */
function clip(s: string, bytes: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch, 'utf8') > bytes) break;
    out += ch;
  }
  return out;
}

/** makeObjectName: name1_name2_label, shortening the longer name until it fits in 63 bytes. */
export function makeObjectName(name1: string, name2: string | null, label: string | null): string {
  let n1 = Buffer.byteLength(name1, 'utf8');
  let n2 = name2 ? Buffer.byteLength(name2, 'utf8') : 0;
  const overhead = (label ? Buffer.byteLength(label, 'utf8') + 1 : 0) + (name2 ? 1 : 0);
  const avail = NAMEDATALEN - 1 - overhead;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  return [clip(name1, n1), name2 ? clip(name2, n2) : null, label].filter((x) => x !== null).join('_');
}

/** ChooseRelationName / ChooseConstraintName: add 1, 2, … to the label until the name is free. */
export function chooseName(
  name1: string,
  name2: string | null,
  label: string,
  taken: ReadonlySet<string>,
): string {
  for (let pass = 0; ; pass++) {
    const name = makeObjectName(name1, name2, pass === 0 ? label : `${label}${pass}`);
    if (!taken.has(name)) return name;
  }
}

/** ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: names joined by "_", capped. */
export function nameAddition(columns: string[]): string {
  let buf = '';
  for (const c of columns) {
    if (buf.length > 0) buf += '_';
    buf += clip(c, NAMEDATALEN - 1 - Buffer.byteLength(buf, 'utf8'));
    if (Buffer.byteLength(buf, 'utf8') >= NAMEDATALEN - 1) break;
  }
  return buf;
}

/** ChooseIndexColumnNames: a column's name, "expr" for an expression, made unique with a number. */
export function indexColumnNames(params: { name?: string; expr?: unknown; indexcolname?: string }[]) {
  const out: string[] = [];
  for (const p of params) {
    const base = p.indexcolname ?? p.name ?? 'expr';
    let name = base;
    for (let i = 1; out.includes(name); i++) name = `${base}${i}`;
    out.push(name);
  }
  return out;
}
