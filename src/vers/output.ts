/**
 * Reading what vers prints: JSON after noise lines, exec's remote exit code behind a sentinel,
 * and secrets removed from anything we keep or show.
 */
import { VersCommandError } from './errors.js';

/**
 * vers may print an update notice, a vers.toml warning or SSH-key messages on stdout before
 * (or, from a background goroutine, after) the pretty-printed JSON: parse from the first line
 * starting with `{` or `[`, up to the first line that closes a complete document.
 */
export function parseJsonOutput<T>(stdout: string, command: string): T {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith('{') || l.startsWith('['));
  if (start >= 0) {
    for (let end = start; end < lines.length; end++) {
      const last = lines[end]!.trimEnd();
      if (!last.endsWith('}') && !last.endsWith(']')) continue;
      try {
        return JSON.parse(lines.slice(start, end + 1).join('\n')) as T;
      } catch {
        // not the end of the document yet
      }
    }
  }
  throw new VersCommandError(`\`${command}\` printed no JSON document`, {
    command,
    versExitCode: 0,
    stderr: '',
    hint: `its output began with: ${JSON.stringify(stdout.slice(0, 200))}`,
  });
}

/** Quote one word for bash: the only safe way to put a value into a script. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Wrap a script so its exit code comes back on stdout behind a per-call marker: vers exec's
 * own exit code cannot tell a remote `exit 3` from vers's "not found" (both 3). The script
 * runs in a subshell, so its own `exit` cannot skip the marker, and (unlike a nested `bash -c`)
 * its text never becomes a process argument inside the VM either.
 */
export function wrapWithSentinel(script: string, marker: string): string {
  return [
    `( eval ${shQuote(script)} )`,
    '__versdb_rc=$?',
    `printf '\\n${marker}%s\\n' "$__versdb_rc"`,
    'exit "$__versdb_rc"',
  ].join('\n');
}

/**
 * The only script vers exec ever sees in its argv: it reads the real one from stdin up to a NUL
 * byte (bash's `read` takes one byte at a time from a pipe, so nothing after it is consumed) and
 * runs it; whatever follows the NUL stays on stdin for the script (an uploaded file). So scripts,
 * and the passwords in them, never show in `ps` on this machine or in the VM.
 */
export const STDIN_BOOTSTRAP = `IFS= read -r -d '' __versdb_script || exit 97; eval "$__versdb_script"`;

/** What goes on vers exec's stdin: the wrapped script, a NUL, then the script's own input. */
export function stdinPayload(wrapped: string, input?: string | Buffer): Buffer {
  const head = Buffer.from(`${wrapped}\0`, 'utf8');
  return input === undefined
    ? head
    : Buffer.concat([head, Buffer.isBuffer(input) ? input : Buffer.from(input)]);
}

/** Split the marker line off: the remote exit code and the command's own stdout. */
export function takeSentinel(stdout: string, marker: string): { exitCode: number; stdout: string } | null {
  const at = stdout.lastIndexOf(`${marker}`);
  if (at < 0) return null;
  const match = /^(\d+)/.exec(stdout.slice(at + marker.length));
  if (!match) return null;
  // Drop the newline printf put before the marker.
  const own = stdout.slice(0, at);
  return { exitCode: Number(match[1]), stdout: own.endsWith('\n') ? own.slice(0, -1) : own };
}

export type Redactor = (text: string) => string;

/** Replace every occurrence of each secret (the API key, database passwords) with ***. */
export function redactor(secrets: Iterable<string | undefined>): Redactor {
  const list = [...secrets].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  return (text) => list.reduce((t, s) => t.replaceAll(s, '***'), text);
}
