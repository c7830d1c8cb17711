/**
 * Issue 10 (Why: "a valid 50 MB file was reported as a syntax error"): a valid file of 50 MB —
 * under the stated 64 MB maximum — splits into its statements, off the event loop.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadParser } from '../../src/collector/split.js';
import { splitStatementsOffThread, stopSplitWorker } from '../../src/collector/split-offthread.js';

beforeAll(async () => {
  await loadParser();
});
afterAll(async () => {
  await stopSplitWorker();
});

it('splits a valid 50 MB file (500 statements of 100 KB each) without a syntax error', async () => {
  const literal = 'x'.repeat(100_000);
  const one = (i: number) => `INSERT INTO blobs (id, body) VALUES (${i}, '${literal}');\n`;
  const sql = Array.from({ length: 500 }, (_, i) => one(i)).join('');
  expect(Buffer.byteLength(sql)).toBeGreaterThan(50_000_000);
  const stmts = await splitStatementsOffThread(sql, 'big.sql');
  expect(stmts).toHaveLength(500);
  expect(stmts[499]).toMatchObject({ index: 500, line: 500, kind: 'InsertStmt' });
  expect(stmts[0]!.sql.length).toBe(one(0).length - 2); // without the ";\n"
}, 120_000);
