/**
 * Thresholds of a suite's `compare.threshold` (`p99: "+10%"`), parsed once at load time and
 * evaluated against the baseline branch's measured value.
 *
 *   "+10%"  fail if the value rises more than 10 % above the baseline
 *   "-5%"   fail if it falls more than 5 % below it (throughput, quality)
 *   "+20ms" / "+1.5s" / "+100"   the same with an absolute difference
 *   "10%"   no sign: the metric's own bad direction (up for latency, down for qps)
 *   "<= 50ms", "< 2s", ">= 0.99", "> 1000"   an absolute limit, no baseline needed
 */
export type Threshold =
  | { kind: 'relative'; raw: string; direction: 'increase' | 'decrease'; amount: number; unit: '%' | 'abs' }
  | { kind: 'limit'; raw: string; op: '<' | '<=' | '>' | '>='; value: number };

export class ThresholdSyntaxError extends Error {}

const RELATIVE = /^([+-]?)\s*(\d+(?:\.\d+)?)\s*(%|ms|s|min)?$/;
const LIMIT = /^(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(%|ms|s|min)?$/;
const TO_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };

export const THRESHOLD_FORMS = '"+10%", "-5%", "+20ms", "+1.5s", "<= 50ms", ">= 0.99"';

/**
 * Parse one threshold. `worse` is the metric's bad direction, used when no sign is given;
 * `timeUnit` says whether ms/s suffixes make sense for the metric.
 */
export function parseThreshold(input: unknown, worse: 'higher' | 'lower', timeUnit: boolean): Threshold {
  if (typeof input === 'number') input = String(input);
  if (typeof input !== 'string') throw new ThresholdSyntaxError(`expected a string like ${THRESHOLD_FORMS}`);
  const raw = input.trim();
  const unitOk = (unit: string | undefined) => {
    if (unit && unit !== '%' && !timeUnit) {
      throw new ThresholdSyntaxError(`"${raw}": "${unit}" is a time unit, but this metric is not a time`);
    }
  };
  const limit = LIMIT.exec(raw);
  if (limit) {
    const [, op, num, unit] = limit;
    if (unit === '%') throw new ThresholdSyntaxError(`"${raw}": a limit is a value, not a percentage`);
    unitOk(unit);
    return {
      kind: 'limit',
      raw,
      op: op as '<' | '<=' | '>' | '>=',
      value: Number(num) * (unit ? (TO_MS[unit] ?? 1) : 1),
    };
  }
  const rel = RELATIVE.exec(raw);
  if (!rel) throw new ThresholdSyntaxError(`"${raw}" is not a threshold; use one of ${THRESHOLD_FORMS}`);
  const [, sign, num, unit] = rel;
  unitOk(unit);
  const direction =
    sign === '+' ? 'increase' : sign === '-' ? 'decrease' : worse === 'higher' ? 'increase' : 'decrease';
  const amount = Number(num) * (unit && unit !== '%' ? (TO_MS[unit] ?? 1) : 1);
  return { kind: 'relative', raw, direction, amount, unit: unit === '%' ? '%' : 'abs' };
}

export interface ThresholdVerdict {
  passed: boolean;
  /** The numbers behind the verdict in plain words. */
  detail: string;
}

function show(n: number, unit: string): string {
  const rounded = Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
  return unit === 'ms' ? `${rounded} ms` : rounded;
}

/**
 * Judge `value` against the threshold. Relative thresholds need the baseline's value; a missing
 * value (the metric could not be measured) fails, because a gate that cannot see must not pass.
 */
export function evaluateThreshold(
  metric: string,
  t: Threshold,
  value: number | null | undefined,
  baseline: number | null | undefined,
  unit = '',
): ThresholdVerdict {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return { passed: false, detail: `${metric} was not measured, so threshold ${t.raw} cannot be checked` };
  }
  if (t.kind === 'limit') {
    const ok =
      t.op === '<'
        ? value < t.value
        : t.op === '<='
          ? value <= t.value
          : t.op === '>'
            ? value > t.value
            : value >= t.value;
    return {
      passed: ok,
      detail: `${metric} ${show(value, unit)} ${ok ? 'is within' : 'breaks'} the limit ${t.op} ${show(t.value, unit)}`,
    };
  }
  if (baseline === null || baseline === undefined || Number.isNaN(baseline)) {
    return {
      passed: false,
      detail: `the baseline's ${metric} was not measured, so threshold ${t.raw} cannot be checked`,
    };
  }
  const delta = value - baseline;
  const change =
    t.unit === '%'
      ? baseline === 0
        ? delta === 0
          ? 0
          : Number.POSITIVE_INFINITY * Math.sign(delta)
        : (delta / baseline) * 100
      : delta;
  const bad = t.direction === 'increase' ? change > t.amount : -change > t.amount;
  const changeText =
    t.unit === '%'
      ? Number.isFinite(change)
        ? `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`
        : 'from zero'
      : `${delta >= 0 ? '+' : ''}${show(delta, unit)}`;
  return {
    passed: !bad,
    detail: `${metric} ${show(value, unit)} vs baseline ${show(baseline, unit)} (${changeText}) ${bad ? 'exceeds' : 'is within'} ${t.raw}`,
  };
}
