/** What each part of the benchmark hands back, and the RESULTS.md it becomes. */
import { writeFile } from 'node:fs/promises';
import type { MachineInfo } from './machine.js';

export interface Table {
  head: string[];
  rows: string[][];
}

export interface Section {
  title: string;
  intro: string[];
  tables: Table[];
  notes: string[];
}

export interface Target {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (say why in `why`). */
  met: boolean | null;
  why: string;
}

export interface PartResult {
  section: Section;
  targets: Target[];
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  const lines = [`| ${t.head.map(cell).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function verdict(t: Target): string {
  if (t.met === null) return 'not measured';
  return t.met ? '**met**' : '**missed**';
}

export function renderResults(
  machine: MachineInfo,
  mode: string,
  parts: PartResult[],
  failures: string[],
): string {
  const out: string[] = [];
  out.push('# vers-db benchmark results', '');
  out.push(
    `Written by \`npm run bench${mode === 'quick' ? ' -- --quick' : ''}\` (bench/run.ts). Every ratio compares two`,
    'things measured side by side in the same run, on the same machine and the same generated data',
    '(examples/schema/v1.sql + examples/seeds/generate.sql). Absolute times depend on the machine; the ratios are the result.',
    '',
  );
  out.push('## Machine', '');
  out.push(
    markdownTable({
      head: ['', ''],
      rows: [
        ['date', machine.date],
        ['mode', mode],
        ['CPU', `${machine.cores} cores (${machine.cpuModel})`],
        ['memory', machine.memory],
        ['data directory filesystem', machine.filesystem],
        ['reflinks on that filesystem', machine.reflinks ? 'yes' : 'no (cp --reflink=always fails)'],
        ['Node.js', machine.node],
        ['PostgreSQL servers', machine.servers.join('; ') || '—'],
        ['pg_dump / pg_restore', machine.clientTools],
        ['load average at start / end', `${machine.loadStart} / ${machine.loadEnd}`],
        ['under load?', machine.underLoad],
      ],
    }),
    '',
  );
  out.push('## Targets', '');
  out.push(
    markdownTable({
      head: ['target', 'goal', 'measured', 'verdict', 'why / what would meet it'],
      rows: parts.flatMap((p) => p.targets).map((t) => [t.name, t.target, t.measured, verdict(t), t.why]),
    }),
    '',
  );
  if (failures.length > 0) {
    out.push('## Parts that did not complete', '', ...failures.map((f) => `- ${f}`), '');
  }
  for (const p of parts) {
    out.push(`## ${p.section.title}`, '');
    if (p.section.intro.length) out.push(p.section.intro.join('\n'), '');
    for (const t of p.section.tables) out.push(markdownTable(t), '');
    if (p.section.notes.length) out.push(...p.section.notes.map((n) => `- ${n}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export async function writeResults(path: string, text: string): Promise<void> {
  await writeFile(path, text);
}
