/**
 * The command line of a tool-owned mariadbd. `--no-defaults` first, so no my.cnf on the machine
 * changes what is measured; performance_schema and the metadata-lock instrument can only be turned
 * on at start-up, so every server starts with them.
 */
import type { ServerLayout } from './layout.js';
import type { ServerOsUser } from './os-user.js';

export interface ServerSettings {
  port: number;
  /** InnoDB buffer pool, bytes (see bufferPoolFor). */
  bufferPoolBytes: number;
  /** InnoDB redo log size, bytes: small keeps copies cheap; must be the same at every start. */
  redoLogBytes: number;
}

const MB = 1024 * 1024;
export const DEFAULT_REDO_LOG_BYTES = 32 * MB;
const MIN_BUFFER_POOL = 32 * MB;
const MAX_BUFFER_POOL = 4096 * MB;

/**
 * A buffer pool that holds the data (plus a quarter for indexes built during a migration), so
 * timings measure locking rather than disk reads; bounded, and in whole MB as InnoDB wants.
 */
export function bufferPoolFor(dataBytes: number): number {
  const wanted = Math.max(MIN_BUFFER_POOL, Math.min(MAX_BUFFER_POOL, Math.ceil(dataBytes * 1.25)));
  return Math.ceil(wanted / MB) * MB;
}

/** Options shared by initialisation and every start (InnoDB refuses some changes between them). */
export function storageOptions(l: ServerLayout, s: Pick<ServerSettings, 'redoLogBytes'>): string[] {
  return [`--datadir=${l.dataDir}`, `--innodb-log-file-size=${s.redoLogBytes}`];
}

export function serverArgs(l: ServerLayout, s: ServerSettings, user: ServerOsUser | null): string[] {
  return [
    '--no-defaults',
    ...storageOptions(l, s),
    ...(user ? [`--user=${user.name}`] : []),
    `--port=${s.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${l.socket}`,
    `--pid-file=${l.pidFile}`,
    `--log-error=${l.errorLog}`,
    '--skip-name-resolve',
    `--innodb-buffer-pool-size=${s.bufferPoolBytes}`,
    // A cold or warm buffer pool would differ between a checkpoint and its branches: neither.
    '--innodb-buffer-pool-dump-at-shutdown=OFF',
    '--innodb-buffer-pool-load-at-startup=OFF',
    '--performance-schema=ON',
    '--performance-schema-instrument=wait/lock/metadata/sql/mdl=ON',
    '--performance-schema-consumer-global-instrumentation=ON',
    '--performance-schema-consumer-thread-instrumentation=ON',
    // MariaDB's performance_schema keeps showing an upgraded lock (ALTER's SHARED_UPGRADABLE, really
    // SHARED_NO_WRITE while it copies) at its first type; this plugin shows the granted type as it is.
    '--plugin-load-add=metadata_lock_info.so',
  ];
}
