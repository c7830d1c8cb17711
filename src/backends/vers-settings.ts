/** The registry settings the vers backend owns (under `settings` in the registry file). */
import { randomBytes } from 'node:crypto';
import { ENGINE_NAMES, type EngineName } from '../engines/engine.js';
import { DEFAULT_ENGINE } from '../engines/index.js';
import { InvalidInputError } from '../errors.js';

export const VERS_SETTINGS = {
  baseVm: 'vers.baseVm',
  password: 'vers.pgPassword',
  /** The password of the read-only role (vers-reader.ts), made with the first checkpoint. */
  readerPassword: 'vers.readerPassword',
  database: 'vers.database',
  pgVersion: 'vers.pgVersion',
  /** The engine the base VM serves when it is not the default ('mysql': MariaDB). */
  engine: 'vers.engine',
  /** The password of the base VM's MariaDB user versdb. */
  mysqlPassword: 'vers.mysqlPassword',
  /** + tag: the working VM the last rollback of that checkpoint made. */
  workingPrefix: 'vers.working.',
} as const;

type Settings = Record<string, string | undefined>;

/** The engine the project's base VM serves (the setting is absent for the default engine). */
export function baseVmEngine(settings: Settings): EngineName {
  const recorded = settings[VERS_SETTINGS.engine];
  return ENGINE_NAMES.find((e) => e === recorded) ?? DEFAULT_ENGINE;
}

/** Record the engine the base VM serves (nothing for the default, as before engines were recorded). */
export function recordBaseVmEngine(settings: Settings, engine: EngineName): void {
  if (engine === DEFAULT_ENGINE) delete settings[VERS_SETTINGS.engine];
  else settings[VERS_SETTINGS.engine] = engine;
}

const SCRIPT_PASSWORD = /^[0-9a-f]{16,64}$/;

/** The project's password for a VM's database user: the recorded one, else a new random one. */
export function vmPassword(settings: Settings, key: string): string {
  return settings[key] ?? randomBytes(16).toString('hex');
}

/** A password goes into an install script only as 16–64 hex digits (what vmPassword makes). */
export function checkScriptPassword(password: string, user: string): void {
  if (!SCRIPT_PASSWORD.test(password))
    throw new InvalidInputError(`the ${user} password must be 16–64 hex digits`);
}
