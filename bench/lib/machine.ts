/** The machine a run happened on, for the head of RESULTS.md. */
import { cpus, loadavg, totalmem } from 'node:os';
import { execa } from 'execa';
import { supportsReflinks } from '../../src/backends/local-clone.js';

export interface MachineInfo {
  date: string;
  cores: number;
  cpuModel: string;
  memory: string;
  filesystem: string;
  reflinks: boolean;
  node: string;
  servers: string[];
  clientTools: string;
  loadStart: string;
  loadEnd: string;
  underLoad: string;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function filesystemOf(dir: string): Promise<string> {
  const r = await execa('df', ['--output=fstype,source', dir], { reject: false });
  const line = String(r.stdout).trim().split('\n')[1]?.trim().split(/\s+/);
  return line ? `${line[0]} (${line[1]}, ${dir})` : `unknown (${dir})`;
}

export async function describeMachine(dataDir: string): Promise<MachineInfo> {
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GB`,
    filesystem: await filesystemOf(dataDir),
    reflinks: await supportsReflinks(dataDir),
    node: process.version,
    servers: [],
    clientTools: '—',
    loadStart: load(),
    loadEnd: '',
    underLoad: '',
  };
}

/** Other processes' CPU use during the run (the machine is shared): sampled from /proc/loadavg. */
export function finishMachine(m: MachineInfo, ownBusyCores: number): void {
  m.loadEnd = load();
  const start = Number(m.loadStart.split(' ')[0]);
  const heavy = start > m.cores * 0.5;
  m.underLoad = heavy
    ? `yes: the 1-minute load average was ${start.toFixed(2)} on ${m.cores} cores before the bench started (other engineers' tests); timings are noisier than on a quiet machine`
    : `no: 1-minute load average ${start.toFixed(2)} on ${m.cores} cores before the bench started (the bench itself uses up to ${ownBusyCores})`;
}
