#!/usr/bin/env node
import { createRequire as __vdbCreateRequire } from 'node:module';
const require = __vdbCreateRequire(import.meta.url);

// src/guard/hook.ts
import { resolve as resolve4 } from "node:path";

// src/state/paths.ts
import { join, resolve } from "node:path";
function stateDir(env = process.env, cwd = process.cwd()) {
  return env.VERS_DB_HOME ? resolve(cwd, env.VERS_DB_HOME) : resolve(cwd, ".vers-db");
}

// src/state/tested.ts
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join as join2 } from "node:path";
var TESTED_FILE = "tested.json";
var contentHash = (text) => createHash("sha256").update(text, "utf8").digest("hex");
var testedFile = (stateDir2) => join2(stateDir2, TESTED_FILE);
function readTested(stateDir2) {
  try {
    const data = JSON.parse(readFileSync(testedFile(stateDir2), "utf8"));
    if (data && typeof data.files === "object" && data.files !== null)
      return { version: 1, files: data.files };
  } catch {
  }
  return { version: 1, files: {} };
}

// src/guard/detect.ts
import { isAbsolute, resolve as resolve3 } from "node:path";

// src/guard/frameworks.ts
var FRAMEWORKS = [
  {
    name: "Prisma",
    command: /\bprisma\s+migrate\s+(deploy|dev|reset)\b/,
    files: /(^|\/)migrations\/[^/]+\/migration\.sql$/,
    sql: true
  },
  {
    name: "Rails",
    command: /\b(rails|rake)\s+(\S+\s+)*db:(migrate|prepare|setup|migrate:up|migrate:redo)\b/,
    files: /(^|\/)db\/migrate\/[^/]+\.rb$/,
    sql: false
  },
  {
    name: "Alembic",
    command: /\balembic\s+(\S+\s+)*upgrade\b/,
    files: /(^|\/)versions\/[^/]+\.py$/,
    sql: false
  },
  {
    name: "Django",
    command: /\b(manage\.py|django-admin)\s+migrate\b/,
    files: /(^|\/)migrations\/\d{4}_[^/]+\.py$/,
    sql: false
  },
  {
    name: "Flyway",
    command: /\bflyway\s+(\S+\s+)*migrate\b/,
    files: /(^|\/)(V[0-9][0-9._]*|R)__[^/]+\.sql$/,
    sql: true
  },
  {
    name: "Liquibase",
    command: /\bliquibase\s+(\S+\s+)*(update|update-to-tag|updateToTag|update-count|updateCount)\b/,
    files: /(^|\/)([^/]*changelog[^/]*|changelogs?\/.+)\.(xml|ya?ml|json|sql)$/i,
    sql: false
  },
  {
    name: "Knex",
    command: /\bknex\s+(\S+\s+)*migrate:(latest|up)\b/,
    files: /(^|\/)migrations\/[^/]+\.[cm]?[jt]s$/,
    sql: false
  },
  {
    name: "Sequelize",
    command: /\bsequelize(-cli)?\s+(\S+\s+)*db:migrate\b/,
    files: /(^|\/)migrations\/[^/]+\.[cm]?[jt]s$/,
    sql: false
  },
  {
    name: "TypeORM",
    command: /\btypeorm(-ts-node-(commonjs|esm))?\s+(\S+\s+)*migration:run\b/,
    files: /(^|\/)migrations?\/[^/]+\.[cm]?[jt]s$/,
    sql: false
  },
  {
    name: "Drizzle",
    command: /\bdrizzle-kit\s+(\S+\s+)*(migrate|push)\b/,
    files: /(^|\/)(drizzle|migrations)\/[^/]+\.sql$/,
    sql: true
  },
  {
    name: "node-pg-migrate",
    command: /\bnode-pg-migrate\s+(\S+\s+)*up\b/,
    files: /(^|\/)migrations\/[^/]+\.([cm]?[jt]s|sql)$/,
    sql: false
  },
  {
    name: "golang-migrate",
    command: /\bmigrate\s+(\S+\s+)*-(path|source|database)\b.*\s(up|goto)\b/,
    files: /\.up\.sql$/,
    sql: true
  },
  {
    name: "goose",
    command: /\bgoose\s+(\S+\s+)*(up|up-by-one|up-to)\b/,
    files: /(^|\/)(migrations|schema)\/[^/]+\.(sql|go)$/,
    sql: true
  },
  {
    name: "dbmate",
    command: /\bdbmate\s+(\S+\s+)*(up|migrate)\b/,
    files: /(^|\/)migrations\/[^/]+\.sql$/,
    sql: true
  },
  {
    name: "Sqitch",
    command: /\bsqitch\s+(\S+\s+)*deploy\b/,
    files: /(^|\/)deploy\/[^/]+\.sql$/,
    sql: true
  },
  {
    name: "Supabase",
    command: /\bsupabase\s+(db\s+(push|reset)|migration\s+up)\b/,
    files: /(^|\/)supabase\/migrations\/[^/]+\.sql$/,
    sql: true
  },
  {
    name: "Ecto",
    command: /\bmix\s+ecto\.(migrate|setup|reset)\b/,
    files: /(^|\/)priv\/repo\/migrations\/[^/]+\.exs$/,
    sql: false
  },
  {
    name: "Laravel",
    command: /\bartisan\s+migrate\b/,
    files: /(^|\/)database\/migrations\/[^/]+\.php$/,
    sql: false
  },
  {
    name: "Diesel",
    command: /\bdiesel\s+migration\s+(run|redo)\b/,
    files: /(^|\/)migrations\/[^/]+\/up\.sql$/,
    sql: true
  },
  {
    name: "SQLx",
    command: /\bsqlx\s+migrate\s+run\b/,
    files: /(^|\/)migrations\/[^/]+\.sql$/,
    sql: true
  }
];

