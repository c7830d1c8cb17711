/**
 * Shell steps (validations, command migrations, suite setup) cannot be fenced by a database
 * role. When vers-db runs as root they run as an unprivileged OS user (`nobody`, or
 * VERS_DB_COMMAND_USER) with an environment that holds the branch's connection settings and
 * nothing of ours: not the state directory, not the server's superuser password. As any other
 * user they run as that user, with its environment: trusted code (README "Safety").
 */
import { tmpdir, userInfo } from 'node:os';
import { execa } from 'execa';
import { BackendError } from '../errors.js';

export interface CommandIdentity {
  name: string;
  uid: number;
  gid: number;
}

/** Variables a shell step may inherit when it runs as another user; everything else is withheld. */
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TERM'];
const DEFAULT_COMMAND_USER = 'nobody';

const cache = new Map<string, Promise<CommandIdentity | null>>();

/** The user shell steps run as: null when vers-db is not root, or VERS_DB_COMMAND_USER=root says to trust them. */
export function commandIdentity(env: NodeJS.ProcessEnv): Promise<CommandIdentity | null> {
  if (userInfo().uid !== 0) return Promise.resolve(null);
  const name = env.VERS_DB_COMMAND_USER?.trim() || DEFAULT_COMMAND_USER;
  if (name === 'root') return Promise.resolve(null);
  let found = cache.get(name);
  if (!found) {
    found = lookup(name);
    cache.set(name, found);
    found.catch(() => cache.delete(name));
  }
  return found;
}

async function lookup(name: string): Promise<CommandIdentity> {
  const uid = await execa('id', ['-u', '--', name], { reject: false });
  const gid = await execa('id', ['-g', '--', name], { reject: false });
  if (uid.exitCode !== 0 || gid.exitCode !== 0) {
    throw new BackendError(`shell steps run as the OS user ${JSON.stringify(name)}, which does not exist`, {
      hint: 'vers-db runs as root, so commands run as an unprivileged user: create it, or set VERS_DB_COMMAND_USER to another one',
    });
  }
  const identity = { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  if (identity.uid === 0) {
    throw new BackendError(`VERS_DB_COMMAND_USER ${JSON.stringify(name)} is root`, {
      hint: 'use VERS_DB_COMMAND_USER=root to run shell steps as trusted code on purpose',
    });
  }
  return identity;
}

/** The working directory must be one the command user can enter and read. */
export async function assertReachable(dir: string, who: CommandIdentity): Promise<void> {
  const r = await execa('test', ['-x', dir, '-a', '-r', dir], { uid: who.uid, gid: who.gid, reject: false });
  if (r.exitCode !== 0) {
    throw new BackendError(
      `shell steps run as ${who.name} (vers-db runs as root), and ${who.name} cannot enter ${dir}`,
      {
        hint: `make the directory and its parents readable by others (chmod o+rx), or set VERS_DB_COMMAND_USER=root to run shell steps as trusted code`,
      },
    );
  }
}

/** The environment of a shell step run as `who`: a few harmless variables, then the step's own. */
export function commandEnv(parent: NodeJS.ProcessEnv, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { HOME: tmpdir() };
  for (const k of PASSED_THROUGH) {
    const v = parent[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...own };
}
