import { describe, expect, it } from 'vitest';
import { evaluateThreshold, parseThreshold, ThresholdSyntaxError } from '../../src/analysis/thresholds.js';

describe('parseThreshold', () => {
  it('reads relative changes with and without a sign, in % or absolute units', () => {
    expect(parseThreshold('+10%', 'higher', true)).toEqual({
      kind: 'relative',
      raw: '+10%',
      direction: 'increase',
      amount: 10,
      unit: '%',
    });
    expect(parseThreshold('-5%', 'lower', false)).toMatchObject({
      direction: 'decrease',
      amount: 5,
      unit: '%',
    });
    expect(parseThreshold('10%', 'lower', false)).toMatchObject({ direction: 'decrease' }); // qps: down is worse
    expect(parseThreshold('10%', 'higher', true)).toMatchObject({ direction: 'increase' });
    expect(parseThreshold('+1.5s', 'higher', true)).toMatchObject({ amount: 1500, unit: 'abs' });
    expect(parseThreshold('+20ms', 'higher', true)).toMatchObject({ amount: 20, unit: 'abs' });
    expect(parseThreshold(100, 'lower', false)).toMatchObject({
      kind: 'relative',
      amount: 100,
      direction: 'decrease',
    });
  });

  it('reads absolute limits', () => {
    expect(parseThreshold('<= 50ms', 'higher', true)).toEqual({
      kind: 'limit',
      raw: '<= 50ms',
      op: '<=',
      value: 50,
    });
    expect(parseThreshold('>=0.99', 'lower', false)).toMatchObject({ op: '>=', value: 0.99 });
    expect(parseThreshold('< 2s', 'higher', true)).toMatchObject({ value: 2000 });
  });

  it('rejects what it cannot read, saying which forms it takes', () => {
    for (const bad of ['ten percent', '+5kg', '', '++10%', '%10', '<= 5%']) {
      expect(() => parseThreshold(bad, 'higher', true), bad).toThrow(ThresholdSyntaxError);
    }
    expect(() => parseThreshold('+10ms', 'lower', false)).toThrow(/time unit/);
    expect(() => parseThreshold('x', 'higher', true)).toThrow(/"\+10%"/);
    expect(() => parseThreshold(null, 'higher', true)).toThrow(ThresholdSyntaxError);
  });
});

describe('evaluateThreshold', () => {
  const p99 = parseThreshold('+10%', 'higher', true);

  it('fails when p99 rises more than 10 % over the baseline, and says by how much', () => {
    expect(evaluateThreshold('p99', p99, 10.9, 10, 'ms')).toEqual({
      passed: true,
      detail: 'p99 10.90 ms vs baseline 10.00 ms (+9.0%) is within +10%',
    });
    const bad = evaluateThreshold('p99', p99, 12, 10, 'ms');
    expect(bad.passed).toBe(false);
    expect(bad.detail).toBe('p99 12.00 ms vs baseline 10.00 ms (+20.0%) exceeds +10%');
    expect(evaluateThreshold('p99', p99, 5, 10, 'ms').passed).toBe(true); // faster is fine
  });

  it('judges throughput downwards', () => {
    const qps = parseThreshold('-5%', 'lower', false);
    expect(evaluateThreshold('qps', qps, 940, 1000).passed).toBe(false);
    expect(evaluateThreshold('qps', qps, 960, 1000).passed).toBe(true);
    expect(evaluateThreshold('qps', qps, 2000, 1000).passed).toBe(true);
  });

  it('checks limits without a baseline and fails when a value was not measured', () => {
    const limit = parseThreshold('>= 0.99', 'lower', false);
    expect(evaluateThreshold('data_quality_score', limit, 0.98, null)).toMatchObject({ passed: false });
    expect(evaluateThreshold('data_quality_score', limit, 1, null)).toMatchObject({ passed: true });
    expect(evaluateThreshold('p99', p99, null, 10).passed).toBe(false);
    expect(evaluateThreshold('p99', p99, 10, null).passed).toBe(false);
    expect(evaluateThreshold('p99', p99, 1, 0).passed).toBe(false); // from zero to anything is more than 10 %
    expect(evaluateThreshold('p99', p99, 0, 0).passed).toBe(true);
  });
});
