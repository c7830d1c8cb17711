/**
 * The lock timeline picture (inline SVG): one lane per (relation, lock mode) the migration held,
 * one lane per (relation, read/write) where the application's probes waited, statement starts as
 * ticks. Positions come from the result's own timestamps (timeline.locks, timeline.waits,
 * statements[].start_ms); nothing is interpolated.
 */
import type { LockEvent, ProbeWait, StrategyResult } from '../result.js';
import { LOCK_MODES, modeStrength } from '../util/lock-modes.js';
import { escapeHtml } from './escape.js';
import { formatMs } from './format.js';

export const MODE_COLORS: Record<string, string> = {
  AccessExclusiveLock: '#d7263d',
  ExclusiveLock: '#f46036',
  ShareRowExclusiveLock: '#f49d37',
  ShareLock: '#e0b400',
  ShareUpdateExclusiveLock: '#b5a642',
  RowExclusiveLock: '#2a9d8f',
  RowShareLock: '#4f8fc0',
  AccessShareLock: '#8ab6d6',
};
const OTHER_MODE_COLOR = '#888888';
export const WAIT_COLORS = { read: '#6c3fc5', write: '#c03fa0' } as const;

const WIDTH = 1100;
const LABEL_W = 300;
const PLOT_W = WIDTH - LABEL_W - 20;
const LANE_H = 22;
const TICK_ROWS = 3;
const LABEL_GAP = 22;
const TOP = 14 + TICK_ROWS * 12;
const AXIS_H = 26;

/** Strongest first, so the lanes that matter most sit on top; unknown modes last. */
function modeRank(mode: string): number {
  const strength = modeStrength(mode);
  return strength < 0 ? LOCK_MODES.length : LOCK_MODES.length - 1 - strength;
}

/** 1-2-5 steps giving about six ticks over the span. */
function tickStep(span: number): number {
  const raw = span / 6;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

interface Lane {
  label: string;
  kind: 'lock' | 'read' | 'write';
  locks: LockEvent[];
  waits: ProbeWait[];
}

/** The events to draw: the raw timeline when recorded, else the per-lock summary (start + held). */
function lockEvents(r: StrategyResult): LockEvent[] {
  if (r.timeline) return r.timeline.locks;
  return r.locks.map((l) => ({
    relation: l.relation,
    mode: l.mode,
    granted: true,
    start_ms: l.start_ms,
    end_ms: l.start_ms + l.held_ms,
    statement: l.statement,
  }));
}

function lanesOf(r: StrategyResult): Lane[] {
  const locks = new Map<string, Lane>();
  for (const e of lockEvents(r)) {
    const key = `${e.relation}\u0000${e.mode}`;
    let lane = locks.get(key);
    if (!lane) {
      lane = { label: `${e.relation} · ${e.mode}`, kind: 'lock', locks: [], waits: [] };
      locks.set(key, lane);
    }
    lane.locks.push(e);
  }
  const sortedLocks = [...locks.entries()]
    .sort(([a], [b]) => {
      const [ra = '', ma = ''] = a.split('\u0000');
      const [rb = '', mb = ''] = b.split('\u0000');
      return ra.localeCompare(rb) || modeRank(ma) - modeRank(mb);
    })
    .map(([, lane]) => lane);
  const waits = new Map<string, Lane>();
  for (const w of r.timeline?.waits ?? []) {
    const key = `${w.relation}\u0000${w.kind}`;
    let lane = waits.get(key);
    if (!lane) {
      lane = {
        label: `${w.relation} · app ${w.kind === 'read' ? 'reads' : 'writes'} waited`,
        kind: w.kind,
        locks: [],
        waits: [],
      };
      waits.set(key, lane);
    }
    lane.waits.push(w);
  }
  const sortedWaits = [...waits.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, lane]) => lane);
  return [...sortedLocks, ...sortedWaits];
}

/** The time span the picture covers: the migration's duration or the last event, whichever is later. */
function spanOf(r: StrategyResult, lanes: Lane[]): number {
  let end = r.duration_ms;
  for (const lane of lanes) {
    for (const e of lane.locks) end = Math.max(end, e.end_ms);
    for (const w of lane.waits) end = Math.max(end, w.start_ms + w.wait_ms);
  }
  for (const s of r.statements) if (s.start_ms !== undefined) end = Math.max(end, s.start_ms);
  return Math.max(end, 1);
}

