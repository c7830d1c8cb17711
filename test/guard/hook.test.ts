/**
 * The guard hook fed the JSON Claude Code sends on PreToolUse for Bash, in a real git repository:
 * `ask` for untested migration commands of the common frameworks (also one level through npm
 * scripts and make), silence for everything else, for tested migrations and when it fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectMigrationCommands } from '../../src/guard/detect.js';
import { guardDecision } from '../../src/guard/hook.js';
import { makeRecipes } from '../../src/guard/scripts.js';
import { contentHash } from '../../src/state/tested.js';
import { recordTested } from '../../src/state/tested-record.js';

const ROOT = resolve(import.meta.dirname, '../..');

let repo: string;
let env: NodeJS.ProcessEnv;

const MIGRATIONS: Record<string, string> = {
  'prisma/migrations/20260101000000_add_flag/migration.sql': 'ALTER TABLE users ADD COLUMN flag boolean;\n',
  'db/migrate/20260101000000_add_flag.rb': 'class AddFlag < ActiveRecord::Migration[7.1]; end\n',
  'alembic/versions/0002_add_flag.py': 'def upgrade():\n    pass\n',
  'sql/V2__add_flag.sql': 'ALTER TABLE users ADD COLUMN flag2 boolean;\n',
  'migrations/20260101_add_flag.js': 'exports.up = (knex) => knex.schema;\n',
  'app/migrations/0002_add_flag.py': 'from django.db import migrations\n',
  'supabase/migrations/20260101_add_flag.sql': 'ALTER TABLE users ADD COLUMN flag3 boolean;\n',
  'schema/add_index.sql': 'CREATE INDEX CONCURRENTLY users_flag ON users (flag);\n',
};

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, stdio: 'pipe' });

async function put(path: string, content: string): Promise<void> {
  await mkdir(dirname(join(repo, path)), { recursive: true });
  await writeFile(join(repo, path), content);
}

/** The event Claude Code sends before running a Bash command. */
const event = (command: string, cwd = repo) => ({
  session_id: 'test',
  transcript_path: '/tmp/transcript.jsonl',
  cwd,
  permission_mode: 'default',
  hook_event_name: 'PreToolUse',
  tool_name: 'Bash',
  tool_input: { command, description: 'run it' },
  tool_use_id: 'toolu_1',
});

function decide(command: string, cwd = repo) {
  const out = guardDecision(event(command, cwd), env);
  return out === null ? null : (JSON.parse(out) as { hookSpecificOutput: Record<string, string> });
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'vers-db-guard-'));
  env = { CLAUDE_PROJECT_DIR: repo, PATH: process.env.PATH };
  git('init', '-q');
  await put('README.md', 'app\n');
  await put('prisma/migrations/20250101000000_init/migration.sql', 'CREATE TABLE users (id int);\n');
  await put(
    'package.json',
    JSON.stringify({
      scripts: { 'db:deploy': 'prisma migrate deploy', build: 'tsc', migrate: 'knex migrate:latest' },
    }),
  );
  await put(
    'Makefile',
    'all: build\n\nbuild:\n\tgo build ./...\n\nmigrate: build\n\t@alembic -c alembic.ini upgrade head\n',
  );
  git('add', '.');
  git('commit', '-qm', 'init');
  for (const [path, content] of Object.entries(MIGRATIONS)) await put(path, content);
});

afterAll(async () => {
  if (repo) await rm(repo, { recursive: true, force: true });
});

const ASKING_CASES: [string, string, string][] = [
  ['Prisma', 'npx prisma migrate deploy', 'prisma/migrations/20260101000000_add_flag/migration.sql'],
  ['Rails', 'bin/rails db:migrate RAILS_ENV=production', 'db/migrate/20260101000000_add_flag.rb'],
  ['Alembic', 'poetry run alembic -c alembic.ini upgrade head', 'alembic/versions/0002_add_flag.py'],
  [
    'Flyway',
    'flyway -url=jdbc:postgresql://db/app -locations=filesystem:sql migrate',
    'sql/V2__add_flag.sql',
  ],
  ['Knex', 'npx knex migrate:latest --env production', 'migrations/20260101_add_flag.js'],
  ['Django', 'python manage.py migrate', 'app/migrations/0002_add_flag.py'],
  ['Supabase', 'supabase db push', 'supabase/migrations/20260101_add_flag.sql'],
];
const ASKING = ASKING_CASES.map(([, command]) => command);

