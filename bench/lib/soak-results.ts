/** The soak's section of bench/RESULTS.md: totals, and per fault kind what was injected and found. */
import { readFile, writeFile } from 'node:fs/promises';
import type { Tally } from './soak-tally.js';

const START = '<!-- soak:start -->';
const END = '<!-- soak:end -->';

export interface SoakSummary extends Tally {
  mode: string;
  seed: number;
  seconds: number;
  total: number;
  versSorts: Record<string, number>;
}

export async function writeResults(file: string, s: SoakSummary): Promise<void> {
  const rows = Object.entries(s.kinds)
    .map(
      ([k, n]) =>
        `| ${k} | ${n.faults} | ${n.leaks} | ${n.lostResults} | ${n.checksumChecks} | ${n.checksumChanges} | ${n.badExits} | ${Math.round(n.seconds)} s |`,
    )
    .join('\n');
  const sorts = Object.entries(s.versSorts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const findings = [...s.leaks, ...s.lostResults, ...s.badExits].map((l) => `- ${l}`).join('\n');
  const block = `${START}
## Fault soak (\`npm run soak${s.mode === 'quick' ? ' -- --quick' : ''}\`, seed ${s.seed})

${s.total} faults in ${s.seconds} s, each at a random point of a running test, then the next command started and
everything checked. **${s.leaks.length} leaks, ${s.lostResults.length} lost results, ${s.checksumChanges} checkpoint
checksum changes** (in ${s.checksumChecks} checks, one after every fault), ${s.badExits.length} unclear exits.

| fault | injected | leaks | lost results | checksum checks | checksum changes | unclear exits | time |
|---|---|---|---|---|---|---|---|
${rows}

A leak is a registry entry, branch database, role, vers-db session, recorded process group, Vers VM or
mount left after the next command started; a lost result is a strategy missing from a run that was not
itself killed. The full disk is a ${'tmpfs'} volume holding the state directory, filled while a test runs; the
server restart stops the PostgreSQL server under a running test (fast shutdown, or immediate — a crash and
recovery — every other time) and starts it again; the vers failures run on the fake vers (${sorts}), where
the checkpoint check is a digest of every file of the checkpoint's commit.
${findings}
${END}`;
  const text = await readFile(file, 'utf8');
  const next = text.includes(START)
    ? text.slice(0, text.indexOf(START)) + block + text.slice(text.indexOf(END) + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}
