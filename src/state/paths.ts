import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The state directory shared by the CLI and the MCP server: VERS_DB_HOME, else ./.vers-db. */
export function stateDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return env.VERS_DB_HOME ? resolve(cwd, env.VERS_DB_HOME) : resolve(cwd, '.vers-db');
}

/** State files hold passwords (the registry, the embedded server's state): owner only. */
export const STATE_FILE_MODE = 0o600;
export const STATE_DIR_MODE = 0o700;
/**
 * As root the embedded cluster runs as the `postgres` OS user, which must reach its own 0700
 * data directory inside: others may then traverse the state directory, never list or read it.
 */
const STATE_DIR_MODE_SHARED_CLUSTER = 0o711;
/** The embedded cluster's data directory inside the state directory (see backends/embedded.ts). */
export const EMBEDDED_DATA_SUBDIR = 'pg';
/** The local MySQL servers' directory inside the state directory (engines/mysql/local-layout.ts). */
export const MYSQL_SUBDIR = 'mysql';

const secured = new Set<string>();

/**
 * Does another OS user (root runs the cluster as `postgres`) own a cluster directory inside
 * `dir`: the default `pg`, or wherever embedded.json says it is (a thin volume mounted inside)?
 */
async function clusterOfAnotherUser(dir: string): Promise<boolean> {
  const me = process.getuid?.();
  const candidates = [join(dir, EMBEDDED_DATA_SUBDIR)];
  try {
    const { dataDir } = JSON.parse(await readFile(join(dir, 'embedded.json'), 'utf8')) as {
      dataDir?: string;
    };
    if (typeof dataDir === 'string' && dataDir.startsWith(`${dir}/`)) candidates.push(dataDir);
  } catch {
    // no embedded server here
  }
  for (const c of candidates) {
    const owner = await stat(c).then(
      (st) => st.uid,
      () => null,
    );
    if (owner !== null && owner !== me) return true;
  }
  // As root, the tool-owned MySQL servers (engines/mysql/local-layout.ts) run as the `mysql` OS user.
  const mysqlServers = await stat(join(dir, MYSQL_SUBDIR)).then(
    (st) => st.isDirectory(),
    () => false,
  );
  return me === 0 && mysqlServers;
}

/**
 * Tighten a state directory once per process: 0700 (0711 around a cluster run by another OS
 * user), every file in it and in checkpoints/ 0600. Directories made by older versions were
 * 0755 with a 0644 registry holding the Vers VM's password.
 */
export async function secureStateDir(dir: string): Promise<void> {
  await chmod(dir, (await clusterOfAnotherUser(dir)) ? STATE_DIR_MODE_SHARED_CLUSTER : STATE_DIR_MODE);
  for (const sub of [dir, join(dir, 'checkpoints')]) {
    const entries = await readdir(sub, { withFileTypes: true }).catch(() => []);
    if (sub !== dir) await chmod(sub, STATE_DIR_MODE).catch(() => undefined);
    for (const e of entries)
      if (e.isFile()) await chmod(join(sub, e.name), STATE_FILE_MODE).catch(() => undefined);
  }
  secured.add(dir);
}

/**
 * Create the state directory if needed. It lives in the user's project (a database cluster,
 * passwords, the registry), so it carries its own .gitignore and is never committed by accident.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
  await writeFile(join(dir, '.gitignore'), '# vers-db state: databases, passwords, registry\n*\n', {
    flag: 'wx',
    mode: STATE_FILE_MODE,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  if (!secured.has(dir)) await secureStateDir(dir);
}

/** secureStateDir for a directory that exists, once per process (readers of older state). */
export async function secureExistingStateDir(dir: string): Promise<void> {
  if (!secured.has(dir)) await secureStateDir(dir).catch(() => undefined);
}

/** Let the postgres OS user (root runs the cluster as it) traverse to a cluster inside `dir`. */
export async function shareStateDirWithCluster(dir: string): Promise<void> {
  await chmod(dir, STATE_DIR_MODE_SHARED_CLUSTER);
}
