/** `workload:` in a suite file: a path beside the suite file, or an object with settings; migrations suites only. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SuiteFileError } from '../../src/errors.js';
import { loadSuiteFile } from '../../src/suite/loader.js';

function suite(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vers-db-wl-suite-'));
  writeFileSync(join(dir, 'a.sql'), 'SELECT 1;');
  writeFileSync(join(dir, 'app.sql'), 'SELECT 1;');
  const file = join(dir, 'vers-integration.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('suite workload', () => {
  it('resolves the file beside the suite and keeps the settings', async () => {
    const file = suite(`tests:
  m:
    workload: { file: app.sql, rate: 50, baseline_ms: 500 }
    branches:
      - name: a
        migration: a.sql
`);
    const parsed = await loadSuiteFile(file);
    expect(parsed.suites[0]!.workload).toEqual({
      file: join(parsed.dir, 'app.sql'),
      rate: 50,
      concurrency: undefined,
      baselineMs: 500,
      afterMs: undefined,
      timeoutMs: undefined,
    });
  });

  it('takes a plain path', async () => {
    const parsed = await loadSuiteFile(
      suite(
        'tests:\n  m:\n    workload: app.sql\n    branches:\n      - name: a\n        migration: a.sql\n',
      ),
    );
    expect(parsed.suites[0]!.workload).toEqual({ file: join(parsed.dir, 'app.sql') });
  });

  it('refuses a workload on a suite that runs no migration, and unknown keys', async () => {
    const etl = suite(
      'tests:\n  e:\n    workload: app.sql\n    branches:\n      - name: a\n        command: "true"\n',
    );
    await expect(loadSuiteFile(etl)).rejects.toThrow(SuiteFileError);
    await expect(loadSuiteFile(etl)).rejects.toThrow(
      /tests\.e\.workload: a workload runs with migrations suites, not etl/,
    );
    const typo = suite(
      'tests:\n  m:\n    workload: { file: app.sql, rates: 5 }\n    branches:\n      - name: a\n        migration: a.sql\n',
    );
    await expect(loadSuiteFile(typo)).rejects.toThrow(/tests\.m\.workload/);
  });
});
