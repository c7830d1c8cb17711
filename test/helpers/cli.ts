/** Run the real CLI as a user would: a child process, argv, exit code, stdout and stderr apart. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa, type ResultPromise } from 'execa';

const ROOT = resolve(import.meta.dirname, '../..');
/** CI may point this at the committed bundle (`node dist/cli.js`); default runs the sources. */
// tsx is resolved here, not from the child's working directory (a temp project without node_modules).
const CLI = process.env.VERS_DB_CLI_CMD?.split(' ') ?? [
  process.execPath,
  '--import',
  pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
  resolve(ROOT, 'src/cli.ts'),
];

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], env: Record<string, string>, cwd: string): ResultPromise {
  return execa(CLI[0]!, [...CLI.slice(1), ...args], {
    cwd,
    env: { ...env, NO_COLOR: '1', PATH: process.env.PATH ?? '' },
    extendEnv: false,
    reject: false,
    preferLocal: false,
    timeout: 300_000,
  });
}

export async function cli(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const r = await startCli(args, env, cwd);
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}
