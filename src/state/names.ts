import { InvalidInputError } from '../errors.js';

/** Tags and branch names: what vers tags and quoted Postgres identifiers both accept. */
const NAME_PATTERN = /^[A-Za-z0-9._-]{1,48}$/;

export function validateName(kind: 'checkpoint tag' | 'branch name', name: string): string {
  if (!NAME_PATTERN.test(name)) {
    const why =
      name.length === 0
        ? 'it is empty'
        : name.length > 48
          ? `it is ${name.length} characters long`
          : `it contains ${JSON.stringify([...name].find((c) => !/[A-Za-z0-9._-]/.test(c)))}`;
    throw new InvalidInputError(`invalid ${kind} ${JSON.stringify(name)}: ${why}`, {
      hint: 'use letters, digits, ".", "_" and "-", at most 48 characters',
    });
  }
  return name;
}

/**
 * Every database the local backend creates starts with `vdb_<instance>_`, where the instance id
 * belongs to one state directory: gc removes unknown databases of its own instance only, never
 * those of another project sharing the server. 4 + 6 + 3 + 48 = 61 bytes, under Postgres's 63.
 */
export const DB_PREFIX = 'vdb_';
export const instancePrefix = (instance: string): string => `${DB_PREFIX}${instance}_`;
export const checkpointDatabaseName = (instance: string, tag: string): string =>
  `${instancePrefix(instance)}c_${tag}`;
export const branchDatabaseName = (instance: string, branch: string): string =>
  `${instancePrefix(instance)}b_${branch}`;
export const workingDatabaseName = (instance: string, tag: string): string =>
  `${instancePrefix(instance)}w_${tag}`;

/** A branch name derived from a strategy file or label, made valid and unique-ish. */
export function deriveBranchName(label: string, suffix: string): string {
  const base = label
    .replace(/\.[A-Za-z0-9]+$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = 48 - suffix.length - 1;
  return `${(base || 'branch').slice(0, room)}-${suffix}`;
}
