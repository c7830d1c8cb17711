/**
 * Issue 10 "Done when": every bad input gets a clear error — what is wrong and where, exit code 2
 * (or an MCP error result), no stack trace. A corpus of bad inputs across the CLI, the MCP tools,
 * suite YAML, SQL and files; the count goes into bench/RESULTS.md.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMigration } from '../src/core/migration-input.js';
import { describeError, isVersDbError } from '../src/errors.js';
import { createServer } from '../src/mcp/create-server.js';
import { loadSuiteFile } from '../src/suite/loader.js';
import { loadWorkload } from '../src/workload/index.js';
import { cli } from './helpers/cli.js';
import { createProject, type TestProject } from './helpers/project.js';

const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
const counted: Record<string, number> = { cli: 0, mcp: 0, yaml: 0, sql: 0, files: 0 };

let p: TestProject;
let client: Client;
let closeServer: () => Promise<void>;

beforeAll(async () => {
  p = await createProject(
    'CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, $$a$$);',
  );
  await chmod(p.dir, 0o755);
  expect((await cli(['checkpoint', 'base'], p.env, p.dir)).exitCode).toBe(0);
  const files: Record<string, string | Buffer> = {
    'typo.sql': 'ALTER TABLE users ADD COLUM x int;\n',
    'empty.sql': '',
    'comments.sql': '-- nothing\n/* here */\n',
    'meta.sql': 'SELECT 1;\n\\set x 1\n',
    'copy-stdin.sql': 'COPY users FROM STDIN;\n1\ta\n\\.\n',
    'latin1.sql': Buffer.concat([
      Buffer.from("UPDATE users SET email = 'caf"),
      Buffer.from([0xe9, 0x27, 0x3b, 0x0a]),
    ]),
    'binary.sql': Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80, 0x81]),
    'ok.sql': 'ALTER TABLE users ADD COLUMN n int;\n',
    'latin1-app.sql': Buffer.concat([
      Buffer.from("SELECT id FROM users WHERE email = 'caf"),
      Buffer.from([0xe9, 0x27, 0x3b, 0x0a]),
    ]),
    'unterminated.sql': "SELECT 'open string;\n",
    'dollar.sql': 'DO $$ BEGIN RAISE NOTICE 1;\n',
    'comment.sql': '/* never closed\nSELECT 1;\n',
    'bad.yaml': 'tests:\n  a:\n    branches: [\n',
    'list.yaml': '- a\n- b\n',
    'nobranches.yaml': 'tests:\n  m:\n    checkpoint: base\n',
    'badkey.yaml':
      'tests:\n  m:\n    checkpoint: base\n    branches:\n      - name: x\n        migraton: a.sql\n',
    'badthreshold.yaml':
      'tests:\n  perf:\n    checkpoint: base\n    queries: q.sql\n    metrics: [p99]\n    threshold:\n      p99: "+lots"\n    branches:\n      - name: a\n        setup: a.sql\n',
    'dupes.yaml':
      'tests:\n  m:\n    checkpoint: base\n    branches:\n      - name: x\n        migration: typo.sql\n      - name: x\n        migration: typo.sql\n',
    'tabs.yaml': 'tests:\n\tm:\n\t\tcheckpoint: base\n',
    'latin1.yaml': Buffer.concat([Buffer.from('name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
    'empty.yaml': '',
    'scalar.yaml': 'just a string\n',
    'afterref.yaml':
      'checkpoints:\n  c1:\n    after: tests.nope.setup[0]\ntests:\n  m:\n    checkpoint: c1\n    branches:\n      - name: x\n        migration: typo.sql\n',
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(p.dir, name), content);
  await mkdir(join(p.dir, 'adir.sql'));
  await symlink(join(p.dir, 'loop-b.sql'), join(p.dir, 'loop-a.sql'));
  await symlink(join(p.dir, 'loop-a.sql'), join(p.dir, 'loop-b.sql'));
  const created = createServer(p.ctx);
  closeServer = created.close;
  const [a, b] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'bad-input', version: '0' });
  await Promise.all([client.connect(a), created.server.connect(b)]);
});

