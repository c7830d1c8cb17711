/**
 * The plugin as Claude Code reads it: manifest, marketplace, the MCP server after variable expansion,
 * and the skill and slash command naming only tools and CLI commands that exist.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../src/cli/program.js';
import { TOOLS } from '../../src/tools/index.js';
import { expandMcpConfig, readMcpServerConfig } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PLUGIN_TOOL_PREFIX = 'mcp__plugin_vers-db_vers-db__';
/** The commands the real `vers-db` program has. */
const CLI_COMMANDS = buildProgram().commands.map((c) => c.name());

const readJson = async (path: string) => JSON.parse(await readFile(resolve(ROOT, path), 'utf8'));

async function frontmatter(path: string): Promise<{ meta: Record<string, unknown>; body: string }> {
  const text = await readFile(resolve(ROOT, path), 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`${path} has no frontmatter`);
  return { meta: parseYaml(m[1]!) as Record<string, unknown>, body: m[2]! };
}

/** Every `vers-db <word>` and `vers-db a | b | c` inside a code span of a text (prose may say "vers-db server"). */
function cliCommandsIn(text: string): string[] {
  const found: string[] = [];
  for (const span of text.matchAll(/`([^`\n]+)`/g)) {
    for (const m of span[1]!.matchAll(/vers-db ((?:[a-z][a-z-]*)(?: \| [a-z][a-z-]*)*)/g)) {
      for (const word of m[1]!.split(' | ')) found.push(word);
    }
  }
  return found;
}

describe('.claude-plugin', () => {
  it('plugin.json names the plugin vers-db with the metadata a marketplace shows', async () => {
    const plugin = await readJson('.claude-plugin/plugin.json');
    const pkg = await readJson('package.json');
    expect(plugin).toMatchObject({ name: 'vers-db', version: pkg.version, license: 'MIT' });
    expect(plugin.description.length).toBeGreaterThan(40);
    expect(plugin.author.name).toBeTruthy();
    expect(plugin.repository).toMatch(/^https:\/\//);
    expect(Array.isArray(plugin.keywords)).toBe(true);
  });

  it('marketplace.json lists this repository as its one plugin', async () => {
    const market = await readJson('.claude-plugin/marketplace.json');
    expect(market.name).toMatch(/^[a-z0-9-]+$/);
    expect(market.owner.name).toBeTruthy();
    expect(market.plugins).toEqual([expect.objectContaining({ name: 'vers-db', source: './' })]);
  });
});

describe('plugin.json mcpServers', () => {
  it('is the only MCP config: no root .mcp.json that Claude Code would also read as a project server', () => {
    expect(existsSync(resolve(ROOT, '.mcp.json'))).toBe(false);
  });

  it('runs dist/server.js from the plugin root with the state in the project', async () => {
    const raw = await readMcpServerConfig(ROOT);
    const expanded = expandMcpConfig(raw, {
      CLAUDE_PLUGIN_ROOT: '/plugins/cache/vers-db/0.1.0',
      CLAUDE_PROJECT_DIR: '/home/me/app',
      DATABASE_URL: 'postgres://me@db/app',
      'user_config.backend': 'local',
    });
    expect(expanded.command).toBe('node');
    expect(expanded.args).toEqual(['/plugins/cache/vers-db/0.1.0/dist/server.js']);
    expect(expanded.env).toEqual({
      DATABASE_URL: 'postgres://me@db/app',
      VERS_DB_BACKEND: '',
      VERS_API_KEY: '',
      VERS_DB_CONFIG_DATABASE_URL: '',
      VERS_DB_CONFIG_VERS_API_KEY: '',
      VERS_DB_CONFIG_BACKEND: 'local',
      VERS_DB_HOME: '/home/me/app/.vers-db',
    });
  });

  it('passes user variables through with an empty default, so an unset one never stays literal', async () => {
    const raw = await readMcpServerConfig(ROOT);
    for (const name of ['DATABASE_URL', 'VERS_DB_BACKEND', 'VERS_API_KEY']) {
      expect(raw.env?.[name]).toBe(`\${${name}:-}`);
    }
    const expanded = expandMcpConfig(raw, { CLAUDE_PLUGIN_ROOT: '/p', CLAUDE_PROJECT_DIR: '/q' });
    expect(JSON.stringify(expanded)).not.toContain('${');
  });

  it('passes every setting under its own variable; the URL and the API key are kept secret', async () => {
    const plugin = await readJson('.claude-plugin/plugin.json');
    const raw = await readMcpServerConfig(ROOT);
    const settings = Object.entries(plugin.userConfig as Record<string, { sensitive?: boolean }>);
    const passed = settings.filter(([key]) =>
      Object.values(raw.env ?? {}).includes(`\${user_config.${key}}`),
    );
    expect(passed.map(([k]) => k).sort()).toEqual(['backend', 'database_url', 'vers_api_key']);
    expect(plugin.userConfig.database_url.sensitive).toBe(true);
    expect(plugin.userConfig.vers_api_key.sensitive).toBe(true);
  });

  it('points at the server entry the build produces', async () => {
    const build = await readFile(resolve(ROOT, 'scripts/build.mjs'), 'utf8');
    expect(build).toMatch(/server: 'src\/server\.ts'/);
    expect(existsSync(resolve(ROOT, 'src/server.ts'))).toBe(true);
  });
});

describe('skills/vers-database-testing/SKILL.md', () => {
  it('activates on the use-case trigger words and paths', async () => {
    const { meta } = await frontmatter('skills/vers-database-testing/SKILL.md');
    expect(meta.name).toBe('vers-database-testing');
    const description = String(meta.description);
    for (const words of [
      'database testing',
      'migration testing',
      'schema changes',
      'PostgreSQL testing',
      'data transformation',
      'ETL testing',
      'rollback testing',
    ]) {
      expect(description).toContain(words);
    }
    expect(description.length).toBeLessThan(1536);
    expect(meta.paths).toEqual(['**/migrations/**', '**/*.sql', '**/schema.*', '**/seeds/**']);
  });

  it('names only tools that exist, by their full plugin names', async () => {
    const { meta, body } = await frontmatter('skills/vers-database-testing/SKILL.md');
    const names = new Set(TOOLS.map((t) => t.name));
    const allowed = (meta['allowed-tools'] as string[]).filter((t) => t.startsWith('mcp__'));
    expect(allowed.length).toBeGreaterThanOrEqual(4);
    for (const tool of allowed) {
      expect(tool.startsWith(PLUGIN_TOOL_PREFIX), tool).toBe(true);
      expect(names.has(tool.slice(PLUGIN_TOOL_PREFIX.length)), tool).toBe(true);
    }
    const mentioned = [...body.matchAll(/\bdb_[a-z_]+/g)].map((m) => m[0]);
    expect(new Set(mentioned).size).toBe(names.size);
    for (const name of mentioned) expect(names.has(name), name).toBe(true);
  });

  it('teaches only CLI commands that exist', async () => {
    const { body } = await frontmatter('skills/vers-database-testing/SKILL.md');
    const used = cliCommandsIn(body);
    expect(used.length).toBeGreaterThan(8);
    for (const command of used) expect(CLI_COMMANDS, `vers-db ${command}`).toContain(command);
  });
});

describe('commands/vers-db-migration-test.md', () => {
  it('takes <baseline> <migration.sql>... and calls db_test_strategies', async () => {
    const { meta, body } = await frontmatter('commands/vers-db-migration-test.md');
    expect(meta.description).toBeTruthy();
    expect(meta['argument-hint']).toBe('<baseline> <migration.sql>...');
    expect(meta['allowed-tools']).toContain(`${PLUGIN_TOOL_PREFIX}db_test_strategies`);
    for (const tool of (meta['allowed-tools'] as string[]).filter((t) => t.startsWith('mcp__'))) {
      expect(TOOLS.map((t) => `${PLUGIN_TOOL_PREFIX}${t.name}`)).toContain(tool);
    }
    for (const name of [...body.matchAll(/\bdb_[a-z_]+/g)].map((m) => m[0])) {
      expect(TOOLS.map((t) => t.name)).toContain(name);
    }
    for (const command of cliCommandsIn(body)) expect(CLI_COMMANDS).toContain(command);
  });

  it('reads the arguments from $ARGUMENTS only, so 0- and 1-based $N conventions cannot shift them', async () => {
    const { body } = await frontmatter('commands/vers-db-migration-test.md');
    expect(body).toContain('$ARGUMENTS');
    expect(body).not.toMatch(/\$\d/);
    expect(body).not.toMatch(/\$ARGUMENTS\[/);
  });
});

describe('hooks/hooks.json', () => {
  it('runs the guard bundle before every Bash command', async () => {
    const hooks = await readJson('hooks/hooks.json');
    const command = ['sh "$', '{CLAUDE_PLUGIN_ROOT}/hooks/guard.sh"'].join('');
    expect(hooks.hooks.PreToolUse).toEqual([
      {
        matcher: 'Bash',
        hooks: [expect.objectContaining({ type: 'command', command })],
      },
    ]);
    const build = await readFile(resolve(ROOT, 'scripts/build.mjs'), 'utf8');
    expect(build).toMatch(/guard: 'src\/guard\.ts'/);
    expect(await readFile(resolve(ROOT, 'hooks/guard.sh'), 'utf8')).toContain('/../dist/guard.js');
  });
});
