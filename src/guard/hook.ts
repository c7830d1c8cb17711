/**
 * The guard: a PreToolUse hook on Bash. When Claude is about to run a command that applies
 * migrations and one of them has no passing vers-db test for its current content, it answers
 * `ask` with the files and the command that tests them. It never answers `allow` (that would
 * bypass the user's permission rules), never connects to a database, and says nothing about
 * anything else, or when it cannot tell (any failure is silence).
 */
import { resolve } from 'node:path';
import { stateDir } from '../state/paths.js';
import { readTested } from '../state/tested.js';
import { detectMigrationCommands, type MigrationCommand } from './detect.js';
import { displayPath, type PendingFile, pendingFiles } from './pending.js';

export interface HookInput {
  hook_event_name?: string;
  tool_name?: string;
  tool_input?: { command?: unknown };
  cwd?: string;
}

const OFF = new Set(['false', '0', 'off', 'no']);

/** Off by the plugin setting (CLAUDE_PLUGIN_OPTION_GUARD) or VERS_DB_GUARD. */
export function guardDisabled(env: NodeJS.ProcessEnv): boolean {
  return [env.CLAUDE_PLUGIN_OPTION_GUARD, env.VERS_DB_GUARD].some(
    (v) => v !== undefined && OFF.has(v.trim().toLowerCase()),
  );
}

const MAX_LISTED = 6;

function reason(
  commands: readonly MigrationCommand[],
  untested: readonly PendingFile[],
  cwd: string,
): string {
  const what = [...new Set(commands.map((c) => c.framework?.name ?? 'psql'))].join(', ');
  const shown = untested.map((f) => displayPath(f.path, cwd));
  const listed =
    shown.slice(0, MAX_LISTED).join(', ') +
    (shown.length > MAX_LISTED ? ` and ${shown.length - MAX_LISTED} more` : '');
  const sqlOnly = commands.every((c) => c.framework === null || c.framework.sql);
  const howTo = sqlOnly
    ? `/vers-db-migration-test <baseline> ${shown.slice(0, MAX_LISTED).join(' ')}`
    : `vers-db test <baseline> --kind command '${commands[0]!.text}' (MCP: db_migration_test with kind "command"; the command runs against a branch of the checkpoint)`;
  return (
    `vers-db: this command applies migrations (${what}) with no passing vers-db test for their current content: ${listed}. ` +
    `Test them on a branch of a checkpoint first: ${howTo}. ` +
    'A test that passes and is not rejected records them, and this question stops. ' +
    "Turn the check off with the vers-db plugin setting 'Ask before untested migrations'."
  );
}

/** The hook's answer for one PreToolUse event: the JSON to print, or null for silence. */
export function guardDecision(input: HookInput, env: NodeJS.ProcessEnv): string | null {
  if (guardDisabled(env)) return null;
  if (input.tool_name !== 'Bash' || (input.hook_event_name && input.hook_event_name !== 'PreToolUse'))
    return null;
  const command = input.tool_input?.command;
  if (typeof command !== 'string' || !command.trim()) return null;
  const cwd = resolve(input.cwd || env.CLAUDE_PROJECT_DIR || process.cwd());
  const commands = detectMigrationCommands(command, cwd);
  if (commands.length === 0) return null;
  const files = pendingFiles(commands);
  const tested = readTested(stateDir(env, resolve(env.CLAUDE_PROJECT_DIR || cwd))).files;
  const untested = files.filter((f) => !tested[f.hash]);
  if (untested.length === 0) return null;
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: reason(commands, untested, cwd),
    },
  });
}

/** Read the event from stdin, answer on stdout, exit 0 whatever happens. */
export async function runGuard(): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const out = guardDecision(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HookInput, process.env);
    if (out) process.stdout.write(`${out}\n`);
  } catch {
    // Silence: a guard that cannot tell must not get in the way.
  }
  process.exitCode = 0;
}
