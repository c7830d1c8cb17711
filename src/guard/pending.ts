/**
 * The files a migration command would apply: the ones psql names, or the framework's migration
 * files that are new or changed against git HEAD (committed-and-deployed ones are not asked
 * about again). Each comes with the hash of its current content, the key tested.json uses.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { contentHash } from '../state/tested.js';
import type { MigrationCommand } from './detect.js';

export interface PendingFile {
  /** Absolute path. */
  path: string;
  hash: string;
}

const GIT_TIMEOUT_MS = 2000;

const git = (cwd: string, args: string[]): string =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    timeout: GIT_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'ignore'],
  });

/** Repository-relative paths of files added, modified or untracked against HEAD (deleted ones left out). */
export function changedFiles(cwd: string): { root: string; paths: string[] } | null {
  let root: string;
  try {
    root = git(cwd, ['rev-parse', '--show-toplevel']).trim();
  } catch {
    return null; // not a repository: nothing can be called new or changed
  }
  const out = git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  const paths: string[] = [];
  for (const entry of out.split('\0')) {
    if (entry.length < 4) continue;
    const [x, y] = [entry[0], entry[1]];
    if (x === 'D' || y === 'D') continue;
    paths.push(entry.slice(3));
  }
  return { root, paths };
}

function hashed(path: string): PendingFile | null {
  try {
    return { path, hash: contentHash(readFileSync(path, 'utf8')) };
  } catch {
    return null; // missing or unreadable: the command itself will say so
  }
}

export function pendingFiles(commands: readonly MigrationCommand[]): PendingFile[] {
  const seen = new Map<string, PendingFile>();
  const changed = new Map<string, ReturnType<typeof changedFiles>>();
  for (const c of commands) {
    let paths = c.files;
    if (c.framework) {
      if (!changed.has(c.cwd)) changed.set(c.cwd, changedFiles(c.cwd));
      const repo = changed.get(c.cwd);
      const pattern = c.framework.files;
      paths = repo ? repo.paths.filter((p) => pattern.test(p)).map((p) => join(repo.root, p)) : [];
    }
    for (const p of paths) {
      if (seen.has(p)) continue;
      const f = hashed(p);
      if (f) seen.set(p, f);
    }
  }
  return [...seen.values()];
}

export const displayPath = (path: string, cwd: string): string => {
  const r = relative(cwd, path);
  return r && !r.startsWith('..') ? r : path;
};
