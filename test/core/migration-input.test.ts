/**
 * What a user's migration argument turns into, decided before any branch exists. This file runs
 * in a fresh module graph, so it also proves the SQL parser is loaded on first use.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveMigration } from '../../src/core/migration-input.js';
import { InvalidInputError } from '../../src/errors.js';

// Called as soon as the modules are loaded, as the CLI does: the parser must not be assumed ready.
const firstCall = resolveMigration({ migration: 'ALTER TABLE users ADD COLUMN y int' }, tmpdir(), 0);

describe('resolving a migration argument', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-input-'));
    await writeFile(join(dir, 'add.sql'), 'ALTER TABLE users ADD COLUMN x int;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('inline SQL is SQL, on the very first call in a process', async () => {
    expect((await firstCall).source.kind).toBe('sql');
  });

  it('a .sql path is read from the working directory and named after the file', async () => {
    const m = await resolveMigration({ migration: 'add.sql' }, dir, 0);
    expect(m).toMatchObject({ name: 'add', source: { kind: 'sql', file: 'add.sql' } });
  });

  it('a shell command runs only when asked for with kind "command"', async () => {
    const m = await resolveMigration({ migration: 'npm run migrate', kind: 'command' }, dir, 2);
    expect(m).toEqual({ name: 'command-3', source: { kind: 'command', command: 'npm run migrate' } });
  });

  // Issue 10: a SQL typo in auto mode ran as `bash -c` ("ALTER: command not found"), and text with
  // $(…) in it executed as root. SQL that fails to parse is a SQL error with its position.
  it('SQL that does not parse is a SQL error with line and column, never a command', async () => {
    for (const text of [
      'ALTER TABLE users ADD COLUM x int',
      'npm run migrate',
      'SELECT 1; $(touch /tmp/x)',
    ]) {
      const err = await resolveMigration({ migration: text }, dir, 0).catch((e: unknown) => e);
      expect(err, text).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).message).toMatch(
        /migration 1 \(inline SQL\): line 1:\d+: syntax error/,
      );
      expect((err as InvalidInputError).hint).toMatch(/--kind command/);
    }
    const typo = await resolveMigration({ migration: 'ALTER TABLE users ADD COLUM x int' }, dir, 0).catch(
      (e: Error) => e,
    );
    // PostgreSQL reads COLUM as the column name and x as its type, so it trips on int.
    expect((typo as Error).message).toContain('line 1:31: syntax error at or near "int"');
  });

  it('kind "sql" never reads a file and kind "file" never parses text as SQL', async () => {
    const sql = await resolveMigration({ migration: 'add.sql', kind: 'sql' }, dir, 0).catch((e: Error) => e);
    expect(sql).toBeInstanceOf(InvalidInputError);
    const file = await resolveMigration({ migration: 'SELECT 1', kind: 'file' }, dir, 0).catch(
      (e: Error) => e,
    );
    expect((file as Error).message).toMatch(/migration file not found: SELECT 1/);
  });

  it('a SQL syntax error in a file is reported with its place, before anything runs', async () => {
    await writeFile(join(dir, 'typo.sql'), 'SELECT 1;\nALTER TABEL users ADD x int;\n');
    const err = await resolveMigration({ migration: 'typo.sql' }, dir, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/typo\.sql.*line 2/);
  });
});
