/** The MySQL splitter against what the `mysql` client sends, case by case. */
import { describe, expect, it } from 'vitest';
import { fileLine, splitMysql } from '../../../src/engines/mysql/split.js';
import { InvalidInputError } from '../../../src/errors.js';

const sqls = (text: string) => splitMysql(text).map((s) => s.sql);

describe('splitMysql', () => {
  const cases: [string, string, string[]][] = [
    ['two statements', 'SELECT 1; SELECT 2;', ['SELECT 1', 'SELECT 2']],
    ['last statement without a delimiter', 'SELECT 1;\nSELECT 2', ['SELECT 1', 'SELECT 2']],
    ['empty statements are dropped', ';;\n ; SELECT 1;;', ['SELECT 1']],
    ["';' inside single quotes", "INSERT INTO t VALUES ('a;b');", ["INSERT INTO t VALUES ('a;b')"]],
    ['doubled quote', "SELECT 'it''s; fine'; SELECT 2", ["SELECT 'it''s; fine'", 'SELECT 2']],
    ['backslash-escaped quote', "SELECT 'a\\';b'; SELECT 2", ["SELECT 'a\\';b'", 'SELECT 2']],
    ['escaped backslash before the quote', "SELECT 'a\\\\'; SELECT 2", ["SELECT 'a\\\\'", 'SELECT 2']],
    ['double quotes', 'SELECT "x;y"; SELECT 2', ['SELECT "x;y"', 'SELECT 2']],
    ['backticks: no backslash escape', 'SELECT `a\\`; SELECT 2', ['SELECT `a\\`', 'SELECT 2']],
    [
      'backtick with ; and doubled backtick',
      'CREATE TABLE `a;``b` (id INT);',
      ['CREATE TABLE `a;``b` (id INT)'],
    ],
    ['-- comment', '-- a; comment\nSELECT 1; -- trailing; x\nSELECT 2;', ['SELECT 1', 'SELECT 2']],
    ['--x is not a comment', 'SELECT 1--1;', ['SELECT 1--1']],
    ['# comment', '# one; two\nSELECT 1 # three;\n;', ['SELECT 1']],
    ['block comment with ;', '/* a; b */ SELECT /* c; */ 1;', ['SELECT /* c; */ 1']],
    ['a file of comments only', '-- x\n/* y */\n# z\n', []],
    [
      'executable comments are kept',
      '/*!40101 SET NAMES utf8mb4 */;\n/*!50003 CREATE TABLE t (id INT) */;',
      ['/*!40101 SET NAMES utf8mb4 */', '/*!50003 CREATE TABLE t (id INT) */'],
    ],
    [
      'optimizer hint kept',
      'SELECT /*+ MAX_EXECUTION_TIME(1) */ 1;',
      ['SELECT /*+ MAX_EXECUTION_TIME(1) */ 1'],
    ],
    ['\\G and \\g end statements', 'SELECT 1\\G\nSELECT 2\\g SELECT 3', ['SELECT 1', 'SELECT 2', 'SELECT 3']],
    [
      'DELIMITER around a procedure body',
      [
        'DELIMITER //',
        'CREATE PROCEDURE p()',
        'BEGIN',
        '  UPDATE t SET v = 1; -- inside',
        "  SELECT ';';",
        'END //',
        'DELIMITER ;',
        'CALL p();',
      ].join('\n'),
      ["CREATE PROCEDURE p()\nBEGIN\n  UPDATE t SET v = 1; -- inside\n  SELECT ';';\nEND", 'CALL p()'],
    ],
    [
      'DELIMITER $$ for a trigger, lower case, CRLF',
      'delimiter $$\r\nCREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.v = 1; END$$\r\ndelimiter ;\r\nSELECT 1;',
      ['CREATE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.v = 1; END', 'SELECT 1'],
    ],
    [
      'DELIMITER after a statement on the same line',
      'SELECT 1; DELIMITER //\nSELECT 2; SELECT 3//',
      ['SELECT 1', 'SELECT 2; SELECT 3'],
    ],
    ['delimiter inside a string is not one', "DELIMITER //\nSELECT '//'//", ["SELECT '//'"]],
    ['a word starting with delimiter is SQL', 'delimiters_table;', ['delimiters_table']],
    ['DELIMITER inside a statement is text', 'SELECT 1\nDELIMITER //', ['SELECT 1\nDELIMITER //']],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(sqls(input)).toEqual(expected);
  });

  it('gives each statement its 1-based line, column, offset, keyword and delimiter', () => {
    const text =
      '-- header\n\n  ALTER TABLE t ADD c INT;\nDELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//';
    const [a, b] = splitMysql(text);
    expect(a).toMatchObject({ index: 1, line: 3, column: 3, keyword: 'ALTER', delimiter: ';' });
    expect(text.slice(a!.offset, a!.offset + 5)).toBe('ALTER');
    expect(b).toMatchObject({ index: 2, line: 5, column: 1, keyword: 'CREATE', delimiter: '//' });
    expect(fileLine(b!, 1)).toBe(5);
    expect(fileLine(a!, 2)).toBe(4);
  });

  it('rejects a DELIMITER without an argument or with a backslash', () => {
    expect(() => splitMysql('DELIMITER\nSELECT 1;', 'm.sql')).toThrow(InvalidInputError);
    expect(() => splitMysql('DELIMITER \nSELECT 1;', 'm.sql')).toThrow(/m.sql:1: DELIMITER must be followed/);
    expect(() => splitMysql('DELIMITER \\\\', 'm.sql')).toThrow(/backslash/);
  });

  it('reports a string that never ends with its statement line', () => {
    expect(() => splitMysql("SELECT 1;\nSELECT 'oops;", 'm.sql')).toThrow(/line 2 never ends/);
  });

  it('is linear: a large file splits quickly', () => {
    const row = 'INSERT INTO t VALUES (1, \'a;b\', "c", `d`); -- x\n';
    const text = row.repeat(100_000); // about 5 MB
    const t0 = performance.now();
    const out = splitMysql(text);
    const elapsed = performance.now() - t0;
    expect(out).toHaveLength(100_000);
    expect(out[99_999]?.line).toBe(100_000);
    expect(elapsed).toBeLessThan(3000);
  });
});
