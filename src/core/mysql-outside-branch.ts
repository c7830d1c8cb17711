/**
 * The MySQL/MariaDB counterpart of outside-branch.ts: an early, advisory warning for statements
 * that reach outside the branch's database (users and privileges, server settings, server files,
 * plugins, other sessions, other databases). Read from each statement's text as the `mysql`
 * client splits it; the branch's user is what enforces the sandbox.
 */
import { type MysqlStatement, splitMysql } from '../engines/mysql/split.js';

const OUTSIDE: readonly [RegExp, string][] = [
  [/^\s*(create|drop|alter|rename)\s+user\b/i, 'manages server users'],
  [/^\s*(grant|revoke)\b/i, 'changes privileges'],
  [/^\s*(create|drop)\s+(role)\b/i, 'manages roles (server-wide)'],
  [/^\s*(create|drop|alter)\s+(database|schema)\b/i, 'creates, drops or alters a database'],
  [/\bset\s+(global|persist|persist_only)\b|@@(global|persist)\./i, 'changes a server setting'],
  [
    /\binto\s+(outfile|dumpfile)\b|\bload_file\s*\(|\bload\s+data\b[^;]*\binfile\b/i,
    'reads or writes server files',
  ],
  [/^\s*(install|uninstall)\s+(plugin|soname)\b/i, 'loads a plugin into the server'],
  [/^\s*(shutdown|kill)\b/i, 'stops the server or another session'],
  [/^\s*(create|alter|drop)\s+server\b/i, 'defines a connection to another server'],
  [/^\s*(reset|purge|change)\s+(master|binary|replication)\b|^\s*flush\b/i, 'acts on the whole server'],
];

/** `db`.`t` or db.t where a table is named (after FROM, JOIN, INTO, UPDATE, TABLE, …): its database. */
const QUALIFIED =
  /\b(?:from|join|into|update|table|references|to|exists)\s+(?:`((?:[^`]|``)+)`|([A-Za-z_$][\w$]*))\s*\.\s*(?:`|[A-Za-z_$])/gi;
const SYSTEM_SCHEMAS = new Set(['information_schema', 'performance_schema']);

function otherDatabases(s: MysqlStatement, database: string): string[] {
  const out = new Set<string>();
  const text = s.sql.replace(/'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"/g, "''");
  for (const m of text.matchAll(QUALIFIED)) {
    const name = m[1]?.replaceAll('``', '`') ?? m[2]!;
    if (name.toLowerCase() !== database.toLowerCase() && !SYSTEM_SCHEMAS.has(name.toLowerCase()))
      out.add(name);
  }
  return [...out];
}

/** "statement 3 (line 7) changes privileges"; never throws (a file that does not split gets none). */
export function mysqlOutsideBranchWarnings(sql: string, database: string): string[] {
  let statements: MysqlStatement[];
  try {
    statements = splitMysql(sql);
  } catch {
    return [];
  }
  const warnings: string[] = [];
  for (const s of statements) {
    const found = OUTSIDE.filter(([re]) => re.test(s.sql)).map(([, what]) => what);
    const others = otherDatabases(s, database);
    if (others.length > 0) found.push(`names another database (${others.join(', ')})`);
    if (found.length > 0) warnings.push(`statement ${s.index} (line ${s.line}) ${found.join('; ')}`);
  }
  return warnings;
}
