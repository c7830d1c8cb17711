/** Issue 10: `sslmode=verify-full` in DATABASE_URL was silently dropped; it is passed on as given. */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/errors.js';
import { configFromUrl, sslEnv, urlOf } from '../src/util/pg.js';

describe('sslmode', () => {
  it('reaches the driver and every command unchanged', () => {
    const c = configFromUrl('postgres://u:p@db.example.com:5433/app?sslmode=verify-full');
    expect(c.sslmode).toBe('verify-full');
    expect(c.ssl).toEqual({}); // TLS, certificate and host name verified
    expect(sslEnv(c)).toEqual({ PGSSLMODE: 'verify-full' });
    expect(urlOf(c)).toBe('postgres://u:p@db.example.com:5433/app?sslmode=verify-full');
    expect(configFromUrl('postgres://h/app?sslmode=require').ssl).toEqual({ rejectUnauthorized: false });
    expect(configFromUrl('postgres://h/app?sslmode=disable')).toMatchObject({
      sslmode: 'disable',
      ssl: undefined,
    });
    expect(urlOf(configFromUrl('postgres://h/app'))).toBe(
      'postgres://localhost:5432/app'.replace('localhost', 'h'),
    );
  });

  it('refuses a value libpq does not know, instead of connecting without TLS', () => {
    expect(() => configFromUrl('postgres://h/app?sslmode=verify_full')).toThrow(InvalidInputError);
    expect(() => configFromUrl('postgres://h/app?sslmode=verify_full')).toThrow(
      'sslmode=verify_full in the database URL is not a libpq sslmode',
    );
  });
});
