/**
 * The variants generator without a database: what it recognises from the parse tree alone, how
 * it cuts a migration's own transaction around steps that must run outside it, how it names what
 * the user left unnamed, and where it writes (under the state directory, never beside the file).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParser, splitStatements } from '../../src/collector/index.js';
import { NO_CATALOG } from '../../src/variants/catalog.js';
import { suggestVariants } from '../../src/variants/generate.js';
import { makeObjectName } from '../../src/variants/names.js';

let stateDir: string;

beforeAll(async () => {
  await loadParser();
  stateDir = await mkdtemp(join(tmpdir(), 'vers-db-variants-'));
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

const suggest = (sql: string, name = 'm') =>
  suggestVariants({ sql, migration: `${name}.sql`, name, catalog: NO_CATALOG, stateDir });

describe('suggestVariants from the parse tree', () => {
  it('rewrites CREATE INDEX as CONCURRENTLY and closes the migration’s transaction around it', async () => {
    const r = await suggest(
      'BEGIN;\nCREATE UNIQUE INDEX u_email ON users (lower(email)) WHERE id > 5;\nCOMMIT;\n',
    );
    expect(r.variants.map((v) => v.name)).toEqual(['m.concurrent-index']);
    const stmts = splitStatements(r.variants[0]!.sql).map((s) => s.sql);
    expect(stmts).toEqual([
      'BEGIN',
      'COMMIT',
      'CREATE UNIQUE INDEX CONCURRENTLY u_email ON users (lower(email)) WHERE id > 5',
      'BEGIN',
      'COMMIT',
    ]);
    // Written under the state directory, with its report.
    expect(r.variants[0]!.file.startsWith(join(stateDir, 'variants'))).toBe(true);
    expect(await readFile(r.variants[0]!.file, 'utf8')).toBe(r.variants[0]!.sql);
    expect(
      JSON.parse(await readFile(join(r.variants[0]!.file, '..', 'report.json'), 'utf8')).variants,
    ).toHaveLength(1);
  });

  it('cuts a multi-command ALTER TABLE, names unnamed constraints as PostgreSQL would, and validates later', async () => {
    const r = await suggest(
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id), ADD CHECK (total > 0), ALTER COLUMN total SET NOT NULL;\n',
    );
    expect(r.variants.map((v) => v.name)).toEqual(['m.not-valid-constraint', 'm.set-not-null', 'm.all']);
    const all = splitStatements(r.variants[2]!.sql).map((s) => s.sql);
    expect(all).toEqual([
      'ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_fkey" FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID',
      'ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_user_id_fkey"',
      'ALTER TABLE "orders" ADD CONSTRAINT "orders_total_check" CHECK (total > 0) NOT VALID',
      'ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_total_check"',
      'ALTER TABLE "orders" ADD CONSTRAINT "orders_total_vdb_not_null" CHECK ("total" IS NOT NULL) NOT VALID',
      'ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_total_vdb_not_null"',
      'ALTER TABLE "orders" ALTER COLUMN "total" SET NOT NULL',
      'ALTER TABLE "orders" DROP CONSTRAINT "orders_total_vdb_not_null"',
    ]);
    // The SET NOT NULL-only variant keeps the constraints as written.
    expect(splitStatements(r.variants[1]!.sql)[0]!.sql).toBe(
      'ALTER TABLE "orders" ADD FOREIGN KEY (user_id) REFERENCES users (id)',
    );
  });

  it('quotes identifiers it generates, whatever they hold', async () => {
    const r = await suggest('ALTER TABLE "we""ird; DROP TABLE x" ALTER COLUMN "a b" SET NOT NULL;\n');
    const stmts = splitStatements(r.variants[0]!.sql).map((s) => s.sql);
    expect(stmts).toHaveLength(4);
    expect(stmts[2]).toBe('ALTER TABLE "we""ird; DROP TABLE x" ALTER COLUMN "a b" SET NOT NULL');
  });

  it('says what needs the checkpoint and rewrites nothing it cannot check', async () => {
    const r = await suggest(
      'UPDATE users SET n = n + 1;\nALTER TABLE users ALTER COLUMN n TYPE bigint;\nCREATE INDEX CONCURRENTLY i ON users (n);\n',
    );
    expect(r.variants).toEqual([]);
    expect(r.not_rewritten.map((n) => [n.statement, n.rewrite])).toEqual([
      [1, 'batched-backfill'],
      [2, 'expand-contract'],
    ]);
    expect(r.not_rewritten[0]!.reason).toMatch(/give a baseline/);
  });

  it('shortens generated names to 63 bytes as PostgreSQL does', () => {
    const long = 'a'.repeat(60);
    expect(makeObjectName(long, 'column_name', 'fkey')).toHaveLength(63);
    expect(makeObjectName('orders', 'user_id', 'fkey')).toBe('orders_user_id_fkey');
  });
});