describe('untested migrations: ask', () => {
  it.each(ASKING_CASES)('%s: %s', (framework, command, file) => {
    const out = decide(command);
    expect(out?.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'ask',
      permissionDecisionReason: expect.stringContaining(file),
    });
    expect(out!.hookSpecificOutput.permissionDecisionReason).toContain(`(${framework})`);
    const sql = ['Prisma', 'Flyway', 'Supabase'].includes(framework);
    expect(out!.hookSpecificOutput.permissionDecisionReason).toContain(
      sql
        ? `/vers-db-migration-test <baseline> ${file}`
        : `vers-db test <baseline> --kind command '${command}'`,
    );
  });

  it('psql -f names the file it applies, relative to a `cd` before it', () => {
    const out = decide('cd schema && psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f add_index.sql');
    expect(out?.hookSpecificOutput.permissionDecision).toBe('ask');
    expect(out?.hookSpecificOutput.permissionDecisionReason).toContain(
      '/vers-db-migration-test <baseline> schema/add_index.sql',
    );
    expect(
      decide('psql postgres://db/app < schema/add_index.sql')?.hookSpecificOutput.permissionDecision,
    ).toBe('ask');
    expect(decide('psql --file=schema/add_index.sql app')?.hookSpecificOutput.permissionDecision).toBe('ask');
  });

  it('looks one level into npm scripts and make targets', () => {
    expect(decide('npm run db:deploy')?.hookSpecificOutput.permissionDecisionReason).toContain('(Prisma)');
    expect(decide('yarn migrate')?.hookSpecificOutput.permissionDecisionReason).toContain('(Knex)');
    expect(decide('make migrate')?.hookSpecificOutput.permissionDecisionReason).toContain('(Alembic)');
    expect(decide("bash -c 'npx prisma migrate deploy'")?.hookSpecificOutput.permissionDecision).toBe('ask');
  });

  it('answers exactly the PreToolUse shape, never allow', () => {
    const raw = guardDecision(event('npx prisma migrate deploy'), env)!;
    const parsed = JSON.parse(raw);
    expect(Object.keys(parsed)).toEqual(['hookSpecificOutput']);
    expect(Object.keys(parsed.hookSpecificOutput)).toEqual([
      'hookEventName',
      'permissionDecision',
      'permissionDecisionReason',
    ]);
    expect(raw).not.toContain('"allow"');
  });
});

describe('silence', () => {
  it.each([
    'ls -la',
    'npm test',
    'npm run build',
    'make',
    'git commit -m "rails db:migrate and prisma migrate deploy"',
    'echo prisma migrate deploy',
    'grep -rn "alembic upgrade" .',
    'prisma migrate status',
    'rails db:rollback:status',
    'psql -c "select 1"',
    'cat schema/add_index.sql',
  ])('%s', (command) => {
    expect(decide(command)).toBeNull();
  });

  it('for tools other than Bash, other events, and input it cannot read', () => {
    expect(guardDecision({ ...event('npx prisma migrate deploy'), tool_name: 'Write' }, env)).toBeNull();
    expect(guardDecision({ ...event('x'), hook_event_name: 'PostToolUse' }, env)).toBeNull();
    expect(guardDecision({ tool_name: 'Bash', tool_input: { command: 42 } }, env)).toBeNull();
  });

  it('for migrations already committed (nothing new or changed against HEAD)', async () => {
    const clean = await mkdtemp(join(tmpdir(), 'vers-db-guard-clean-'));
    try {
      execFileSync('git', ['init', '-q'], { cwd: clean });
      await mkdir(join(clean, 'db/migrate'), { recursive: true });
      await writeFile(join(clean, 'db/migrate/1_init.rb'), 'x\n');
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'add', '.'], { cwd: clean });
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'i'], {
        cwd: clean,
      });
      expect(guardDecision(event('rails db:migrate', clean), { CLAUDE_PROJECT_DIR: clean })).toBeNull();
    } finally {
      await rm(clean, { recursive: true, force: true });
    }
  });

  it('outside a git repository, where nothing can be called new', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'vers-db-guard-plain-'));
    try {
      expect(guardDecision(event('rails db:migrate', plain), { CLAUDE_PROJECT_DIR: plain })).toBeNull();
    } finally {
      await rm(plain, { recursive: true, force: true });
    }
  });

  it('when the plugin setting turns it off', () => {
    expect(
      guardDecision(event('npx prisma migrate deploy'), { ...env, CLAUDE_PLUGIN_OPTION_GUARD: 'false' }),
    ).toBeNull();
    expect(guardDecision(event('npx prisma migrate deploy'), { ...env, VERS_DB_GUARD: 'off' })).toBeNull();
  });
});