export function renderLockTimeline(r: StrategyResult): string {
  const lanes = lanesOf(r);
  if (lanes.length === 0) {
    return '<p class="empty timeline-empty">No locks on user relations were seen and no probe waited.</p>';
  }
  const span = spanOf(r, lanes);
  const x = (ms: number) => LABEL_W + (Math.max(0, ms) / span) * PLOT_W;
  const height = TOP + lanes.length * LANE_H + AXIS_H;
  const out: string[] = [];
  const title = `Lock timeline of ${r.name}`;
  out.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`,
  );
  out.push(`<title>${escapeHtml(title)}</title>`);

  // Lanes with their labels.
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H;
    out.push(
      `<rect class="lane lane-${lane.kind}" x="${LABEL_W}" y="${y}" width="${PLOT_W}" height="${LANE_H}" fill="${i % 2 ? '#f6f7f9' : '#ffffff'}"/>`,
    );
    out.push(
      `<text class="lane-label" x="${LABEL_W - 8}" y="${y + LANE_H / 2 + 4}" text-anchor="end" font-size="12">${escapeHtml(lane.label)}</text>`,
    );
  });

  // Time axis.
  const axisY = TOP + lanes.length * LANE_H;
  const step = tickStep(span);
  out.push(`<line x1="${LABEL_W}" y1="${axisY}" x2="${LABEL_W + PLOT_W}" y2="${axisY}" stroke="#444"/>`);
  for (let t = 0; t <= span + 1e-9; t += step) {
    const tx = fmt(x(t));
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + 5}" stroke="#444"/>`);
    out.push(
      `<text class="axis" x="${tx}" y="${axisY + 18}" text-anchor="middle" font-size="11">${formatMs(t)}</text>`,
    );
  }

  // Statement starts: a dashed tick across all lanes with the statement's index on top; labels
  // of statements that start close together go to the next row up instead of overprinting.
  const rowEnds: number[] = [];
  for (const s of r.statements) {
    if (s.start_ms === undefined) continue;
    const px = x(s.start_ms);
    let row = rowEnds.findIndex((end) => px - end >= LABEL_GAP);
    if (row < 0) row = rowEnds.length < TICK_ROWS ? rowEnds.length : TICK_ROWS - 1;
    rowEnds[row] = px;
    const sx = fmt(px);
    const ly = TOP - 8 - row * 12;
    out.push(
      `<g class="statement-tick"><title>${escapeHtml(`statement ${s.index} starts at ${formatMs(s.start_ms)} (ran ${formatMs(s.duration_ms)})`)}</title>` +
        `<line x1="${sx}" y1="${ly + 2}" x2="${sx}" y2="${axisY}" stroke="#333" stroke-dasharray="3 3" stroke-width="1"/>` +
        `<text x="${sx}" y="${ly}" text-anchor="middle" font-size="11" font-weight="bold">#${s.index}</text></g>`,
    );
  }

  // Lock intervals (granted: solid; requested but not yet granted: hatched outline).
  lanes.forEach((lane, i) => {
    const y = TOP + i * LANE_H + 4;
    for (const e of lane.locks) {
      const x1 = x(e.start_ms);
      const w = Math.max(2, x(e.end_ms) - x1);
      const color = MODE_COLORS[e.mode] ?? OTHER_MODE_COLOR;
      const tip = `${e.mode} on ${e.relation} ${e.granted ? 'held' : 'awaited'} from ${formatMs(e.start_ms)} to ${formatMs(
        e.end_ms,
      )}${e.statement === null ? '' : `, statement ${e.statement}`}`;
      const style = e.granted
        ? `fill="${color}"`
        : `fill="none" stroke="${color}" stroke-width="2" stroke-dasharray="4 2"`;
      out.push(
        `<rect class="lock ${e.granted ? 'granted' : 'awaited'}" x="${fmt(x1)}" y="${y}" width="${fmt(w)}" height="${LANE_H - 8}" ${style}><title>${escapeHtml(tip)}</title></rect>`,
      );
    }
    for (const wt of lane.waits) {
      const x1 = x(wt.start_ms);
      const w = Math.max(2, x(wt.start_ms + wt.wait_ms) - x1);
      const color = WAIT_COLORS[wt.kind];
      const tip = `an application ${wt.kind} on ${wt.relation} waited ${formatMs(wt.wait_ms)} from ${formatMs(wt.start_ms)}${
        wt.timed_out ? ' and timed out' : ''
      }`;
      const extra = wt.timed_out ? ' stroke="#000" stroke-width="1.5" stroke-dasharray="2 2"' : '';
      out.push(
        `<rect class="wait wait-${wt.kind}${wt.timed_out ? ' timed-out' : ''}" x="${fmt(x1)}" y="${y + 2}" width="${fmt(w)}" height="${LANE_H - 12}" fill="${color}" fill-opacity="0.8"${extra}><title>${escapeHtml(tip)}</title></rect>`,
      );
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Legend for the colors used in a set of strategies. */
export function renderLegend(results: readonly StrategyResult[]): string {
  const modes = new Set<string>();
  let waits = false;
  for (const r of results) {
    for (const e of lockEvents(r)) modes.add(e.mode);
    if ((r.timeline?.waits.length ?? 0) > 0) waits = true;
  }
  const items = [...modes]
    .sort((a, b) => modeRank(a) - modeRank(b))
    .map((m) => [m, MODE_COLORS[m] ?? OTHER_MODE_COLOR] as const);
  if (waits) items.push(['app read waited', WAIT_COLORS.read], ['app write waited', WAIT_COLORS.write]);
  if (items.length === 0) return '';
  return `<ul class="legend">${items
    .map(
      ([label, color]) =>
        `<li><span class="swatch" style="background:${color}"></span>${escapeHtml(label)}</li>`,
    )
    .join('')}</ul>`;
}
