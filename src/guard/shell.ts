/**
 * Just enough of the shell grammar for the guard: split a command line into simple commands at
 * `&&`, `||`, `;`, `|`, `&` and newlines, and each into words with quotes removed. A word remembers
 * whether it was quoted, so `git commit -m "rails db:migrate"` is not mistaken for a migration.
 * It never evaluates anything: no expansion, no substitution.
 */

export interface Word {
  text: string;
  /** Some part of it was inside quotes. */
  quoted: boolean;
}

/** A redirection's target, e.g. `< file.sql`. */
export interface SimpleCommand {
  words: Word[];
  stdin: string | null;
}

const OPERATORS = ['&&', '||', ';;', ';', '|', '&', '\n'];

export function splitCommands(line: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: Word[] = [];
  let stdin: string | null = null;
  let current: Word | null = null;
  let redirectIn = false;
  const endWord = () => {
    if (!current) return;
    if (redirectIn) {
      stdin = current.text;
      redirectIn = false;
    } else words.push(current);
    current = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push({ words, stdin });
    words = [];
    stdin = null;
  };
  const word = (): Word => {
    current ??= { text: '', quoted: false };
    return current;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (op) {
      endCommand();
      i += op.length;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i++;
    } else if (c === '#' && !current) {
      while (i < line.length && line[i] !== '\n') i++; // a comment runs to the end of the line
    } else if (c === '<' && !line.startsWith('<<', i)) {
      endWord();
      redirectIn = true;
      i++;
    } else if (c === '\\' && i + 1 < line.length) {
      if (line[i + 1] !== '\n') word().text += line[i + 1];
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      const w = word();
      w.text += line.slice(i + 1, end < 0 ? line.length : end);
      w.quoted = true;
      i = end < 0 ? line.length : end + 1;
    } else if (c === '"') {
      const w = word();
      w.quoted = true;
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) i++;
        w.text += line[i];
        i++;
      }
      i++;
    } else {
      word().text += c;
      i++;
    }
  }
  endCommand();
  return commands;
}

/** Programs that only show or search text: a migration command in their arguments is not run. */
const TEXT_PROGRAMS = new Set([
  'echo',
  'printf',
  'git',
  'grep',
  'egrep',
  'rg',
  'ag',
  'cat',
  'less',
  'more',
  'head',
  'tail',
  'man',
  'which',
  'type',
  'sed',
  'awk',
  'vi',
  'vim',
  'nano',
  'code',
  'ls',
  'find',
  'gh',
  'history',
]);

/** Prefixes that run the rest of the line as the command. */
const WRAPPERS = new Set(['sudo', 'env', 'time', 'nice', 'nohup', 'command', 'exec', 'xargs']);

const isAssignment = (w: Word) => !w.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text);

/** The words from the program on: leading VAR=value assignments and wrappers (sudo, env …) dropped. */
export function programWords(cmd: SimpleCommand): Word[] {
  let i = 0;
  while (i < cmd.words.length) {
    const w = cmd.words[i]!;
    if (isAssignment(w)) i++;
    else if (WRAPPERS.has(w.text)) {
      i++;
      while (i < cmd.words.length && cmd.words[i]!.text.startsWith('-')) i++;
    } else break;
  }
  return cmd.words.slice(i);
}

export const baseName = (program: string): string => program.slice(program.lastIndexOf('/') + 1);

export function isTextProgram(words: readonly Word[]): boolean {
  return words.length > 0 && TEXT_PROGRAMS.has(baseName(words[0]!.text));
}

/**
 * The words as one line for pattern matching: a quoted word with spaces in it (a message, a
 * script for another program) becomes `_`, so patterns match only what would run.
 */
export function matchText(words: readonly Word[]): string {
  return words.map((w) => (w.quoted && /\s/.test(w.text) ? '_' : w.text)).join(' ');
}
