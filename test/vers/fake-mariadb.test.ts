/**
 * The fake vers's VMs before MariaDB is installed in them: apt-get installs only MariaDB's
 * packages (anything else is refused, as nothing is really installed), there is no mariadb
 * service yet, and the VM's client does not reach this machine's own server.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeVersWorld, fakeVers, fakeVersWorld } from './fake-env.js';

let world: FakeVersWorld;
let vm: string;

beforeAll(async () => {
  world = await fakeVersWorld();
  const r = await fakeVers(world, ['run', '--wait', '--format', 'json']);
  expect(r.exitCode, r.stderr).toBe(0);
  vm = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).vm_id;
});

afterAll(async () => {
  await world?.teardown();
});

const inVm = (script: string) => fakeVers(world, ['exec', '-t', '60', '--', vm, 'bash', '-c', script]);

it('apt-get: update works, other packages are refused with apt-get’s exit code 100', async () => {
  expect((await inVm('apt-get update -qq')).exitCode).toBe(0);
  const other = await inVm('apt-get install -y -qq postgresql-17');
  expect(other.exitCode).toBe(100);
  expect(other.stderr).toContain('only mariadb-server can be installed');
});

it('before MariaDB is installed there is no service and no server to reach', async () => {
  const service = await inVm('service mariadb start');
  expect(service.exitCode).toBe(1);
  expect(service.stderr).toContain('mariadb: unrecognized service');
  const client = await inVm('mariadb -N -B -e "SELECT 1"');
  expect(client.exitCode).not.toBe(0);
  expect(world.vmIds()).toEqual([vm]);
});
