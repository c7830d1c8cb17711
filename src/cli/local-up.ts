/** `vers-db up` on the local backend: the embedded PostgreSQL, kept running, with its source database. */
import { EMBEDDED_SOURCE_DATABASE, openEmbeddedBackend } from '../backends/local.js';
import type { Context } from '../core/context.js';
import { withClient } from '../util/pg.js';
import { printText } from './output.js';
import { prepareThin, setFsync } from './thin-up.js';

export interface LocalUpOptions {
  thin?: string | true;
  fsync?: boolean;
}

export async function localUp(ctx: Context, o: LocalUpOptions = {}): Promise<number> {
  if (o.thin) await prepareThin(ctx, o.thin === true ? undefined : o.thin);
  const { backend, url: serverUrl, source } = await openEmbeddedBackend(ctx, { persistent: true });
  try {
    const fsync = o.fsync;
    if (fsync !== undefined) await withClient(source, (c) => setFsync(c, fsync, ctx.log));
  } finally {
    await backend.close();
  }
  const url = serverUrl.replace(/\/postgres$/, `/${EMBEDDED_SOURCE_DATABASE}`);
  printText(`DATABASE_URL=${url}`);
  ctx.log(`load data with:  psql "${url}" -f schema.sql   or   pg_restore -d "${url}" dump.file`);
  ctx.log(`then:            vers-db checkpoint <tag>`);
  return 0;
}
