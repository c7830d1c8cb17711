/** What a MySQL result's lock_source says, for each set of sources a server may offer. */
import { describe, expect, it } from 'vitest';
import { lockSourceNote, NO_LOCK_HOLDERS } from '../../../src/engines/mysql/lock-sources.js';

describe('lockSourceNote', () => {
  it('names the metadata-lock source, the row-lock one, or warns that holders cannot be named', () => {
    expect(
      lockSourceNote({
        metadataLocks: 'performance_schema',
        rowLocks: 'information_schema.INNODB_LOCK_WAITS',
        processlist: 'mariadb',
      }),
    ).toBe('performance_schema; row locks: information_schema.INNODB_LOCK_WAITS');
    expect(
      lockSourceNote({ metadataLocks: 'metadata_lock_info', rowLocks: null, processlist: 'mariadb' }),
    ).toBe('metadata_lock_info');
    const none = lockSourceNote({ metadataLocks: null, rowLocks: null, processlist: 'mysql' });
    expect(none).toBe(NO_LOCK_HOLDERS);
    expect(none).toMatch(/^none: lock holders cannot be named/);
  });
});
