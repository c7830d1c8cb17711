/**
 * `--junit FILE`: a <testsuite> per comparison, a <testcase> per branch. A failed migration, a
 * failed validation, an integrity problem or a failed suite check (threshold, rollback
 * expectation) makes the testcase fail; all its reasons go into one <failure>, because several
 * <failure> elements per testcase break some CI readers.
 */
import type { Comparison, StrategyResult } from '../result.js';
import type { SuiteCheck, SuiteRunResult } from '../suite/result.js';
import { integrityProblems } from './format.js';
import { sandboxNotes } from './sandbox-notes.js';
import { renderStrategyResult } from './table.js';

export interface JUnitSuiteInput {
  name: string;
  comparison: Comparison;
  /** Suite checks; those with a branch attach to its testcase, the others to a "suite checks" testcase. */
  checks?: readonly SuiteCheck[];
}

interface Failure {
  type: string;
  message: string;
}

// XML 1.0 forbids most control characters even when escaped; drop them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to remove
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function failuresOf(r: StrategyResult, checks: readonly SuiteCheck[]): Failure[] {
  const out: Failure[] = [];
  if (r.status === 'failed') {
    const where = r.failed_statement ? ` at statement ${r.failed_statement}` : '';
    out.push({ type: 'migration', message: `migration failed${where}: ${r.error ?? 'unknown error'}` });
  }
  if (r.validation?.status === 'failed') {
    const last = r.validation.output.trim().split('\n').slice(-1)[0] ?? '';
    out.push({ type: 'validation', message: `validation failed${last ? `: ${last}` : ''}` });
  }
  for (const p of integrityProblems(r)) out.push({ type: 'integrity', message: `integrity: ${p}` });
  for (const ch of checks) if (!ch.passed) out.push({ type: ch.check, message: `${ch.check}: ${ch.detail}` });
  return out;
}

function testcase(
  classname: string,
  name: string,
  timeMs: number,
  failures: Failure[],
  systemOut: string,
): string {
  const lines = [
    `    <testcase classname="${escapeXml(classname)}" name="${escapeXml(name)}" time="${seconds(timeMs)}">`,
  ];
  if (failures.length > 0) {
    const first = failures[0]!;
    const type = failures.length === 1 ? first.type : failures.map((f) => f.type).join(',');
    lines.push(
      `      <failure message="${escapeXml(first.message)}" type="${escapeXml(type)}">${escapeXml(
        failures.map((f) => f.message).join('\n'),
      )}</failure>`,
    );
  }
  if (systemOut) lines.push(`      <system-out>${escapeXml(systemOut)}</system-out>`);
  lines.push('    </testcase>');
  return lines.join('\n');
}

function testsuite(input: JUnitSuiteInput): { xml: string; tests: number; failures: number; timeMs: number } {
  const { comparison: c } = input;
  const checks = input.checks ?? [];
  const classname = `vers-db.${input.name}`;
  const cases: string[] = [];
  let failures = 0;
  let timeMs = 0;
  for (const r of c.results) {
    const f = failuresOf(
      r,
      checks.filter((ch) => ch.branch === r.name),
    );
    if (f.length > 0) failures += 1;
    timeMs += r.duration_ms;
    const notes = sandboxNotes([r]); // ran as superuser, statements reaching outside the branch
    const out = [...notes, renderStrategyResult(r)].join('\n');
    cases.push(testcase(classname, r.name, r.duration_ms, f, out));
  }
  const suiteWide = checks.filter((ch) => ch.branch === null || !c.results.some((r) => r.name === ch.branch));
  if (suiteWide.length > 0) {
    const f = suiteWide
      .filter((ch) => !ch.passed)
      .map((ch) => ({ type: ch.check, message: `${ch.check}: ${ch.detail}` }));
    if (f.length > 0) failures += 1;
    const out = suiteWide.map((ch) => `${ch.passed ? 'ok  ' : 'FAIL'} ${ch.check}: ${ch.detail}`).join('\n');
    cases.push(testcase(classname, 'suite checks', 0, f, out));
  }
  const props = [
    ['baseline', c.baseline],
    ['backend', c.backend],
    ...(c.engine ? [['engine', c.engine]] : []),
    ['mode', c.mode ?? 'unknown'],
    ['recommendation', c.recommendation?.name ?? 'none'],
  ]
    .map(([k, v]) => `      <property name="${escapeXml(k!)}" value="${escapeXml(v!)}"/>`)
    .join('\n');
  const xml = [
    `  <testsuite name="${escapeXml(input.name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(timeMs)}">`,
    `    <properties>\n${props}\n    </properties>`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
  return { xml, tests: cases.length, failures, timeMs };
}

export function renderJUnit(suites: readonly JUnitSuiteInput[], name = 'vers-db'): string {
  const rendered = suites.map(testsuite);
  const tests = rendered.reduce((n, s) => n + s.tests, 0);
  const failures = rendered.reduce((n, s) => n + s.failures, 0);
  const timeMs = rendered.reduce((n, s) => n + s.timeMs, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(name)}" tests="${tests}" failures="${failures}" errors="0" time="${seconds(timeMs)}">`,
    ...rendered.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

export function renderSuiteJUnit(run: SuiteRunResult): string {
  return renderJUnit(
    run.suites.map((s) => ({ name: s.name, comparison: s.comparison, checks: s.checks })),
    `vers-db ${run.file}`,
  );
}
