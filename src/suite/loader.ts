/**
 * Reads `vers-integration.yaml`: YAML (errors with line and column) → the raw zod schema (errors
 * with the path in the file, unknown keys named, allowed values listed) → meaning (which pattern
 * each suite is, files that must exist relative to the suite file, duplicate branch names,
 * `after:` references, metrics, thresholds). Every problem is collected and thrown as one
 * SuiteFileError, so a user fixes the file in one pass.
 */
import { basename, dirname, resolve } from 'node:path';
import { isMap, isSeq } from 'yaml';
import { parseThreshold, ThresholdSyntaxError } from '../analysis/thresholds.js';
import { engineNameOf } from '../engines/index.js';
import { NotFoundError, SuiteFileError } from '../errors.js';
import { readTextFile } from '../util/text-file.js';
import type { WorkloadInput } from '../workload/index.js';
import { toWorkloadInput } from '../workload/input.js';
import { buildBranch, decidePattern } from './branches.js';
import { suiteDeploy } from './deploy.js';
import { knownMetrics, metricInfo } from './metrics.js';
import { describeZodIssue, type PathPart, Problems, parseYaml } from './problems.js';
import type { SuitePattern } from './result.js';
import {
  type Branch,
  type CheckpointSpec,
  type RawSuite,
  type RawSuiteFile,
  RawSuiteFileSchema,
  type Suite,
  type SuiteFile,
} from './schema.js';

export { DEFAULT_ITERATIONS, DEFAULT_WARMUP } from './branches.js';
export { formatPath } from './problems.js';

export const DEFAULT_SUITE_FILE = 'vers-integration.yaml';
/** A suite file is configuration: a few KB. Anything near this is a mistake (a data file passed by -f). */
export const MAX_SUITE_FILE_BYTES = 4 * 1024 * 1024;

// ---- meaning

const AFTER = /^tests\.([^.[\]]+)\.setup\[(\d+)\]$/;

function buildSuites(raw: RawSuiteFile, dir: string, problems: Problems): Suite[] {
  const suites: Suite[] = [];
  for (const [name, rs] of Object.entries(raw.tests)) {
    const path = ['tests', name];
    const pattern = decidePattern(name, rs, problems);
    const seen = new Map<string, number>();
    rs.branches.forEach((b, i) => {
      const first = seen.get(b.name);
      if (first !== undefined) {
        problems.add(
          [...path, 'branches', i, 'name'],
          `duplicate branch name "${b.name}" (also branches[${first}])`,
        );
      } else seen.set(b.name, i);
    });
    if (!pattern) continue;
    const branches = rs.branches
      .map((b, i) => buildBranch(pattern, rs, b, [...path, 'branches', i], dir, problems))
      .filter((b): b is Branch => b !== null);

    let compare: Suite['compare'] = null;
    if (rs.compare) {
      if (!seen.has(rs.compare.baseline)) {
        problems.add(
          [...path, 'compare', 'baseline'],
          `names no branch of this suite; branches: ${[...seen.keys()].join(', ')}`,
        );
      }
      const thresholds: NonNullable<Suite['compare']>['thresholds'] = [];
      for (const [metric, value] of Object.entries(rs.compare.threshold ?? {})) {
        const tpath = [...path, 'compare', 'threshold', metric];
        const info = metricInfo(pattern, metric);
        if (!info) {
          problems.add(
            tpath,
            `unknown metric "${metric}" for the ${pattern} pattern; known: ${knownMetrics(pattern).join(', ')}`,
          );
          continue;
        }
        if (!branches.every((b) => b.metrics.includes(metric))) {
          const missing = branches.filter((b) => !b.metrics.includes(metric)).map((b) => b.name);
          problems.add(
            tpath,
            `every branch must measure ${metric} for this threshold; missing in: ${missing.join(', ')}`,
          );
        }
        try {
          thresholds.push({ metric, threshold: parseThreshold(value, info.worse, info.unit === 'ms') });
        } catch (err) {
          if (!(err instanceof ThresholdSyntaxError)) throw err;
          problems.add(tpath, err.message);
        }
      }
      compare = { baseline: rs.compare.baseline, thresholds };
    }

    suites.push({
      name,
      pattern,
      description: rs.description ?? null,
      setup: rs.setup ?? [],
      checkpoint: rs.checkpoint ?? `${name}-baseline`,
      checkpointGiven: rs.checkpoint !== undefined,
      parallel: rs.parallel ?? null,
      branches,
      compare,
      workload: suiteWorkload(rs, pattern, dir, path, problems),
      superuser: rs.superuser ?? false,
      deploy: suiteDeploy(rs.deploy, pattern, (m) => problems.add([...path, 'deploy'], m)),
    });
  }
  return suites;
}

