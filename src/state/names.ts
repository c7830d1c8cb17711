import { InvalidInputError } from '../errors.js';

/**
 * Tags and branch names: what vers tags and quoted Postgres identifiers both accept, starting with
 * a letter or digit (a name such as "-rf" or "--keep" would read as an option on a command line).
 */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

export function validateName(kind: 'checkpoint tag' | 'branch name', name: string): string {
  if (!NAME_PATTERN.test(name)) {
    const why =
      name.length === 0
        ? 'it is empty'
        : name.length > 48
          ? `it is ${name.length} characters long`
          : !/^[A-Za-z0-9]/.test(name)
            ? `it starts with ${JSON.stringify(name[0])}`
            : `it contains ${JSON.stringify([...name].find((c) => !/[A-Za-z0-9._-]/.test(c)))}`;
    throw new InvalidInputError(`invalid ${kind} ${JSON.stringify(name.slice(0, 64))}: ${why}`, {
      hint: 'start with a letter or digit, then letters, digits, ".", "_" and "-", at most 48 characters',
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
/** An instance id is 6 hex digits; anything else in a registry file was not written by vers-db. */
const INSTANCE_PATTERN = /^[0-9a-f]{6}$/;
export function instancePrefix(instance: string): string {
  if (!INSTANCE_PATTERN.test(instance)) {
    throw new InvalidInputError(
      `the registry's instance id ${JSON.stringify(instance)} is not one vers-db makes`,
      {
        hint: 'the registry file was edited or damaged; move it away and run `vers-db gc`',
      },
    );
  }
  return `${DB_PREFIX}${instance}_`;
}
export const checkpointDatabaseName = (instance: string, tag: string): string =>
  `${instancePrefix(instance)}c_${tag}`;
export const branchDatabaseName = (instance: string, branch: string): string =>
  `${instancePrefix(instance)}b_${branch}`;
export const workingDatabaseName = (instance: string, tag: string): string =>
  `${instancePrefix(instance)}w_${tag}`;

/**
 * Roles share the prefix (roles and databases are separate namespaces): a branch has an owner
 * role (migrations, validations) and a reader role (comparison queries); a checkpoint has a
 * NOLOGIN role that owns its objects until a branch takes them over.
 */
export const branchOwnerRole = (instance: string, branch: string): string =>
  `${instancePrefix(instance)}o_${branch}`;
export const branchReaderRole = (instance: string, branch: string): string =>
  `${instancePrefix(instance)}r_${branch}`;
export const checkpointOwnerRole = (instance: string, tag: string): string =>
  `${instancePrefix(instance)}k_${tag}`;

/** A branch name derived from a strategy file or label, made valid and unique-ish. */
export function deriveBranchName(label: string, suffix: string): string {
  const base = label
    .replace(/\.[A-Za-z0-9]+$/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '');
  const room = 48 - suffix.length - 1;
  return `${(base || 'branch').slice(0, room)}-${suffix}`;
}
