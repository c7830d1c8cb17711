/** The deploy rehearsal of one strategy (issue 15), for the terminal/markdown detail and the HTML report. */
import type { AppWaits, DeployAttempt, DeployRehearsalResult } from '../result.js';
import { escapeHtml as h } from './escape.js';
import { formatMs } from './format.js';

export function deploySummary(d: DeployRehearsalResult): string {
  const verdict = d.got_through ? 'got through' : 'did not get through';
  return (
    `${verdict} in ${formatMs(d.total_ms)}, ${d.attempts.length} tr${d.attempts.length === 1 ? 'y' : 'ies'} ` +
    `(lock_timeout ${formatMs(d.lock_timeout_ms)}, ${d.retries} retries, backoff ${formatMs(d.backoff_ms)}, budget ${formatMs(d.budget_ms)})`
  );
}

export function describeAppWaits(w: AppWaits | null): string {
  if (!w) return 'application waits not measured';
  if (w.waits === 0) return 'the application never waited';
  return (
    `the application waited ${w.waits}× (longest ${formatMs(w.max_wait_ms)}, ${formatMs(w.blocked_ms)} in all` +
    `${w.timeouts ? `, ${w.timeouts} timed out` : ''})`
  );
}

const statements = (a: DeployAttempt) =>
  a.first_statement === a.last_statement
    ? `statement ${a.first_statement}`
    : `statements ${a.first_statement}-${a.last_statement}`;

function attemptLine(a: DeployAttempt): string {
  const outcome =
    a.outcome === 'ok'
      ? 'ok'
      : a.outcome === 'lock_timeout'
        ? `lock timeout at statement ${a.statement}`
        : `error at statement ${a.statement}: ${a.error ?? ''}`;
  const cleanup = (a.cleanup ?? [])
    .map((c) => `; ${c.dropped ? 'dropped' : 'could not drop'} INVALID index ${c.index}`)
    .join('');
  const backoff = a.backoff_ms > 0 ? `; retried after ${formatMs(a.backoff_ms)}` : '';
  return `try ${a.attempt} of ${statements(a)} at ${formatMs(a.start_ms)}: ${outcome} after ${formatMs(a.duration_ms)}; ${describeAppWaits(a.app_waits)}${cleanup}${backoff}`;
}

/** One line: the verdict and the application's waits across all tries. */
export const deployText = (d: DeployRehearsalResult): string =>
  `${deploySummary(d)}; across all tries ${describeAppWaits(d.app_waits)}`;

/** Plain lines (the caller indents and colors the title). */
export function deployLines(d: DeployRehearsalResult): string[] {
  const lines = [deploySummary(d)];
  if (d.reason) lines.push(d.reason);
  for (const a of d.attempts) lines.push(attemptLine(a));
  lines.push(`across all tries: ${describeAppWaits(d.app_waits)}`);
  return lines;
}

export function deployHtml(d: DeployRehearsalResult): string {
  const rows = d.attempts.map((a) => `<li>${h(attemptLine(a))}</li>`).join('');
  return (
    `<details class="deploy"${d.got_through ? '' : ' open'}><summary>Deploy rehearsal: ${h(deploySummary(d))}</summary>` +
    `${d.reason ? `<p class="bad">${h(d.reason)}</p>` : ''}<ul>${rows}</ul>` +
    `<p>Across all tries: ${h(describeAppWaits(d.app_waits))}</p></details>`
  );
}