/** `workload:` (migrations suites only): the file resolves against the suite file's directory. */
function suiteWorkload(
  rs: RawSuite,
  pattern: SuitePattern,
  dir: string,
  path: PathPart[],
  problems: Problems,
): WorkloadInput | null {
  const input = toWorkloadInput(rs.workload);
  if (!input) return null;
  if (pattern !== 'migrations') {
    problems.add([...path, 'workload'], `a workload runs with migrations suites, not ${pattern}`);
    return null;
  }
  return { ...input, file: resolve(dir, input.file) };
}

function buildCheckpoints(raw: RawSuiteFile, problems: Problems): CheckpointSpec[] {
  const out: CheckpointSpec[] = [];
  const seen = new Map<string, number>();
  (raw.checkpoints ?? []).forEach((c, i) => {
    const path = ['checkpoints', i];
    const first = seen.get(c.name);
    if (first !== undefined)
      problems.add([...path, 'name'], `duplicate checkpoint name "${c.name}" (also checkpoints[${first}])`);
    seen.set(c.name, i);
    const m = AFTER.exec(c.after.trim());
    if (!m) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" is not a reference; expected tests.<suite>.setup[<index>]`,
      );
      return;
    }
    const suite = m[1]!;
    const index = Number(m[2]);
    const rs = raw.tests[suite];
    if (!rs) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" points nowhere: there is no suite "${suite}" (suites: ${Object.keys(raw.tests).join(', ')})`,
      );
      return;
    }
    const n = rs.setup?.length ?? 0;
    if (index >= n) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" points nowhere: tests.${suite}.setup has ${n} command(s)${n > 0 ? ` (setup[0]..setup[${n - 1}])` : ''}`,
      );
      return;
    }
    out.push({ name: c.name, after: { suite, index, raw: c.after.trim() } });
  });
  return out;
}

/** A suite's checkpoint written in the file must be taken somewhere: by its setup, by an `after:`, or exist already. */
function checkSuiteCheckpoints(suites: Suite[], checkpoints: CheckpointSpec[], problems: Problems): void {
  for (const s of suites) {
    const named = checkpoints.find((c) => c.name === s.checkpoint);
    if (named?.after && named.after.suite !== s.name) {
      // Taken during another suite's setup: that suite must run first, which the runner orders.
      continue;
    }
    if (named?.after && named.after.index !== s.setup.length - 1) {
      problems.add(
        ['tests', s.name, 'checkpoint'],
        `"${s.checkpoint}" is taken after ${named.after.raw}, before the rest of this suite's setup; ` +
          'its branches would not see the later setup commands',
      );
    }
  }
}

/** Load, check and resolve a suite file. Throws SuiteFileError listing every problem. */
export async function loadSuiteFile(file: string, cwd = process.cwd()): Promise<SuiteFile> {
  const abs = resolve(cwd, file);
  let text: string;
  try {
    text = await readTextFile(abs, file, MAX_SUITE_FILE_BYTES);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`suite file not found: ${file}`, {
        hint: `looked for ${abs}; pass -f <file> or create ${DEFAULT_SUITE_FILE}`,
      });
    }
    throw err;
  }
  return parseSuiteText(text, abs);
}

/** The same as loadSuiteFile for text already read; `file` is its absolute path. */
export function parseSuiteText(text: string, file: string): SuiteFile {
  const { doc, lines } = parseYaml(text, file);
  const problems = new Problems(doc, lines);
  const contents = doc.toJS() as unknown;
  if (
    contents === null ||
    contents === undefined ||
    (!isMap(doc.contents) && !isSeq(doc.contents) && typeof contents !== 'object')
  ) {
    throw new SuiteFileError(file, ['the file is empty or not a mapping; expected name:, tests: ...']);
  }
  const parsed = RawSuiteFileSchema.safeParse(contents);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) describeZodIssue(issue, problems);
    throw new SuiteFileError(file, problems.list);
  }
  const raw = parsed.data;
  const dir = dirname(file);
  const suites = buildSuites(raw, dir, problems);
  const checkpoints = buildCheckpoints(raw, problems);
  checkSuiteCheckpoints(suites, checkpoints, problems);
  if (problems.list.length > 0) throw new SuiteFileError(file, problems.list);

  const pg = raw.services?.postgres;
  const template = pg?.template ?? null;
  const major = template?.includes('@') ? Number(template.split('@')[1]) : null;
  return {
    file,
    dir,
    name: raw.name ?? basename(file).replace(/\.ya?ml$/i, ''),
    version: raw.version === undefined ? null : String(raw.version),
    engine: raw.engine === undefined ? null : engineNameOf(raw.engine),
    services: {
      template,
      majorVersion: major,
      databases: pg?.config?.databases ?? [],
      extensions: pg?.config?.extensions ?? [],
      settings: Object.fromEntries(
        Object.entries(pg?.config?.settings ?? {}).map(([k, v]) => [k, String(v)]),
      ),
    },
    vm: {
      memoryMib: raw.vm?.memory_mib ?? null,
      vcpu: raw.vm?.vcpu ?? null,
      storageMib: raw.vm?.storage_mib ?? null,
    },
    suites,
    checkpoints,
  };
}
