/**
 * An early, advisory warning: statements of a migration that reach outside its branch (other
 * databases, roles, server settings, tablespaces, server files and programs, other servers),
 * read from the parse tree. The branch's role is what enforces the sandbox; this only says up
 * front what will fail (or, with --superuser, what will act on the whole server). A DO block
 * hides what it EXECUTEs, so it is named as unchecked.
 */
import { parseSync } from 'libpg-query';

type Node = Record<string, unknown>;

/** Statement kinds that act on the server, not on the branch database. */
const OUTSIDE_KINDS: Record<string, string> = {
  CreatedbStmt: 'creates a database',
  DropdbStmt: 'drops a database',
  AlterDatabaseStmt: 'alters a database',
  AlterDatabaseSetStmt: 'changes a database setting',
  AlterDatabaseRefreshCollStmt: 'alters a database',
  CreateRoleStmt: 'creates a role (roles are server-wide)',
  AlterRoleStmt: 'alters a role (roles are server-wide)',
  AlterRoleSetStmt: 'changes a role setting (roles are server-wide)',
  DropRoleStmt: 'drops a role (roles are server-wide)',
  GrantRoleStmt: 'grants role membership (roles are server-wide)',
  ReassignOwnedStmt: 'reassigns objects between roles',
  AlterSystemStmt: 'changes the server configuration (ALTER SYSTEM)',
  CreateTableSpaceStmt: 'creates a tablespace',
  DropTableSpaceStmt: 'drops a tablespace',
  AlterTableSpaceOptionsStmt: 'alters a tablespace',
  AlterTableMoveAllStmt: 'moves relations between tablespaces',
  CreateFdwStmt: 'creates a foreign-data wrapper',
  AlterFdwStmt: 'alters a foreign-data wrapper',
  CreateForeignServerStmt: 'creates a foreign server',
  CreateUserMappingStmt: 'creates a user mapping for a foreign server',
  ImportForeignSchemaStmt: 'imports a foreign schema',
  CreateSubscriptionStmt: 'subscribes to another server',
  LoadStmt: 'loads a shared library into the server',
};

/** Extensions whose purpose is to reach other servers or the server's files. */
const OUTSIDE_EXTENSIONS = new Set(['dblink', 'postgres_fdw', 'file_fdw', 'adminpack', 'mysql_fdw']);

/** Functions that read server files, signal other sessions, or reach other servers. */
const OUTSIDE_FUNCTIONS = new Set([
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_file_write',
  'lo_import',
  'lo_export',
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'dblink',
  'dblink_exec',
  'dblink_connect',
]);

function sval(n: unknown): string | undefined {
  return ((n as Node | undefined)?.String as { sval?: string } | undefined)?.sval;
}

function visit(node: unknown, found: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) visit(x, found);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const n = node as Node;
  for (const [key, value] of Object.entries(n)) {
    const what = OUTSIDE_KINDS[key];
    if (what) found.add(what);
    if (key === 'catalogname' && typeof value === 'string') found.add(`names another database (${value})`);
    if ((key === 'tablespacename' || key === 'tableSpace') && typeof value === 'string')
      found.add(`uses tablespace ${value}`);
    if (key === 'AlterTableCmd' && (value as Node).subtype === 'AT_SetTableSpace')
      found.add(`moves a relation to tablespace ${String((value as Node).name)}`);
    if (key === 'CopyStmt') {
      const copy = value as Node;
      if (copy.is_program) found.add('runs a program on the server (COPY … PROGRAM)');
      else if (typeof copy.filename === 'string')
        found.add(`reads or writes a server file (${copy.filename})`);
    }
    if (key === 'CreateExtensionStmt' && OUTSIDE_EXTENSIONS.has(String((value as Node).extname)))
      found.add(`creates extension ${String((value as Node).extname)}`);
    if (key === 'FuncCall') {
      const names = ((value as Node).funcname as unknown[] | undefined) ?? [];
      const fn = sval(names.at(-1));
      if (fn && OUTSIDE_FUNCTIONS.has(fn)) found.add(`calls ${fn}()`);
    }
    if (key === 'VariableSetStmt') {
      const name = String((value as Node).name ?? '');
      if (name === 'role' || name === 'session_authorization') found.add('switches role (SET ROLE)');
    }
    if (key === 'DoStmt') found.add('has a DO block: what it EXECUTEs is not checked');
    visit(value, found);
  }
}

/**
 * Warnings for the statements of `sql` that reach outside the branch, e.g.
 * "statement 3 (line 7) drops a database". Never throws: a file that does not parse gets none
 * (the splitter reports its syntax error).
 */
export function outsideBranchWarnings(sql: string): string[] {
  let stmts: { stmt?: unknown; stmt_location?: number }[];
  try {
    stmts = parseSync(sql).stmts ?? [];
  } catch {
    return [];
  }
  const bytes = Buffer.from(sql, 'utf8');
  const warnings: string[] = [];
  stmts.forEach((s, i) => {
    const found = new Set<string>();
    visit(s.stmt, found);
    if (found.size === 0) return;
    const start = s.stmt_location ?? 0;
    let line = 1;
    for (let b = 0; b < start && b < bytes.length; b++) if (bytes[b] === 0x0a) line++;
    // Skip leading blank lines the location includes.
    const lead = bytes.subarray(start).toString('utf8').match(/^\s*/)?.[0] ?? '';
    line += (lead.match(/\n/g) ?? []).length;
    warnings.push(`statement ${i + 1} (line ${line}) ${[...found].join('; ')}`);
  });
  return warnings;
}
