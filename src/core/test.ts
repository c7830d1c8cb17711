import type { Comparison, StrategyResult } from '../result.js';
import type { Context } from './context.js';
import type { TestMigrationInput, TestStrategiesInput } from './types.js';

export async function testMigration(_ctx: Context, _input: TestMigrationInput): Promise<StrategyResult> {
  throw new Error('testMigration: being implemented');
}

export async function testStrategies(_ctx: Context, _input: TestStrategiesInput): Promise<Comparison> {
  throw new Error('testStrategies: being implemented');
}