describe('tested migrations', () => {
  it('are silent once a passing test recorded their content, and ask again after an edit', async () => {
    const file = 'supabase/migrations/20260101_add_flag.sql';
    const content = MIGRATIONS[file]!;
    await recordTested(join(repo, '.vers-db'), {
      [contentHash(content)]: { path: file, strategy: 's', baseline: 'b', backend: 'local', at: '' },
    });
    expect(decide('supabase db push')).toBeNull();
    await put(file, `${content}-- edited\n`);
    expect(decide('supabase db push')?.hookSpecificOutput.permissionDecision).toBe('ask');
    await put(file, content);
  });

  it('ask names only the untested files', async () => {
    await recordTested(join(repo, '.vers-db'), {
      [contentHash(MIGRATIONS['sql/V2__add_flag.sql']!)]: {
        path: null,
        strategy: 's',
        baseline: 'b',
        backend: 'local',
        at: '',
      },
    });
    expect(decide('flyway migrate')).toBeNull();
    const both = decide('flyway migrate && psql -f schema/add_index.sql');
    expect(both?.hookSpecificOutput.permissionDecisionReason).toContain('schema/add_index.sql');
    expect(both?.hookSpecificOutput.permissionDecisionReason).not.toContain('V2__add_flag.sql');
  });
});

describe('parsing', () => {
  it('reads make recipes of the named targets, or the first target', () => {
    const mk =
      '.PHONY: a\nfirst:\n\techo one\nmigrate deploy: first\n\t@-alembic upgrade head\n\techo done\n';
    expect(makeRecipes(mk, ['deploy'])).toEqual(['alembic upgrade head', 'echo done']);
    expect(makeRecipes(mk, [])).toEqual(['echo one']);
  });

  it('skips env assignments and wrappers', () => {
    const found = detectMigrationCommands('FOO=1 sudo -E env DATABASE_URL=x npx prisma migrate deploy', repo);
    expect(found.map((f) => f.framework?.name)).toEqual(['Prisma']);
  });
});

describe('the bundled hook process', () => {
  const bundle = join(ROOT, 'dist/guard.js');
  const run = (input: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    // Before the first build, the source through tsx (by path: the hook runs from the user's project).
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const args = existsSync(bundle) ? [bundle] : ['--import', tsx, join(ROOT, 'src/guard.ts')];
    return spawnSync(process.execPath, args, {
      input,
      cwd: repo,
      env: { PATH: process.env.PATH, CLAUDE_PROJECT_DIR: repo, ...extraEnv },
      encoding: 'utf8',
    });
  };

  it('answers on stdout with exit 0, and is silent with exit 0 when it cannot parse its input', () => {
    const ask = run(JSON.stringify(event('npx prisma migrate deploy')));
    expect(ask.status).toBe(0);
    expect(JSON.parse(ask.stdout).hookSpecificOutput.permissionDecision).toBe('ask');
    for (const input of ['', 'not json', '{"tool_name":"Bash"}', JSON.stringify(event('ls'))]) {
      const r = run(input);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('');
    }
  });

  it('through the shipped command (hooks/guard.sh): every framework above reaches the guard, the rest stops early', () => {
    if (!existsSync(bundle)) return; // the shell script runs dist/guard.js
    const viaHook = (command: string) =>
      spawnSync('sh', [join(ROOT, 'hooks/guard.sh')], {
        input: JSON.stringify(event(command)),
        cwd: repo,
        // A state directory with nothing tested yet (the tests above recorded some files).
        env: { PATH: process.env.PATH, CLAUDE_PROJECT_DIR: repo, VERS_DB_HOME: join(repo, '.vers-db-none') },
        encoding: 'utf8',
      });
    for (const command of [...ASKING, 'psql -f schema/add_index.sql', 'npm run db:deploy', 'make migrate']) {
      const r = viaHook(command);
      expect(r.status, command).toBe(0);
      expect(JSON.parse(r.stdout).hookSpecificOutput.permissionDecision, command).toBe('ask');
    }
    const started = performance.now();
    const quiet = viaHook('ls -la');
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
    console.error(
      `guard hook on an unrelated command: ${(performance.now() - started).toFixed(0)} ms (no Node)`,
    );
  });

  it('decides in well under 100 ms (timed in-process; node start-up comes on top)', () => {
    const commands = ['npx prisma migrate deploy', 'ls -la', 'npm run db:deploy', 'make migrate'];
    for (const c of commands) decide(c); // warm up
    const started = performance.now();
    const rounds = 10;
    for (let i = 0; i < rounds; i++) for (const c of commands) decide(c);
    const perCall = (performance.now() - started) / (rounds * commands.length);
    console.error(`guard decision: ${perCall.toFixed(1)} ms per call`);
    expect(perCall).toBeLessThan(100);
  });
});
