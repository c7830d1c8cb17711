/**
 * The Backend contract (DESIGN.md "Backends"), run against every backend: what a user of
 * checkpoint/branch/exec/connect/rollback/destroy/gc notices, with real data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BranchConnection } from '../../src/backends/backend.js';
import {
  branchTaken,
  checkpointTaken,
  stillHasBranches,
  unknownBranch,
} from '../../src/backends/messages.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../src/errors.js';
import type { Registry } from '../../src/state/registry.js';
import { withClient } from '../../src/util/pg.js';
import { deadPid } from '../vers/fake-env.js';

export interface ContractHarness {
  backend: Backend;
  registry: Registry;
  /** Run SQL on the source database (seed it, change it after a checkpoint). */
  sourceSql(sql: string): Promise<Record<string, unknown>[]>;
  /** Open the working copy a rollback returned. */
  connectTarget(target: string): Promise<BranchConnection>;
  /** Leave what a vers-db killed mid-branch leaves: a registry entry in 'creating' and a real copy. */
  simulateCrash(checkpoint: string, branch: string): Promise<void>;
  /** Copies the backend holds that nothing in the registry accounts for (must be none after gc). */
  leftovers(): Promise<string[]>;
  teardown(): Promise<void>;
}

const SEED_SQL = `
  CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
  INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g;`;

async function query(conn: BranchConnection, sql: string): Promise<Record<string, unknown>[]> {
  try {
    return await withClient(conn.config, async (c) => (await c.query(sql)).rows);
  } finally {
    await conn.close();
  }
}

const count = async (conn: BranchConnection) =>
  Number((await query(conn, 'SELECT count(*) AS n FROM items'))[0]!.n);