afterAll(async () => {
  await client?.close();
  await closeServer?.();
  await p?.cleanup();
  const total = Object.values(counted).reduce((x, y) => x + y, 0);
  process.stderr.write(`bad-input corpus: ${total} inputs (${JSON.stringify(counted)})\n`);
});

/** CLI: exit code 2, "error:" with the expected words on stderr, no stack, nothing on stdout. */
const CLI_CASES: [string, string[], RegExp, Record<string, string>?][] = [
  ['tag starting with -', ['checkpoint', '--', '-rf'], /invalid checkpoint tag "-rf": it starts with "-"/],
  ['tag with a space', ['checkpoint', 'bad tag'], /invalid checkpoint tag "bad tag": it contains " "/],
  ['tag too long', ['checkpoint', 'x'.repeat(300)], /is 300 characters long/],
  ['missing tag', ['checkpoint'], /missing required argument/],
  ['unknown command', ['frobnicate'], /unknown command/],
  ['unknown option', ['branches', '--frob'], /unknown option/],
  ['unknown backend', ['--backend', 'cloud', 'branches'], /unknown backend "cloud"/],
  ['unknown checkpoint', ['test', 'nope', 'typo.sql'], /no checkpoint named "nope"/],
  ['missing migration file', ['test', 'base', 'missing.sql'], /not found: missing\.sql/],
  ['SQL typo', ['test', 'base', 'typo.sql'], /typo\.sql: line 1:31: syntax error at or near "int"/],
  ['empty file', ['test', 'base', 'empty.sql'], /contains no SQL statements/],
  ['only comments', ['test', 'base', 'comments.sql'], /contains no SQL statements/],
  ['psql meta-command', ['test', 'base', 'meta.sql'], /meta\.sql: line 2: psql meta-command \\set/],
  ['COPY FROM STDIN data', ['test', 'base', 'copy-stdin.sql'], /psql meta-command|COPY/],
  ['Latin-1 file', ['test', 'base', 'latin1.sql'], /latin1\.sql: line 1:\d+: not valid UTF-8 \(byte 0xE9/],
  ['binary file', ['test', 'base', 'binary.sql'], /not valid UTF-8|syntax error/],
  [
    'Latin-1 workload file',
    ['test', 'base', 'ok.sql', '--workload', 'latin1-app.sql'],
    /the workload file latin1-app\.sql: line 1:\d+: not valid UTF-8 \(byte 0xE9 at offset 39\)/,
  ],
  ['unterminated string', ['test', 'base', 'unterminated.sql'], /unterminated quoted string/],
  ['unterminated dollar quote', ['test', 'base', 'dollar.sql'], /unterminated dollar-quoted string/],
  ['unterminated comment', ['test', 'base', 'comment.sql'], /unterminated \/\* comment/],
  ['directory as migration', ['test', 'base', 'adir.sql'], /adir\.sql/],
  ['symlink loop', ['test', 'base', 'loop-a.sql'], /loop-a\.sql/],
  ['parallel 0', ['test', 'base', 'typo.sql', '--parallel', '0'], /parallel/],
  ['parallel not a number', ['test', 'base', 'typo.sql', '--parallel', 'many'], /parallel/],
  ['missing suite file', ['run', '-f', 'missing.yaml'], /suite file not found: missing\.yaml/],
  ['malformed suite YAML', ['run', '-f', 'bad.yaml'], /bad\.yaml: .*malformed YAML at line \d+/s],
  ['unknown branch to compare', ['compare', 'nope'], /no branch named "nope"/],
  ['unknown rollback tag', ['rollback', 'nope'], /nope/],
  [
    'DATABASE_URL not a URL',
    ['checkpoint', 'x'],
    /DATABASE_URL is not a valid postgres:\/\/ URL/,
    { DATABASE_URL: 'not a url' },
  ],
  [
    'unknown sslmode',
    ['checkpoint', 'x'],
    /sslmode=verify_full .* is not a libpq sslmode/,
    { DATABASE_URL: 'postgres://u@127.0.0.1:1/db?sslmode=verify_full' },
  ],
  [
    'bad timeout setting',
    ['test', 'base', 'typo.sql'],
    /VERS_DB_STATEMENT_TIMEOUT: "soon" is not a duration/,
    { VERS_DB_STATEMENT_TIMEOUT: 'soon' },
  ],
];

describe('bad input: CLI', () => {
  for (const [what, args, message, env] of CLI_CASES) {
    it(what, async () => {
      const r = await cli(args, { ...p.env, ...(env ?? {}) }, p.dir);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK);
      counted.cli!++;
    });
  }
});

