/**
 * The engine axis (issue 12): every engine vers-db knows is one entry in each table that does
 * something per engine — core (checkpoint, measure, compare), suites, the vers backend, the local
 * commands — so a third engine is a new folder plus one entry per table, and nothing else tests
 * an engine's name. Chosen by name, alias or URL scheme, with clear errors.
 */
import { describe, expect, it } from 'vitest';
import { versEngine } from '../../src/backends/vers-engines.js';
import { coreEngine } from '../../src/core/engines/index.js';
import { ENGINE_NAMES } from '../../src/engines/engine.js';
import { chooseEngine, DEFAULT_ENGINE, ENGINES, engineByName, engineLabel } from '../../src/engines/index.js';
import { postgresEngine } from '../../src/engines/postgres/engine.js';
import { InvalidInputError } from '../../src/errors.js';
import { EngineNameSchema } from '../../src/result.js';
import { suiteEngineOps } from '../../src/suite/engines.js';

describe('the engine registry', () => {
  it('lists every engine the result JSON may name, the default first, each once', () => {
    expect(ENGINES.map((e) => e.name)).toEqual([...EngineNameSchema.options]);
    expect(ENGINE_NAMES).toEqual(EngineNameSchema.options);
    expect(ENGINES[0]!.name).toBe(DEFAULT_ENGINE);
    const claimed = ENGINES.flatMap((e) => [e.name, ...e.aliases]);
    expect(new Set(claimed).size).toBe(claimed.length);
  });

  it.each(ENGINE_NAMES)('%s has its side of core, suites and the vers backend', (name) => {
    expect(coreEngine(name).name).toBe(name);
    expect(versEngine(name).name).toBe(name);
    expect(typeof suiteEngineOps(name).prepareSource).toBe('function');
  });

  it.each([
    ['postgres', 'postgres'],
    [' PostgreSQL ', 'postgres'],
    ['pg', 'postgres'],
    ['mysql', 'mysql'],
    ['MariaDB', 'mysql'],
  ])('--engine %s is %s', (given, name) => {
    expect(engineByName(given).name).toBe(name);
  });

  it('refuses an unknown engine, listing the known ones', () => {
    let thrown: unknown;
    try {
      engineByName('mongodb');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as InvalidInputError).message).toBe('unknown engine "mongodb"');
    expect((thrown as InvalidInputError).hint).toBe('use one of: postgres, mysql');
  });

  it('takes the engine from --engine, VERS_DB_ENGINE or the URL, and refuses a contradiction', () => {
    expect(chooseEngine(undefined, {})).toBe('postgres');
    expect(chooseEngine(undefined, { DATABASE_URL: 'mariadb://u@h/app' })).toBe('mysql');
    expect(chooseEngine(undefined, { VERS_DB_ENGINE: 'pg', DATABASE_URL: 'postgresql://h/app' })).toBe(
      'postgres',
    );
    expect(() => chooseEngine('mysql', { DATABASE_URL: 'postgres://h/app' })).toThrow(
      /the engine is MySQL\/MariaDB \(--engine\), but DATABASE_URL is a PostgreSQL URL \(postgres:\/\/\)/,
    );
    expect(engineLabel('postgres')).toBe('PostgreSQL');
  });

  it("PostgreSQL's description splits as psql does, quotes and keys relations schema.table", async () => {
    const statements = await postgresEngine.split("SELECT ';'; -- x\nCREATE TABLE t (id int);\n", 'm.sql');
    expect(statements.map((s) => [s.index, s.line, s.sql])).toEqual([
      [1, 1, "SELECT ';'"],
      [2, 2, 'CREATE TABLE t (id int)'],
    ]);
    expect(postgresEngine.quoteIdent('we"ird')).toBe('"we""ird"');
    expect(postgresEngine.relationKey('public', 'users')).toBe('public.users');
  });
});
