/** pg_dump -Fc and pg_restore -j with the client binaries of a bench server, timed. */
import { join } from 'node:path';
import { execa } from 'execa';
import { createDatabase } from './data.js';
import type { BenchServer } from './servers.js';
import { timed } from './timing.js';

function pgArgs(server: BenchServer): string[] {
  const u = new URL(server.url);
  return ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)];
}

export async function pgDump(server: BenchServer, database: string, file: string): Promise<number> {
  const { ms } = await timed(() =>
    execa(join(server.clientBin!, 'pg_dump'), [...pgArgs(server), '-Fc', '-f', file, database], {
      env: { PGPASSWORD: '' },
    }),
  );
  return ms;
}

/** Create the database and pg_restore the dump into it with one job per core (the fastest plain reload). */
export async function pgRestore(
  server: BenchServer,
  database: string,
  file: string,
  jobs: number,
): Promise<number> {
  const { ms } = await timed(async () => {
    await createDatabase(server.url, database);
    await execa(join(server.clientBin!, 'pg_restore'), [
      ...pgArgs(server),
      '-j',
      String(jobs),
      '--no-owner',
      '-d',
      database,
      file,
    ]);
  });
  return ms;
}
