/**
 * Issue 10: splitting 20k statements (1.5 MB) took 57 s and blocked the MCP event loop; a valid
 * large file was reported as a syntax error. The splitter is linear, runs off the event loop,
 * and past its stated limit says the file is too large.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSync } from 'libpg-query';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParser, MAX_SQL_BYTES, splitStatements } from '../../src/collector/split.js';
import { splitStatementsOffThread, stopSplitWorker } from '../../src/collector/split-offthread.js';
import { InvalidInputError } from '../../src/errors.js';
import { readTextFile } from '../../src/util/text-file.js';

beforeAll(async () => {
  await loadParser();
});
afterAll(async () => {
  await stopSplitWorker();
});

/** 20 000 statements, about 1.5 MB, with comments between them. */
function bigFile(n = 20_000): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0)
      out.push(`INSERT INTO users (id, name, email) VALUES (${i}, 'name ${i}', 'user-${i}@example.com');`);
    else if (i % 4 === 1) out.push(`UPDATE users SET name = 'renamed ${i}' WHERE id = ${i};`);
    else if (i % 4 === 2)
      out.push(`-- step ${i}\nALTER TABLE t${i % 50} ADD COLUMN IF NOT EXISTS c${i} integer;`);
    else out.push(`CREATE INDEX IF NOT EXISTS idx_${i} ON users (email, name);`);
  }
  return `${out.join('\n')}\n`;
}

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

describe('splitter limits', () => {
  const sql = bigFile();

  it('splits 20k statements (1.5 MB) in seconds of CPU, not the minute it once took, with the right lines', () => {
    expect(Buffer.byteLength(sql)).toBeGreaterThan(1_300_000);
    splitStatements(bigFile(2000)); // warm the WebAssembly parser
    let stmts: ReturnType<typeof splitStatements> = [];
    const ms = cpuMs(() => {
      stmts = splitStatements(sql, 'big.sql');
    });
    expect(stmts).toHaveLength(20_000);
    expect(stmts[2]).toMatchObject({ line: 4, sql: 'ALTER TABLE t2 ADD COLUMN IF NOT EXISTS c2 integer' });
    expect(stmts.at(-1)).toMatchObject({ index: 20_000, line: 25_000, kind: 'IndexStmt' });
    // Was 57 s (a filter over all tokens per statement, a line count from the start per statement);
    // linear now (~0.5 s of CPU on a quiet 2-core machine, 1.03 s once in CI). The bound catches a return
    // to quadratic work, not a busy runner.
    expect(ms).toBeLessThan(5000);
  });

  it('splits a large file on a worker thread: the event loop keeps turning meanwhile', async () => {
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const stmts = await splitStatementsOffThread(sql, 'big.sql');
    spinning = false;
    expect(stmts).toHaveLength(20_000);
    expect(stmts[19_999]!.line).toBe(25_000);
    // Split inline, the whole parse would run between two turns of the loop.
    expect(turns).toBeGreaterThan(10);
  });

  it('reports errors from the worker as the same located InvalidInputError', async () => {
    const bad = `${bigFile(4000)}ALTER TABEL users ADD x int;\n`;
    const err = await splitStatementsOffThread(bad, 'bad.sql').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe('bad.sql: line 5001:7: syntax error at or near "TABEL"');
  });

  it('refuses a file past the stated maximum with a message that says so, not a syntax error', async () => {
    const huge = 'SELECT 1;\n'.repeat(Math.ceil((MAX_SQL_BYTES + 1) / 10));
    const err = await splitStatementsOffThread(huge, 'huge.sql').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe('huge.sql is 64.0 MB; vers-db splits SQL files of at most 64.0 MB');
    expect(() => splitStatements(huge, 'huge.sql')).toThrow(/at most 64\.0 MB/);
  });

  it('cuts chunks only where psql would, so statements spanning them parse as one', () => {
    const tricky = [
      'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a; SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; END;',
      'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO log VALUES (1); INSERT INTO log VALUES (2));',
      "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;",
      "SELECT E'it\\'s; fine', 'x''y;z', \"we;ird\" FROM t;",
      '/* nested /* comment; */ still; */ SELECT 2;',
      'SELECT $1::int; SELECT a$b FROM t;',
    ].join('\n');
    // Repeat until the text spans many 64 KB chunks.
    const text = `${Array.from({ length: 600 }, () => tricky).join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(200_000);
    const mine = splitStatements(text);
    const whole = parseSync(text).stmts ?? [];
    expect(mine.map((s) => s.kind)).toEqual(whole.map((s) => Object.keys(s.stmt ?? {})[0]));
    expect(mine[0]!.sql).toBe(
      'CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a; SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; END',
    );
    expect(mine.at(-1)!.line).toBe(600 * 6);
  });
});

describe('strict UTF-8 input', () => {
  it('refuses Latin-1 text, naming the line and byte, instead of rewriting it', async () => {
    const file = join(tmpdir(), `vers-db-latin1-${process.pid}.sql`);
    await writeFile(
      file,
      Buffer.concat([
        Buffer.from("SELECT 1;\nUPDATE t SET name = 'caf"),
        Buffer.from([0xe9]),
        Buffer.from("';\n"),
      ]),
    );
    const err = await readTextFile(file, 'latin1.sql', MAX_SQL_BYTES).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toBe('latin1.sql: line 2:25: not valid UTF-8 (byte 0xE9 at offset 34)');
  });

  it('accepts UTF-8 with a byte-order mark, and multibyte text', async () => {
    const file = join(tmpdir(), `vers-db-utf8-${process.pid}.sql`);
    await writeFile(file, `\uFEFFSELECT 'café 日本 🎉';\n`);
    expect(await readTextFile(file, 'utf8.sql', MAX_SQL_BYTES)).toBe("SELECT 'café 日本 🎉';\n");
  });
});
