/**
 * Core's engines by name. The Record makes a new EngineName fail to compile until its side of
 * core exists; nothing else in core names an engine.
 */
import type { EngineName } from '../../engines/engine.js';
import { mysqlCore } from './mysql.js';
import { postgresCore } from './postgres.js';
import type { CoreEngine } from './types.js';

const CORE_ENGINES: Readonly<Record<EngineName, CoreEngine>> = {
  postgres: postgresCore,
  mysql: mysqlCore,
};

export const coreEngine = (name: EngineName): CoreEngine => CORE_ENGINES[name];
