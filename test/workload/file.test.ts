/** The workload file format: what parses, and that every mistake names its line. */
import { describe, expect, it } from 'vitest';
import { parseWorkloadFile } from '../../src/workload/file.js';

const GOOD = `-- The shop's own statements.
-- @rate 250
-- @concurrency 3
-- @baseline 1500

-- @name profile
-- @param $1 key users
SELECT * FROM users WHERE id = $1;

-- @name sign-up
-- @commit
-- @weight 3
-- @param $1 fresh uuid
-- @param $2 fresh text user-{n}@example.com
INSERT INTO public.users (id, email, name)
VALUES ($1, $2, 'new')
RETURNING id;

-- @param $1 key public.users(email)
-- @param $2 value null
UPDATE users SET name = $2 WHERE email = $1;

-- @param $1 fresh int orders(id)
SELECT $1::bigint FOR UPDATE;
`;

const parse = (text: string) => parseWorkloadFile(text, 'app.sql');

describe('workload file', () => {
  it('reads settings, statements, bindings, commit and weight', async () => {
    const spec = await parse(GOOD);
    expect(spec).toMatchObject({
      file: 'app.sql',
      rate: 250,
      concurrency: 3,
      baselineMs: 1500,
      afterMs: 1000,
    });
    expect(spec.statements.map((s) => [s.name, s.line, s.command, s.kind, s.commit, s.weight])).toEqual([
      ['profile', 8, 'select', 'read', false, 1],
      ['sign-up', 15, 'insert', 'write', true, 3],
      ['stmt3', 21, 'update', 'write', false, 1],
      ['stmt4', 24, 'select', 'write', false, 1],
    ]);
    expect(spec.statements[0]!.params).toEqual([
      { kind: 'key', relation: { schema: null, table: 'users' }, column: null },
    ]);
    expect(spec.statements[1]!.params).toEqual([
      { kind: 'fresh-uuid' },
      { kind: 'fresh-text', template: 'user-{n}@example.com' },
    ]);
    expect(spec.statements[1]!.target).toEqual({ schema: 'public', table: 'users' });
    expect(spec.statements[1]!.returning).toBe(true);
    expect(spec.statements[2]!.params).toEqual([
      { kind: 'key', relation: { schema: 'public', table: 'users' }, column: 'email' },
      { kind: 'value', value: null },
    ]);
    expect(spec.statements[3]!.params).toEqual([
      { kind: 'fresh-int', relation: { schema: null, table: 'orders' }, column: 'id' },
    ]);
  });

  const bad: [string, string, RegExp][] = [
    ['unknown directive', 'SELECT 1;\n-- @ratee 5\nSELECT 2;', /^app\.sql:2: unknown directive @ratee/],
    [
      'a parameter without a binding',
      'SELECT 1;\n\nSELECT * FROM t WHERE a = $1 AND b = $2;\n',
      /^app\.sql:3: \$1 has no @param/,
    ],
    [
      'a binding the statement does not use',
      '-- @param $1 value 3\n-- @param $2 value 4\nSELECT $1::int;',
      /^app\.sql:3: @param \$2 is bound but the statement does not use \$2/,
    ],
    [
      'a committing write without RETURNING',
      'SELECT 1;\n-- @commit\nINSERT INTO t VALUES (1);',
      /^app\.sql:3: a committing write must say RETURNING/,
    ],
    ['commit on a read', '-- @commit\nSELECT 1;', /^app\.sql:2: @commit is for INSERT and UPDATE/],
    [
      'DDL',
      'SELECT 1;\nALTER TABLE t ADD c int;',
      /^app\.sql:2: a workload holds application statements .* not AlterTableStmt/,
    ],
    ['transaction control', 'BEGIN;\nSELECT 1;\nCOMMIT;', /^app\.sql:1: .* not TransactionStmt/],
    [
      'a rate out of range',
      '-- @rate fast\nSELECT 1;',
      /^app\.sql:1: @rate needs a whole number from 0 to 10000, got "fast"/,
    ],
    [
      'a directive at the end',
      'SELECT 1;\n-- @name last',
      /^app\.sql:2: @name is not followed by a statement/,
    ],
    ['a bad binding', '-- @param $1 random\nSELECT $1;', /^app\.sql:1: unknown binding "random"/],
    [
      'fresh int without a column',
      '-- @param $1 fresh int orders\nSELECT $1;',
      /^app\.sql:1: fresh int needs/,
    ],
    [
      'a template without {n}',
      '-- @param $1 fresh text abc\nSELECT $1;',
      /^app\.sql:1: a fresh text template needs \{n\}/,
    ],
    [
      'a binding twice',
      '-- @param $1 value 1\n-- @param $1 value 2\nSELECT $1;',
      /^app\.sql:2: \$1 is bound twice/,
    ],
    [
      'two statements with one name',
      '-- @name a\nSELECT 1;\n-- @name a\nSELECT 2;',
      /^app\.sql:4: two statements are named "a"/,
    ],
    ['a syntax error', 'SELECT 1;\n\nSELEC 2;', /app\.sql.*line 3/],
  ];
  it.each(bad)('rejects %s, naming the line', async (_what, text, message) => {
    await expect(parse(text)).rejects.toThrow(message);
  });

  it('rejects an empty file', async () => {
    await expect(parse('-- nothing here\n')).rejects.toThrow(/contains no SQL statements/);
  });
});