/** MCP: an error result that says what is wrong; never a stack trace. */
const MCP_CASES: [string, string, Record<string, unknown>, RegExp][] = [
  ['tag starting with -', 'db_checkpoint', { tag: '-x' }, /starts with "-"/],
  ['tag of 100 KB', 'db_checkpoint', { tag: 'x'.repeat(100_000) }, /tag/],
  ['missing tag', 'db_checkpoint', {}, /tag/],
  ['tag not a string', 'db_checkpoint', { tag: 42 }, /tag/],
  [
    'unknown baseline',
    'db_migration_test',
    { baseline: 'nope', migration: 'typo.sql' },
    /no checkpoint named "nope"/,
  ],
  ['missing file', 'db_migration_test', { baseline: 'base', migration: 'missing.sql' }, /missing\.sql/],
  [
    'SQL typo inline',
    'db_migration_test',
    { baseline: 'base', migration: 'ALTER TABLE users ADD COLUM x int' },
    /line 1:31: syntax error at or near "int"/,
  ],
  [
    'meta-command file',
    'db_migration_test',
    { baseline: 'base', migration: 'meta.sql' },
    /psql meta-command/,
  ],
  ['Latin-1 file', 'db_migration_test', { baseline: 'base', migration: 'latin1.sql' }, /not valid UTF-8/],
  ['unknown kind', 'db_migration_test', { baseline: 'base', migration: 'typo.sql', kind: 'magic' }, /kind/],
  [
    'negative long reader',
    'db_migration_test',
    { baseline: 'base', migration: 'typo.sql', long_reader_ms: -1 },
    /long_reader_ms/,
  ],
  ['no strategies', 'db_test_strategies', { baseline: 'base', migrations: [] }, /migrations/],
  [
    '33 strategies',
    'db_test_strategies',
    { baseline: 'base', migrations: Array.from({ length: 33 }, () => 'typo.sql') },
    /migrations/,
  ],
  [
    'parallel 0',
    'db_test_strategies',
    { baseline: 'base', migrations: ['typo.sql'], parallel: 0 },
    /parallel/,
  ],
  ['no branches', 'db_compare_branches', { branches: [] }, /branches/],
  [
    '5 000 branches',
    'db_compare_branches',
    { branches: Array.from({ length: 5000 }, (_, i) => `b${i}`) },
    /branches/,
  ],
  ['unknown branch', 'db_compare_branches', { branches: ['nope'] }, /no branch named "nope"/],
  ['unknown action', 'db_branches', { action: 'explode' }, /action/],
  ['delete without a name', 'db_branches', { action: 'delete' }, /name|tag/],
  ['rollback of an unknown tag', 'db_branches', { action: 'rollback', tag: 'nope' }, /nope/],
  ['missing suite file', 'db_run_suite', { file: 'missing.yaml' }, /suite file not found/],
  ['malformed suite YAML', 'db_run_suite', { file: 'bad.yaml' }, /malformed YAML/],
];

describe('bad input: MCP', () => {
  for (const [what, tool, args, message] of MCP_CASES) {
    it(`${tool}: ${what}`, async () => {
      const r = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
      const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
      expect(r.isError, text).toBe(true);
      expect(text).toMatch(message);
      expect(text).not.toMatch(STACK);
      counted.mcp!++;
    });
  }
});

async function inputError(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(isVersDbError(err) && err.exitCode === 2, String(err)).toBe(true);
    const text = describeError(err);
    expect(text).not.toMatch(STACK);
    return text;
  }
  throw new Error('expected an error');
}

