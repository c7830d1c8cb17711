/**
 * MySQL and MariaDB as a vers-db engine: chosen by mysql:// or mariadb:// URLs or `--engine mysql`;
 * migration files split as the `mysql` client does; relations keyed `<database>.<table>`.
 * The server lifecycle (server.ts, branch.ts) and lock sampling (lock-sources.ts) sit beside it.
 */
import type { Engine } from '../engine.js';
import { type MysqlAdminSql, mysqlAdminSql } from './admin-sql.js';
import { relationKey } from './locks.js';
import { quoteMysqlIdent } from './quote.js';
import { type MysqlStatement, splitMysql } from './split.js';

export const mysqlEngine: Engine<MysqlAdminSql, MysqlStatement> = {
  name: 'mysql',
  label: 'MySQL/MariaDB',
  aliases: ['mariadb'],
  urlSchemes: ['mysql', 'mariadb'],
  defaultPort: 3306,
  split: async (text, file) => splitMysql(text, file),
  quoteIdent: quoteMysqlIdent,
  relationKey,
  admin: mysqlAdminSql,
};