// src/guard/scripts.ts
import { readFileSync as readFileSync2 } from "node:fs";
import { join as join3, resolve as resolve2 } from "node:path";

// src/guard/shell.ts
var OPERATORS = ["&&", "||", ";;", ";", "|", "&", "\n"];
function splitCommands(line) {
  const commands = [];
  let words = [];
  let stdin = null;
  let current = null;
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
  const word = () => {
    current ??= { text: "", quoted: false };
    return current;
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    const op = OPERATORS.find((o) => line.startsWith(o, i));
    if (op) {
      endCommand();
      i += op.length;
    } else if (c === " " || c === "	") {
      endWord();
      i++;
    } else if (c === "#" && !current) {
      while (i < line.length && line[i] !== "\n") i++;
    } else if (c === "<" && !line.startsWith("<<", i)) {
      endWord();
      redirectIn = true;
      i++;
    } else if (c === "\\" && i + 1 < line.length) {
      if (line[i + 1] !== "\n") word().text += line[i + 1];
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
        if (line[i] === "\\" && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) i++;
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
var TEXT_PROGRAMS = /* @__PURE__ */ new Set([
  "echo",
  "printf",
  "git",
  "grep",
  "egrep",
  "rg",
  "ag",
  "cat",
  "less",
  "more",
  "head",
  "tail",
  "man",
  "which",
  "type",
  "sed",
  "awk",
  "vi",
  "vim",
  "nano",
  "code",
  "ls",
  "find",
  "gh",
  "history"
]);
var WRAPPERS = /* @__PURE__ */ new Set(["sudo", "env", "time", "nice", "nohup", "command", "exec", "xargs"]);
var isAssignment = (w) => !w.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.text);
function programWords(cmd) {
  let i = 0;
  while (i < cmd.words.length) {
    const w = cmd.words[i];
    if (isAssignment(w)) i++;
    else if (WRAPPERS.has(w.text)) {
      i++;
      while (i < cmd.words.length && cmd.words[i].text.startsWith("-")) i++;
    } else break;
  }
  return cmd.words.slice(i);
}
var baseName = (program) => program.slice(program.lastIndexOf("/") + 1);
function isTextProgram(words) {
  return words.length > 0 && TEXT_PROGRAMS.has(baseName(words[0].text));
}
function matchText(words) {
  return words.map((w) => w.quoted && /\s/.test(w.text) ? "_" : w.text).join(" ");
}

// src/guard/scripts.ts
var readText = (path) => {
  try {
    return readFileSync2(path, "utf8");
  } catch {
    return null;
  }
};
var RUNNER_BUILTINS = /* @__PURE__ */ new Set([
  "install",
  "add",
  "remove",
  "upgrade",
  "up",
  "exec",
  "dlx",
  "create",
  "init",
  "info",
  "why",
  "link",
  "unlink",
  "publish",
  "config",
  "cache",
  "list",
  "ls",
  "outdated",
  "audit",
  "i"
]);
function scriptName(program, args) {
  const positional = args.filter((a) => !a.startsWith("-"));
  const [first, second] = positional;
  if (!first) return null;
  if (first === "run" || first === "run-script") return second ?? null;
  if (program === "npm") return ["start", "test", "stop", "restart"].includes(first) ? first : null;
  if (program === "bun") return null;
  return RUNNER_BUILTINS.has(first) ? null : first;
}
function npmScript(words, cwd) {
  const program = baseName(words[0].text);
  const name = scriptName(
    program,
    words.slice(1).map((w) => w.text)
  );
  if (!name) return null;
  const text = readText(join3(cwd, "package.json"));
  if (!text) return null;
  const scripts = JSON.parse(text).scripts ?? {};
  const lines = [`pre${name}`, name, `post${name}`].map((s) => scripts[s]).filter((s) => typeof s === "string");
  return lines.length ? { lines, cwd } : null;
}
function makeRecipes(makefile, targets) {
  const recipes = /* @__PURE__ */ new Map();
  let first = null;
  let current = null;
  for (const raw of makefile.split("\n")) {
    if (raw.startsWith("	")) {
      if (current)
        current.push(
          raw.slice(1).replace(/^[@+-]+/, "").trim()
        );
      continue;
    }
    const rule = /^([^\s:#=][^:=]*?)\s*::?(?!=)/.exec(raw);
    if (!rule) {
      if (raw.trim() && !raw.trim().startsWith("#")) current = null;
      continue;
    }
    current = [];
    for (const target of rule[1].split(/\s+/)) {
      if (!target.startsWith(".")) first ??= target;
      recipes.set(target, current);
    }
  }
  const wanted = targets.length ? targets : first ? [first] : [];
  return wanted.flatMap((t) => recipes.get(t) ?? []).filter(Boolean);
}
function makeTargets(words, cwd) {
  let dir = cwd;
  let file = null;
  const targets = [];
  const args = words.slice(1).map((w) => w.text);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-C" || a === "--directory") dir = resolve2(dir, args[++i] ?? ".");
    else if (a === "-f" || a === "--file" || a === "--makefile") file = args[++i] ?? null;
    else if (a.startsWith("-") || a.includes("=")) continue;
    else targets.push(a);
  }
  const candidates = file ? [resolve2(dir, file)] : ["GNUmakefile", "makefile", "Makefile"].map((f) => join3(dir, f));
  for (const path of candidates) {
    const text = readText(path);
    if (text !== null) {
      const lines = makeRecipes(text, targets);
      return lines.length ? { lines, cwd: dir } : null;
    }
  }
  return null;
}
function expandRunner(words, cwd) {
  const program = baseName(words[0]?.text ?? "");
  if (["npm", "yarn", "pnpm", "bun"].includes(program)) return npmScript(words, cwd);
  if (program === "make" || program === "gmake") return makeTargets(words, cwd);
  return null;
}

// src/guard/detect.ts
var SHELLS = /* @__PURE__ */ new Set(["bash", "sh", "zsh", "dash"]);
function psqlFiles(words, stdin, cwd) {
  const files = [];
  const args = words.slice(1).map((w) => w.text);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    let file;
    if (a === "-f" || a === "--file") file = args[++i];
    else if (a.startsWith("--file=")) file = a.slice("--file=".length);
    else if (/^-[^-]*f./.test(a) && !a.startsWith("--")) file = a.slice(a.indexOf("f") + 1);
    if (file && file !== "-") files.push(file);
  }
  if (stdin) files.push(stdin);
  return files.map((f) => isAbsolute(f) ? f : resolve3(cwd, f));
}
function inspect(cmd, cwd, depth, found) {
  const words = programWords(cmd);
  if (words.length === 0 || isTextProgram(words)) return cwd;
  const program = baseName(words[0].text);
  const text = words.map((w) => w.text).join(" ");
  if (program === "cd") return words[1] ? resolve3(cwd, words[1].text) : cwd;
  if (SHELLS.has(program)) {
    const script = words.findIndex((w) => w.text === "-c" || /^-[a-z]*c$/.test(w.text));
    if (script >= 0 && words[script + 1]) scan(words[script + 1].text, cwd, depth, found);
    return cwd;
  }
  const psql = words.findIndex((w) => baseName(w.text) === "psql");
  if (psql >= 0) {
    const files = psqlFiles(words.slice(psql), cmd.stdin, cwd);
    if (files.length) found.push({ framework: null, files, cwd, text });
    return cwd;
  }
  const line = matchText(words);
  const framework = FRAMEWORKS.find((f) => f.command.test(line));
  if (framework) {
    found.push({ framework, files: [], cwd, text });
    return cwd;
  }
  if (depth === 0) {
    const expansion = expandRunner(words, cwd);
    for (const l of expansion?.lines ?? []) scan(l, expansion.cwd, depth + 1, found);
  }
  return cwd;
}
function scan(line, cwd, depth, found) {
  let dir = cwd;
  for (const cmd of splitCommands(line)) dir = inspect(cmd, dir, depth, found);
}
function detectMigrationCommands(line, cwd) {
  const found = [];
  scan(line, cwd, 0, found);
  return found;
}

// src/guard/pending.ts
import { execFileSync } from "node:child_process";
import { readFileSync as readFileSync3 } from "node:fs";
import { join as join4, relative } from "node:path";
var GIT_TIMEOUT_MS = 2e3;
var git = (cwd, args) => execFileSync("git", args, {
  cwd,
  encoding: "utf8",
  timeout: GIT_TIMEOUT_MS,
  stdio: ["ignore", "pipe", "ignore"]
});
function changedFiles(cwd) {
  let root;
  try {
    root = git(cwd, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    return null;
  }
  const out = git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"]);
  const paths = [];
  for (const entry of out.split("\0")) {
    if (entry.length < 4) continue;
    const [x, y] = [entry[0], entry[1]];
    if (x === "D" || y === "D") continue;
    paths.push(entry.slice(3));
  }
  return { root, paths };
}
function hashed(path) {
  try {
    return { path, hash: contentHash(readFileSync3(path, "utf8")) };
  } catch {
    return null;
  }
}
function pendingFiles(commands) {
  const seen = /* @__PURE__ */ new Map();
  const changed = /* @__PURE__ */ new Map();
  for (const c of commands) {
    let paths = c.files;
    if (c.framework) {
      if (!changed.has(c.cwd)) changed.set(c.cwd, changedFiles(c.cwd));
      const repo = changed.get(c.cwd);
      const pattern = c.framework.files;
      paths = repo ? repo.paths.filter((p) => pattern.test(p)).map((p) => join4(repo.root, p)) : [];
    }
    for (const p of paths) {
      if (seen.has(p)) continue;
      const f = hashed(p);
      if (f) seen.set(p, f);
    }
  }
  return [...seen.values()];
}
var displayPath = (path, cwd) => {
  const r = relative(cwd, path);
  return r && !r.startsWith("..") ? r : path;
};

// src/guard/hook.ts
var OFF = /* @__PURE__ */ new Set(["false", "0", "off", "no"]);
function guardDisabled(env) {
  return [env.CLAUDE_PLUGIN_OPTION_GUARD, env.VERS_DB_GUARD].some(
    (v) => v !== void 0 && OFF.has(v.trim().toLowerCase())
  );
}
var MAX_LISTED = 6;
function reason(commands, untested, cwd) {
  const what = [...new Set(commands.map((c) => c.framework?.name ?? "psql"))].join(", ");
  const shown = untested.map((f) => displayPath(f.path, cwd));
  const listed = shown.slice(0, MAX_LISTED).join(", ") + (shown.length > MAX_LISTED ? ` and ${shown.length - MAX_LISTED} more` : "");
  const sqlOnly = commands.every((c) => c.framework === null || c.framework.sql);
  const howTo = sqlOnly ? `/vers-db-migration-test <baseline> ${shown.slice(0, MAX_LISTED).join(" ")}` : `/vers-db-migration-test <baseline> "${commands[0].text}" (the command runs on a branch of the checkpoint)`;
  return `vers-db: this command applies migrations (${what}) with no passing vers-db test for their current content: ${listed}. Test them on a branch of a checkpoint first: ${howTo}. A test that passes and is not rejected records them, and this question stops. Turn the check off with the vers-db plugin setting 'Ask before untested migrations'.`;
}
function guardDecision(input, env) {
  if (guardDisabled(env)) return null;
  if (input.tool_name !== "Bash" || input.hook_event_name && input.hook_event_name !== "PreToolUse")
    return null;
  const command = input.tool_input?.command;
  if (typeof command !== "string" || !command.trim()) return null;
  const cwd = resolve4(input.cwd || env.CLAUDE_PROJECT_DIR || process.cwd());
  const commands = detectMigrationCommands(command, cwd);
  if (commands.length === 0) return null;
  const files = pendingFiles(commands);
  const tested = readTested(stateDir(env, resolve4(env.CLAUDE_PROJECT_DIR || cwd))).files;
  const untested = files.filter((f) => !tested[f.hash]);
  if (untested.length === 0) return null;
  return JSON.stringify({
    hookSpecificOutput: {
      hookEventName: "PreToolUse",
      permissionDecision: "ask",
      permissionDecisionReason: reason(commands, untested, cwd)
    }
  });
}
async function runGuard() {
  try {
    const chunks = [];
    for await (const chunk of process.stdin) chunks.push(chunk);
    const out = guardDecision(JSON.parse(Buffer.concat(chunks).toString("utf8")), process.env);
    if (out) process.stdout.write(`${out}
`);
  } catch {
  }
  process.exitCode = 0;
}

// src/guard.ts
await runGuard();
