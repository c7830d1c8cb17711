/**
 * Issue 10 part 1 for suites: a suite runs as each branch's own role unless it says
 * `superuser: true`, and then every report says the strategy ran as the server's superuser.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSuiteHtml } from '../../src/report/html.js';
import { renderSuiteMarkdown } from '../../src/report/markdown.js';
import { renderSuiteRun } from '../../src/report/suite.js';
import { loadSuiteFile } from '../../src/suite/loader.js';
import { runSuite } from '../../src/suite/runner.js';
import { createProject, type TestProject } from '../helpers/project.js';

/** Passes only when the session's role is a superuser. */
const NEEDS_SUPERUSER = `DO $$ BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'not a superuser: %', current_user;
  END IF;
END $$;
ALTER TABLE users ADD COLUMN note text;
`;

function suiteYaml(superuser: boolean | null): string {
  const flag = superuser === null ? [] : [`    superuser: ${superuser}`];
  return [
    'tests:',
    '  mig:',
    '    checkpoint: su-base',
    ...flag,
    '    branches:',
    '      - name: needs-su',
    '        migration: su.sql',
    '  undo:',
    '    pattern: rollback',
    '    checkpoint: su-base',
    ...flag,
    '    branches:',
    '      - name: round-trip',
    '        steps:',
    '          - migration: su.sql',
    '          - rollback: ALTER TABLE users DROP COLUMN note',
    '',
  ].join('\n');
}

let p: TestProject;
beforeAll(async () => {
  p = await createProject(
    'CREATE TABLE users (id int PRIMARY KEY); INSERT INTO users SELECT generate_series(1, 50);',
  );
  await writeFile(join(p.dir, 'su.sql'), NEEDS_SUPERUSER);
  await p.ctx.backend().then((b) => b.checkpoint('su-base'));
});
afterAll(() => p?.cleanup());

describe('suite superuser opt-in', () => {
  it('is a boolean in the YAML, false unless written', async () => {
    await writeFile(join(p.dir, 'on.yaml'), suiteYaml(true));
    await writeFile(join(p.dir, 'off.yaml'), suiteYaml(null));
    await writeFile(
      join(p.dir, 'bad.yaml'),
      suiteYaml(null).replace('    branches:', '    superuser: yes please\n    branches:'),
    );
    expect((await loadSuiteFile(join(p.dir, 'on.yaml'))).suites.map((s) => s.superuser)).toEqual([
      true,
      true,
    ]);
    expect((await loadSuiteFile(join(p.dir, 'off.yaml'))).suites.map((s) => s.superuser)).toEqual([
      false,
      false,
    ]);
    await expect(loadSuiteFile(join(p.dir, 'bad.yaml'))).rejects.toThrow(/superuser/);
  });

  it('without it, migrations and steps run as the branch role and cannot act as superuser', async () => {
    const run = await runSuite(p.ctx, { file: join(p.dir, 'off.yaml') });
    for (const s of run.suites) {
      const r = s.comparison.results[0]!;
      expect(r.status, s.name).toBe('failed');
      expect(JSON.stringify(r)).toMatch(/not a superuser/);
      expect(r.sandbox?.role).not.toBe('superuser');
    }
    expect(renderSuiteRun(run)).not.toMatch(/ran as the server's superuser/);
  });

  it('with `superuser: true` they pass, and the text and markdown reports say they ran as superuser', async () => {
    const run = await runSuite(p.ctx, { file: join(p.dir, 'on.yaml') });
    for (const s of run.suites) {
      const r = s.comparison.results[0]!;
      expect(r.status, `${s.name}: ${r.error}`).toBe('passed');
      expect(r.sandbox?.role).toBe('superuser');
    }
    const text = renderSuiteRun(run);
    expect(text).toMatch(
      /needs-su ran as the server's superuser \(asked for with --superuser or a suite's "superuser: true"\)/,
    );
    expect(text).toMatch(/round-trip ran as the server's superuser/);
    const md = renderSuiteMarkdown(run);
    expect(md).toMatch(/needs-su ran as the server(&#39;|')s superuser/);
    expect(md).toMatch(/round-trip ran as the server(&#39;|')s superuser/);
    const html = renderSuiteHtml(run);
    expect(html).toMatch(/needs-su ran as the server(&#39;|&#x27;|')s superuser/);
    expect(html).toMatch(/round-trip ran as the server(&#39;|&#x27;|')s superuser/);
  });
});
