/**
 * Issue 10, part 5 (secrets): `registry.json` (holding the VM password) was 0644 in a 0755
 * directory, and a validation command that echoed DATABASE_URL put the password into the JSON,
 * HTML, JUnit and markdown reports. State files are now 0600 in a 0700 directory, and every
 * known secret is redacted from command output, logs and every report format.
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from '../src/mcp/create-server.js';
import { redact } from '../src/util/secrets.js';
import { cli } from './helpers/cli.js';
import { createProject, type TestProject } from './helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 200) g;`;

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('secrets', () => {
  let p: TestProject;
  let password: string;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await chmod(p.dir, 0o755); // as root, shell steps run as an unprivileged user that must enter it
    password = decodeURIComponent(new URL(p.databaseUrl).password);
    expect(password.length).toBeGreaterThanOrEqual(8);
    const r = await cli(['checkpoint', 'base'], p.env, p.dir);
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('state files are 0600 in a 0700 directory', async () => {
    const home = p.env.VERS_DB_HOME!;
    expect(await modeOf(home)).toBe(0o700);
    expect(await modeOf(join(home, 'registry.json'))).toBe(0o600);
    expect(await modeOf(join(home, '.gitignore'))).toBe(0o600);
    expect(await modeOf(join(home, 'checkpoints'))).toBe(0o700);
    expect(await modeOf(join(home, 'checkpoints', 'base.json'))).toBe(0o600);
  });

  it('a state directory left open by an older version is closed on the next command', async () => {
    const home = join(p.dir, 'old-state');
    await mkdir(home, { mode: 0o755 });
    await chmod(home, 0o755);
    const registry = JSON.stringify({
      version: 1,
      instance: 'abc123',
      checkpoints: {},
      branches: {},
      vms: {},
      settings: { 'vers.pgPassword': 'f'.repeat(32) },
    });
    await writeFile(join(home, 'registry.json'), registry, { mode: 0o644 });
    const r = await cli(['branches', '--json'], { ...p.env, VERS_DB_HOME: home }, p.dir);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await modeOf(home)).toBe(0o700);
    expect(await modeOf(join(home, 'registry.json'))).toBe(0o600);
  });

  it('as root, the embedded cluster stays reachable by its postgres user and nothing else is readable', async () => {
    const home = inject('pgStateDir');
    const mode = await modeOf(home);
    expect(process.getuid?.() === 0 ? [0o711, 0o700] : [0o700]).toContain(mode);
    expect(await modeOf(join(home, 'embedded.json'))).toBe(0o600);
  });

  it('a validation that echoes DATABASE_URL leaks the password into no output and no report', async () => {
    await p.file('add.sql', 'ALTER TABLE users ADD COLUMN n int;\n');
    const validate = 'echo "url=$DATABASE_URL pw=$PGPASSWORD"; exit 1';
    const files = ['r.html', 'r.md', 'r.xml'].map((f) => join(p.dir, f));
    const json = await cli(
      [
        'test',
        'base',
        'add.sql',
        '--validate',
        validate,
        '--json',
        '--report',
        files[0]!,
        '--markdown',
        files[1]!,
        '--junit',
        files[2]!,
      ],
      p.env,
      p.dir,
    );
    expect(json.exitCode, json.stderr).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.results[0].validation.output).toMatch(
      /url=postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1:\d+\/\S+ pw=\*\*\*/,
    );
    const table = await cli(['test', 'base', 'add.sql', '--validate', validate], p.env, p.dir);
    expect(table.exitCode).toBe(1);
    const outputs = [json.stdout, json.stderr, table.stdout, table.stderr];
    for (const f of files) outputs.push(await readFile(f, 'utf8'));
    for (const [i, text] of outputs.entries()) expect(text.includes(password), `output ${i}`).toBe(false);
    expect((await readFile(files[2]!, 'utf8')).includes('***')).toBe(true);
  });

  it('a command step that prints the password fails with its output redacted', async () => {
    const r = await cli(
      ['test', 'base', '--kind', 'command', 'echo "$PGPASSWORD" >&2; exit 3', '--json'],
      p.env,
      p.dir,
    );
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stdout).results[0].error).toMatch(/^command exited with code 3: [\s\S]*\*\*\*$/);
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('MCP results and errors carry no password', async () => {
    const { server, close } = createServer(p.ctx);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test', version: '0' });
    await Promise.all([client.connect(clientSide), server.connect(serverSide)]);
    try {
      const r = await client.callTool({
        name: 'db_migration_test',
        arguments: { baseline: 'base', migration: 'add.sql', validation: 'echo "$DATABASE_URL"; exit 1' },
      });
      expect(JSON.stringify(r)).toContain(':***@');
      expect(JSON.stringify(r)).not.toContain(password);
    } finally {
      await client.close();
      await close();
    }
  });

  it('redacts URL passwords, PASSWORD= values and registered secrets, and leaves plain words alone', () => {
    expect(redact('postgres://app:s3cr%40t@db.example:5432/app?sslmode=require')).toBe(
      'postgres://app:***@db.example:5432/app?sslmode=require',
    );
    expect(redact('PGPASSWORD=hunter2 VERS_API_KEY="vk-123" password=abc')).toBe(
      'PGPASSWORD=*** VERS_API_KEY="***" password=***',
    );
    expect(redact(`the password is ${password}.`)).toBe('the password is ***.');
    expect(redact('user postgres on database postgres')).toBe('user postgres on database postgres');
    // SQL in a report stays as written.
    expect(redact("UPDATE users SET password = 'x' WHERE id = 1")).toBe(
      "UPDATE users SET password = 'x' WHERE id = 1",
    );
  });
});
