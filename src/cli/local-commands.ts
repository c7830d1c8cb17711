/**
 * `up`, `down`, `status` and `demo` on the local backend, per engine, loaded when used (the MySQL
 * side loads mysql2 and the MariaDB server management). The Record makes a new engine fail to
 * compile until its commands exist; program.ts never tests an engine's name.
 */
import type { Context } from '../core/context.js';
import type { EngineName } from '../engines/engine.js';
import type { DemoOptions } from './demo.js';

export interface UpOptions {
  template?: string;
  database?: string;
  fresh?: boolean;
  thin?: string | true;
  fsync?: boolean;
}

export interface LocalCommands {
  up(ctx: Context, o: UpOptions): Promise<number>;
  down(ctx: Context): Promise<number>;
  status(ctx: Context, json: boolean | undefined): Promise<number>;
  demo(ctx: Context, o: DemoOptions): Promise<number>;
}

const LOCAL_COMMANDS: Readonly<Record<EngineName, () => Promise<LocalCommands>>> = {
  async postgres() {
    const [up, demo] = await Promise.all([import('./local-up.js'), import('./demo.js')]);
    return { up: up.localUp, down: up.localDown, status: up.localStatus, demo: demo.runDemo };
  },
  async mysql() {
    const [up, demo] = await Promise.all([import('./mysql-up.js'), import('./demo/mysql.js')]);
    return { up: up.mysqlUp, down: up.mysqlDown, status: up.mysqlStatus, demo: demo.runMysqlDemo };
  },
};

export const localCommands = (engine: EngineName): Promise<LocalCommands> => LOCAL_COMMANDS[engine]();
