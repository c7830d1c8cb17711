/**
 * PostgreSQL as a vers-db engine: the default, chosen by postgres:// and postgresql:// URLs or
 * `--engine postgres` (also "postgresql", "pg"); migration files split by the real parser
 * (libpg-query) as `psql -f` sends them; relations keyed `<schema>.<table>`. Its admin work
 * (databases, template copies, sessions) is src/backends/pg-admin.ts.
 */
import * as pgAdmin from '../../backends/pg-admin.js';
import type { SqlStatement } from '../../collector/split.js';
import { splitStatementsOffThread } from '../../collector/split-offthread.js';
import { quoteIdent } from '../../util/pg.js';
import type { Engine } from '../engine.js';

export const postgresEngine: Engine<typeof pgAdmin, SqlStatement> = {
  name: 'postgres',
  label: 'PostgreSQL',
  aliases: ['postgresql', 'pg'],
  urlSchemes: ['postgres', 'postgresql'],
  defaultPort: 5432,
  split: splitStatementsOffThread,
  quoteIdent,
  relationKey: (schema, table) => `${schema}.${table}`,
  admin: pgAdmin,
};
