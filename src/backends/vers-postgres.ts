/**
 * PostgreSQL inside a vers VM: its port, the environment `exec` gives commands (DATABASE_URL,
 * PG*), and the wait for a login through a fresh tunnel. The read-only role is vers-reader.ts.
 */
import { InvalidInputError } from '../errors.js';
import { type ClientConfig, connect } from '../util/pg.js';
import { isLoginRefusal } from '../util/sqlstate.js';
import { shQuote } from '../vers/index.js';
import { waitForLogin } from './login-wait.js';

/** PostgreSQL listens here inside a VM; tunnels forward to it. */
export const VM_PG_PORT = 5432;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export` lines for the PG environment: the VM's own PGHOST/PGPORT win (the fake sets them). */
export function pgEnvScript(database: string, password: string, extra: Record<string, string> = {}): string {
  const lines = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"',
    `export PGUSER=postgres PGPASSWORD=${shQuote(password)} PGDATABASE=${shQuote(database)}`,
    `export DATABASE_URL="postgres://postgres:$PGPASSWORD@$PGHOST:$PGPORT/"${shQuote(encodeURIComponent(database))}`,
  ];
  for (const [name, value] of Object.entries(extra)) {
    if (!ENV_NAME.test(name))
      throw new InvalidInputError(`invalid environment variable name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  return lines.join('\n');
}

/** Log in to PostgreSQL behind a fresh tunnel, waiting while it is not up yet. */
export function waitForPgLogin(config: ClientConfig, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return waitForLogin(
    async () => {
      const c = await connect({ ...config, connectionTimeoutMillis: 5000 }, 'vers-db:probe');
      await c.end();
    },
    // Wrong password or database: waiting for the server will not help.
    (err) => isLoginRefusal((err as { code?: string }).code),
    timeoutMs,
    signal,
  );
}