export function backendContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`Backend contract: ${name}`, () => {
    let h: ContractHarness;
    let b: Backend;

    beforeAll(async () => {
      h = await setup();
      b = h.backend;
      await h.sourceSql(SEED_SQL);
    });

    afterAll(async () => {
      await h?.teardown();
    });

    it('checkpoint records the source under a tag, and refuses a taken or malformed tag', async () => {
      const info = await b.checkpoint('base');
      expect(info).toMatchObject({ tag: 'base', backend: b.kind });
      expect(info.id).not.toBe('');
      expect((await h.registry.checkpoint('base'))?.state).toBe('ready');
      await expect(b.checkpoint('base')).rejects.toBeInstanceOf(ConflictError);
      await expect(b.checkpoint('no spaces')).rejects.toBeInstanceOf(InvalidInputError);
    });

    it('a taken tag is refused with the same message and hint on every backend', async () => {
      const err = await b.checkpoint('base').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({
        message: checkpointTaken('base').message,
        hint: checkpointTaken('base').hint,
      });
      expect((err as ConflictError).hint).toMatch(/pick another tag/);
      // The refused call left the checkpoint as it was.
      expect((await h.registry.checkpoint('base'))?.state).toBe('ready');
    });

    it('a checkpoint of a database that does not exist is refused the same way, leaving nothing', async () => {
      const err = await b.checkpoint('ghost', { database: 'no_such_db' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect((err as Error).message).toMatch(/^database "no_such_db" does not exist at /);
      expect(await h.registry.checkpoint('ghost')).toBeUndefined();
    });

    it('malformed or repeated branch names are refused before anything is recorded', async () => {
      await expect(b.branch('base', ['dup', 'dup'])).rejects.toBeInstanceOf(InvalidInputError);
      await expect(b.branch('base', ['no spaces'])).rejects.toBeInstanceOf(InvalidInputError);
      expect(await h.registry.branch('dup')).toBeUndefined();
    });

    it('declares what it can do instead of its kind', () => {
      const c = b.capabilities;
      expect(typeof c.batchBranching).toBe('boolean');
      expect(
        c.defaultParallel === 'all' || (Number.isInteger(c.defaultParallel) && c.defaultParallel >= 1),
      ).toBe(true);
      expect(['roles', 'vm']).toContain(c.isolation);
      expect(typeof c.appliesServerSettings).toBe('boolean');
    });

    it('branch makes one full copy per name in one call', async () => {
      const made = await b.branch('base', ['one', 'two', 'three']);
      expect(made.map((x) => x.name)).toEqual(['one', 'two', 'three']);
      expect(new Set(made.map((x) => x.id)).size).toBe(3);
      for (const m of made) {
        expect(m.checkpoint).toBe('base');
        expect((await h.registry.branch(m.name))?.state).toBe('ready');
      }
      const counts = await Promise.all(made.map(async (m) => count(await b.connect(m.name))));
      expect(counts).toEqual([100, 100, 100]);
      await expect(b.branch('no-such-checkpoint', ['x'])).rejects.toBeInstanceOf(NotFoundError);
      await expect(b.branch('base', ['one'])).rejects.toBeInstanceOf(ConflictError);
    });

    it('a taken branch name is refused with the same message and hint on every backend', async () => {
      const err = await b.branch('base', ['fresh-name', 'one']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err).toMatchObject({ message: branchTaken('one').message, hint: branchTaken('one').hint });
      expect(await h.registry.branch('fresh-name')).toBeUndefined();
      expect((await h.registry.branch('one'))?.state).toBe('ready');
    });

    it('unknown checkpoints and branches fail with the same errors and hints everywhere', async () => {
      for (const call of [
        () => b.branch('nope', ['x']),
        () => b.rollback('nope'),
        () => b.deleteCheckpoint('nope'),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as Error).message).toBe('no checkpoint named "nope"');
        expect((err as NotFoundError).hint).toBe('known checkpoints: base');
      }
      expect(await h.registry.branch('x')).toBeUndefined();
      for (const call of [() => b.connect('nope'), () => b.exec('nope', 'true')]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err).toMatchObject({
          message: unknownBranch('nope').message,
          hint: unknownBranch('nope').hint,
        });
      }
    });

    it('a branch still being created cannot be used yet, on every backend', async () => {
      const ready = (await h.registry.branch('three'))!;
      // Another (live) process has reserved it and is still making it.
      await h.registry.update((d) => {
        d.branches['in-the-making'] = { ...ready, name: 'in-the-making', id: '', state: 'creating' };
      });
      try {
        for (const call of [
          () => b.connect('in-the-making'),
          () => b.connect('in-the-making', { as: 'reader' }),
          () => b.exec('in-the-making', 'true'),
        ]) {
          const err = await call().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(ConflictError);
          expect((err as Error).message).toBe('branch "in-the-making" is still being created');
        }
      } finally {
        await h.registry.update((d) => {
          delete d.branches['in-the-making'];
        });
      }
    });

    it('branches are isolated from each other and from the source', async () => {
      await query(
        await b.connect('one'),
        'DELETE FROM items WHERE id <= 60; ALTER TABLE items ADD COLUMN extra int',
      );
      await h.sourceSql(`INSERT INTO items SELECT g, 'late ' || g FROM generate_series(101, 110) g`);
      expect(await count(await b.connect('one'))).toBe(40);
      expect(await count(await b.connect('two'))).toBe(100);
      const columns = await query(
        await b.connect('two'),
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position`,
      );
      expect(columns.map((r) => r.column_name)).toEqual(['id', 'label']);
      expect(Number((await h.sourceSql('SELECT count(*) AS n FROM items'))[0]!.n)).toBe(110);
    });

    it('several branch calls and commands run at once without stepping on each other', async () => {
      const [p1, p2] = await Promise.all([b.branch('base', ['par-1']), b.branch('base', ['par-2'])]);
      expect(p1![0]!.id).not.toBe(p2![0]!.id);
      const results = await Promise.all(
        ['par-1', 'par-2', 'two'].map((n, i) =>
          b.exec(n, `psql -XtAc "DELETE FROM items WHERE id <= ${10 * (i + 1)}; SELECT count(*) FROM items"`),
        ),
      );
      expect(results.map((r) => r.stdout.trim().split('\n').at(-1))).toEqual(['90', '80', '70']);
      await Promise.all([b.destroy('par-1'), b.destroy('par-2')]);
      expect(await h.registry.branch('par-1')).toBeUndefined();
    });

    it("exec runs a shell command against the branch's database, with its exit code, env and stdin", async () => {
      const r = await b.exec(
        'two',
        'psql -XtAc "SELECT count(*) FROM items"; echo "db=$PGDATABASE"; test -n "$DATABASE_URL"',
      );
      expect(r.exitCode).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['70', `db=${(await h.registry.branch('two'))!.database}`]);
      expect((await b.exec('one', 'psql -XtAc "SELECT count(*) FROM items"')).stdout.trim()).toBe('40');

      const failed = await b.exec('two', 'echo partial; echo oops >&2; exit 3');
      expect(failed).toMatchObject({ exitCode: 3, stdout: 'partial' });
      expect(failed.stderr).toContain('oops');

      const tricky = `it's "quoted" $HOME; rm -rf /nothing \`x\``;
      const env = await b.exec('two', 'printf %s "$TRICKY"', { env: { TRICKY: tricky } });
      expect(env.stdout).toBe(tricky);
      const stdin = await b.exec('two', 'wc -l', { stdin: 'a\nb\nc\n' });
      expect(stdin.stdout.trim()).toBe('3');
    });

    it('a reader connection reads the branch and cannot change it', async () => {
      expect(await count(await b.connect('two', { as: 'reader' }))).toBe(70);
      for (const write of [
        'DELETE FROM items',
        'INSERT INTO items VALUES (1000, $$x$$)',
        'CREATE TABLE sneaky (id int)',
        'ALTER TABLE items ADD COLUMN sneaky int',
      ]) {
        await expect(query(await b.connect('two', { as: 'reader' }), write)).rejects.toThrow();
      }
      expect(await count(await b.connect('two'))).toBe(70);
      const owner = await b.connect('two');
      const reader = await b.connect('two', { as: 'reader' });
      expect(reader.config.user).not.toBe(owner.config.user);
      await Promise.all([owner.close(), reader.close()]);
    });

    it('source databases are made, rebuilt and dropped through the backend', async () => {
      const name = `contract_scratch_${Math.random().toString(36).slice(2, 8)}`;
      const db = b.sourceDatabase(name);
      expect(await db.exists()).toBe(false);
      await db.ensure({ comment: 'made by the contract test' });
      await db.ensure();
      expect(await db.exists()).toBe(true);
      await db.reset();
      expect(await db.exists()).toBe(true);
      await db.drop();
      await db.drop();
      expect(await db.exists()).toBe(false);
    });

    it('rollback makes a fresh copy of the checkpoint and replaces the previous one', async () => {
      const first = await b.rollback('base');
      expect(first.tag).toBe('base');
      expect(await count(await h.connectTarget(first.target))).toBe(100);
      await query(await h.connectTarget(first.target), 'DELETE FROM items');
      const second = await b.rollback('base');
      expect(second.removed).not.toBeNull();
      expect(await count(await h.connectTarget(second.target))).toBe(100);
      // The source keeps its own changes: rollback never touches it.
      expect(Number((await h.sourceSql('SELECT count(*) AS n FROM items'))[0]!.n)).toBe(110);
      await expect(b.rollback('no-such-checkpoint')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('destroy removes a branch and is idempotent', async () => {
      await b.destroy('one');
      await b.destroy('one');
      expect(await h.registry.branch('one')).toBeUndefined();
      await expect(b.connect('one')).rejects.toBeInstanceOf(NotFoundError);
      expect(await count(await b.connect('two'))).toBe(70);
    });

    it('gc applies the same rules on every backend: kept branches and live creators are left alone', async () => {
      await b.branch('base', ['kept'], { keep: true });
      const dead = await deadPid();
      await h.registry.update((d) => {
        d.branches.kept!.pid = dead;
        d.branches['live-making'] = { ...d.branches.three!, name: 'live-making', id: '', state: 'creating' };
        d.branches['live-making'].pid = process.ppid; // alive, and not this process
      });
      try {
        const report = await b.gc();
        expect(report.errors).toEqual([]);
        expect(report.kept).toEqual(
          expect.arrayContaining(['branch kept', 'branch live-making', 'branch two']),
        );
        expect(report.removed.join('\n')).not.toMatch(/kept|live-making/);
        expect((await h.registry.branch('kept'))?.state).toBe('ready');
        expect(await count(await b.connect('kept'))).toBe(100);
      } finally {
        await h.registry.update((d) => {
          delete d.branches['live-making'];
        });
        await b.destroy('kept');
      }
    });

    it('gc after a crash removes the half-made branch and its copy, and keeps live ones', async () => {
      await h.simulateCrash('base', 'crashed');
      expect((await h.leftovers()).length).toBeGreaterThan(0);
      const report = await b.gc();
      expect(report.errors).toEqual([]);
      expect(report.removed.join('\n')).toContain('crashed');
      expect(await h.registry.branch('crashed')).toBeUndefined();
      expect(await h.leftovers()).toEqual([]);
      // Branches of a live process and ready checkpoints stay.
      expect((await h.registry.branch('two'))?.state).toBe('ready');
      expect(await count(await b.connect('two'))).toBe(70);
    });

    it('deleteCheckpoint refuses while branches exist, and removes everything with force', async () => {
      const refused = await b.deleteCheckpoint('base').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as Error).message).toBe('checkpoint "base" still has branches: two, three');
      expect((refused as ConflictError).hint).toBe(stillHasBranches('base', []).hint);
      expect((await h.registry.checkpoint('base'))?.state).toBe('ready');
      await b.deleteCheckpoint('base', { force: true });
      expect(await h.registry.checkpoint('base')).toBeUndefined();
      expect(await h.registry.listBranches(b.kind)).toEqual([]);
      expect(await h.leftovers()).toEqual([]);
    });
  });
}
