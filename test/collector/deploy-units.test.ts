/** Issue 15: what the deploy rehearsal retries as one transaction, from the parse tree. */
import { beforeAll, describe, expect, it } from 'vitest';
import { transactionUnits } from '../../src/collector/deploy-rehearsal.js';
import { mayLeaveInvalidIndex } from '../../src/collector/invalid-indexes.js';
import { loadParser, splitStatements } from '../../src/collector/split.js';

beforeAll(() => loadParser());

const units = (sql: string) => transactionUnits(splitStatements(sql)).map((u) => u.map((s) => s.index));

describe('transaction units', () => {
  it('a statement outside BEGIN … COMMIT alone, an explicit transaction from its BEGIN to its end', () => {
    expect(
      units(`ALTER TABLE t ADD COLUMN a int;
        BEGIN; UPDATE t SET a = 1; SAVEPOINT s; ALTER TABLE t ADD COLUMN b int; COMMIT;
        CREATE INDEX CONCURRENTLY t_a ON t (a);
        START TRANSACTION; ALTER TABLE t ADD COLUMN c int; ROLLBACK;`),
    ).toEqual([[1], [2, 3, 4, 5, 6], [7], [8, 9, 10]]);
  });

  it('a transaction never committed runs to the end of the file as one', () => {
    expect(units('SELECT 1; BEGIN; ALTER TABLE t ADD COLUMN a int; ALTER TABLE t ADD COLUMN b int;')).toEqual(
      [[1], [2, 3, 4]],
    );
  });

  it('only concurrent index builds are watched for INVALID leftovers', () => {
    const [cic, reindex, plain, drop] = splitStatements(
      'CREATE INDEX CONCURRENTLY i ON t (a); REINDEX INDEX CONCURRENTLY i; CREATE INDEX j ON t (a); DROP INDEX CONCURRENTLY j;',
    );
    expect([cic, reindex, plain, drop].map((s) => mayLeaveInvalidIndex(s!))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
