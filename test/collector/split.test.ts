/** The splitter: statements as psql would send them, with the lines a user would look for. */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser, splitStatements } from '../../src/collector/index.js';
import { InvalidInputError } from '../../src/errors.js';

beforeAll(async () => {
  await loadParser();
});

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return err as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('splitStatements', () => {
  it('gives each statement its own text and the line of its first token, past comments and dollar quotes', () => {
    const sql = [
      '-- Step 1: add the column', // 1
      'ALTER TABLE users ADD COLUMN premium_level INTEGER;', // 2
      '', // 3
      '/* Step 2:', // 4
      '   backfill; with a semicolon in a comment */', // 5
      'DO $$', // 6
      'BEGIN', // 7
      "  UPDATE users SET name = 'a;b';", // 8
      '  COMMIT;', // 9
      'END $$;', // 10
      'CREATE INDEX CONCURRENTLY idx_users_premium', // 11
      '  ON users(premium_level)', // 12
      '-- trailing comment', // 13
    ].join('\n');
    const stmts = splitStatements(sql);
    expect(stmts.map((s) => [s.index, s.line, s.kind])).toEqual([
      [1, 2, 'AlterTableStmt'],
      [2, 6, 'DoStmt'],
      [3, 11, 'IndexStmt'],
    ]);
    expect(stmts[0]!.sql).toBe('ALTER TABLE users ADD COLUMN premium_level INTEGER');
    expect(stmts[1]!.sql).toBe("DO $$\nBEGIN\n  UPDATE users SET name = 'a;b';\n  COMMIT;\nEND $$");
    expect(stmts[2]!.sql).toBe('CREATE INDEX CONCURRENTLY idx_users_premium\n  ON users(premium_level)');
    expect(stmts[1]!.multiTransaction).toBe(true);
    expect(stmts[2]!.multiTransaction).toBe(true);
    expect(stmts[0]!.relations).toEqual(['users']);
  });

  it('names the view or table a statement creates or replaces (its lock is attributed to it)', () => {
    const [view, matview, refresh] = splitStatements(
      'CREATE OR REPLACE VIEW vw AS SELECT id FROM t;\nCREATE MATERIALIZED VIEW mv AS SELECT 1;\nREFRESH MATERIALIZED VIEW mv;\n',
    );
    expect(view!.relations.sort()).toEqual(['t', 'vw']);
    expect(matview!.relations).toEqual(['mv']);
    expect(refresh!.relations).toEqual(['mv']);
  });

  it('keeps byte offsets right after UTF-8 multibyte text', () => {
    const sql = "-- ünïcødé 日本語 🎉\nINSERT INTO t VALUES ('héllo 🎉');\n\nSELECT 'ß' AS x;";
    const stmts = splitStatements(sql);
    expect(stmts.map((s) => [s.line, s.sql])).toEqual([
      [2, "INSERT INTO t VALUES ('héllo 🎉')"],
      [4, "SELECT 'ß' AS x"],
    ]);
  });

  it('marks explicit transaction blocks and the statement that ends them', () => {
    const stmts = splitStatements(
      'BEGIN;\nLOCK TABLE users;\nSELECT 1;\nCOMMIT;\nSELECT 2;\nSTART TRANSACTION;\nSELECT 3;',
    );
    expect(stmts.map((s) => [s.inTransactionBlock, s.transactionEnd])).toEqual([
      [true, 4],
      [true, 4],
      [true, 4],
      [true, 4],
      [false, 5],
      [true, null],
      [true, null],
    ]);
    expect(stmts[0]!.startsTransaction && stmts[3]!.endsTransaction && stmts[0]!.transactionControl).toBe(
      true,
    );
  });

  it('rejects a psql meta-command, naming its line', () => {
    const err = errorOf(() =>
      splitStatements('SELECT 1;\n-- note\nSELECT 2;\n\n\n\n  \\set ON_ERROR_STOP on\nSELECT 3;', 'm.sql'),
    );
    expect(err.message).toBe(
      'm.sql: line 7: psql meta-command \\set is not supported; vers-db runs plain SQL',
    );
  });

  it('does not mistake a backslash inside a string, a comment or a dollar quote for a meta-command', () => {
    const stmts = splitStatements("SELECT E'a\\\\b', 'x\n\\y';\n/*\n\\d */\nDO $$\n\\x $$;");
    expect(stmts).toHaveLength(2);
  });

  it('rejects an empty file and a file of only comments', () => {
    expect(errorOf(() => splitStatements('', 'empty.sql')).message).toBe(
      'empty.sql contains no SQL statements',
    );
    expect(errorOf(() => splitStatements('-- nothing\n/* here */\n')).message).toMatch(
      /contains no SQL statements/,
    );
  });

  it('reports a parse error with line and column', () => {
    const err = errorOf(() =>
      splitStatements("-- é\nSELECT 'ééé';\nALTER TABEL users ADD x int;", 'bad.sql'),
    );
    expect(err.message).toBe('bad.sql: line 3:7: syntax error at or near "TABEL"');
  });
});