const YAML_CASES: [string, RegExp][] = [
  ['bad.yaml', /malformed YAML at line \d+/],
  ['list.yaml', /top level/],
  ['nobranches.yaml', /tests\.m/],
  ['badkey.yaml', /tests\.m\.branches\[0\]/],
  ['badthreshold.yaml', /threshold/],
  ['dupes.yaml', /x/],
  ['tabs.yaml', /line \d+/],
  ['latin1.yaml', /latin1\.yaml: line 1:\d+: not valid UTF-8/],
  ['empty.yaml', /empty/],
  ['scalar.yaml', /mapping/],
  ['afterref.yaml', /tests\.nope|after/],
  ['missing.yaml', /suite file not found/],
];

describe('bad input: suite YAML', () => {
  for (const [file, message] of YAML_CASES) {
    it(file, async () => {
      expect(await inputError(() => loadSuiteFile(file, p.dir))).toMatch(message);
      counted.yaml!++;
    });
  }
});

const SQL_CASES: [string, string, RegExp][] = [
  ['typo', 'ALTER TABLE users ADD COLUM x int', /line 1:31: syntax error at or near "int"/],
  ['unterminated string', "SELECT 'abc", /unterminated quoted string/],
  ['unterminated identifier', 'SELECT "abc', /unterminated quoted identifier/],
  ['unterminated comment', 'SELECT 1; /* open', /unterminated \/\* comment/],
  ['\\copy', "\\copy users FROM 'x.csv'", /psql meta-command \\copy/],
  ['\\gset after SQL', 'SELECT 1 AS x \\gset', /psql meta-command \\gset/],
  ['stray keyword', 'ALTER users ADD x int', /syntax error/],
  ['half a statement', 'CREATE TABLE t (id int', /syntax error at end of input/],
  ['bad dollar quote', 'DO $a$ BEGIN END $b$', /unterminated dollar-quoted string/],
  ['only semicolons', ';;;', /contains no SQL statements/],
];

describe('bad input: SQL', () => {
  for (const [what, sql, message] of SQL_CASES) {
    it(what, async () => {
      expect(await inputError(() => resolveMigration({ migration: sql, kind: 'sql' }, p.dir, 0))).toMatch(
        message,
      );
      counted.sql!++;
    });
  }
});

describe('bad input: files', () => {
  const FILE_CASES: [string, string, RegExp][] = [
    ['a directory', 'adir.sql', /adir\.sql/],
    ['a symlink loop', 'loop-a.sql', /loop-a\.sql/],
    ['a missing file', 'nothing-here.sql', /nothing-here\.sql/],
    ['a binary file', 'binary.sql', /not valid UTF-8/],
    ['a Latin-1 file', 'latin1.sql', /latin1\.sql: line 1:\d+: not valid UTF-8/],
  ];
  for (const [what, file, message] of FILE_CASES) {
    it(what, async () => {
      expect(await inputError(() => resolveMigration({ migration: file, kind: 'file' }, p.dir, 0))).toMatch(
        message,
      );
      counted.files!++;
    });
  }

  it('a Latin-1 workload file names the file, line and byte offset', async () => {
    expect(await inputError(() => loadWorkload({ file: 'latin1-app.sql' }, p.dir))).toMatch(
      /the workload file latin1-app\.sql: line 1:40: not valid UTF-8 \(byte 0xE9 at offset 39\)/,
    );
    counted.files!++;
  });

  it('a binary workload file', async () => {
    expect(await inputError(() => loadWorkload({ file: 'binary.sql' }, p.dir))).toMatch(
      /the workload file binary\.sql: line 1:2: not valid UTF-8 \(byte 0xFF at offset 1\)/,
    );
    counted.files!++;
  });

  it('a file over the 64 MB limit', async () => {
    const big = join(p.dir, 'big.sql');
    await writeFile(big, Buffer.alloc(65 * 1024 * 1024, 0x20));
    expect(
      await inputError(() => resolveMigration({ migration: 'big.sql', kind: 'file' }, p.dir, 0)),
    ).toMatch(/big\.sql is 65\.0 MB; vers-db reads files of at most 64 MB/);
    counted.files!++;
  });
});
