/**
 * The scripts the vers backend sends into a MySQL VM: the provisioning script takes no user input
 * (hex password only), and the exec environment is quoted, never interpolated (run in real bash).
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { mysqlEnvScript } from '../../src/backends/vers-mysql.js';
import { MYSQL_SERVER_CNF, mysqlInstallScript } from '../../src/backends/vers-provision-mysql.js';
import { InvalidInputError } from '../../src/errors.js';

describe('vers MySQL scripts', () => {
  it('the install script takes only a hex password and configures what lock measurement needs', () => {
    expect(() => mysqlInstallScript("x'; DROP USER root; --")).toThrow(InvalidInputError);
    expect(() => mysqlInstallScript('abc')).toThrow(InvalidInputError);
    const script = mysqlInstallScript('0123456789abcdef0123');
    expect(script).toContain("PW='0123456789abcdef0123'");
    expect(script).toContain('apt-get install -y -qq mariadb-server mariadb-client');
    expect(MYSQL_SERVER_CNF).toMatch(/^performance_schema = ON$/m);
    expect(MYSQL_SERVER_CNF).toMatch(
      /^performance-schema-instrument = 'wait\/lock\/metadata\/sql\/mdl=ON'$/m,
    );
    expect(MYSQL_SERVER_CNF).toMatch(/^bind-address = 127\.0\.0\.1$/m);
  });

  it('the install script is valid bash', async () => {
    const r = await execa('bash', ['-n'], {
      input: mysqlInstallScript('0123456789abcdef0123'),
      reject: false,
    });
    expect(r.exitCode).toBe(0);
  });

  it('the exec environment carries the branch database, quoted, with the VM defaults', async () => {
    const db = `it's "odd" $db`;
    const script = mysqlEnvScript(db, `p'w$`, { EXTRA: '`nope`' });
    const r = await execa(
      'bash',
      [
        '-c',
        `${script}\nprintf '%s\\n' "$MYSQL_HOST" "$MYSQL_TCP_PORT" "$MYSQL_USER" "$MYSQL_DATABASE" "$MYSQL_PWD" "$DATABASE_URL" "$EXTRA"`,
      ],
      { env: { MYSQL_HOST: '', MYSQL_TCP_PORT: '' }, extendEnv: false },
    );
    expect(r.stdout.split('\n')).toEqual([
      '127.0.0.1',
      '3306',
      'versdb',
      db,
      `p'w$`,
      `mysql://versdb:p'w$@127.0.0.1:3306/${encodeURIComponent(db)}`,
      '`nope`',
    ]);
    const fake = await execa('bash', ['-c', `${script}\necho "$MYSQL_TCP_PORT"`], {
      env: { MYSQL_TCP_PORT: '40123' },
    });
    expect(fake.stdout).toBe('40123');
    expect(() => mysqlEnvScript('app', 'pw', { 'BAD NAME': 'x' })).toThrow(InvalidInputError);
  });
});
