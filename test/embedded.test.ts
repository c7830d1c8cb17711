import { describe, expect, inject, it } from 'vitest';
import { embeddedStatus } from '../src/backends/embedded.js';
import { configFromUrl, withClient } from '../src/util/pg.js';

describe('embedded PostgreSQL', () => {
  it('runs PostgreSQL 18 and reports itself running', async () => {
    const version = await withClient(configFromUrl(inject('pgUrl')), async (c) => {
      const r = await c.query<{ server_version_num: string }>('SHOW server_version_num');
      return Number(r.rows[0]!.server_version_num);
    });
    expect(version).toBeGreaterThanOrEqual(180000);
    const status = await embeddedStatus(inject('pgStateDir'));
    expect(status.running).toBe(true);
  });
});
