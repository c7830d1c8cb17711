/**
 * The parts of a branch comparison every engine fills the same way: the row-count table (the
 * checkpoint's column, then one per branch over the union of relations), each branch's schema
 * differences (marked when it came from another checkpoint), and the query results. An engine's
 * comparison only reads its branches and hands the readings over.
 */
import type { BranchComparison } from '../result.js';
import type { BranchEntry } from '../state/registry.js';
import type { CompareInput } from './types.js';

export type QueryResult = BranchComparison['query_results'][string];

/** A comparison query's result on a branch where it failed: no rows, and the server's code and message. */
export function failedQueryResult(err: unknown): QueryResult {
  const e = err as { code?: string; message: string };
  return {
    columns: [],
    rows: [],
    row_count: 0,
    truncated: false,
    error: `${e.code ?? 'error'} ${e.message}`,
  };
}

export class ComparisonBuilder {
  private readonly rowCounts: BranchComparison['row_counts'] = {};
  private readonly schemaDifferences: BranchComparison['schema_differences'] = {};
  readonly queryResults: BranchComparison['query_results'] = {};

  constructor(
    private readonly reference: string,
    private readonly checkpointCounts: Record<string, number>,
  ) {
    for (const [rel, n] of Object.entries(checkpointCounts)) this.put(rel, `checkpoint:${reference}`, n);
  }

  private put(relation: string, column: string, value: number | null): void {
    this.rowCounts[relation] ??= {};
    this.rowCounts[relation][column] = value;
  }

  /** One branch's exact row counts and schema differences against the checkpoint. */
  addBranch(b: BranchEntry, counts: Record<string, number>, diff: string[]): void {
    for (const rel of new Set([...Object.keys(this.checkpointCounts), ...Object.keys(counts)]))
      this.put(rel, b.name, counts[rel] ?? null);
    this.schemaDifferences[b.name] =
      b.checkpoint === this.reference
        ? diff
        : [`(branch of ${b.checkpoint}, not ${this.reference})`, ...diff];
  }

  build(input: CompareInput): BranchComparison {
    return {
      branches: input.branches,
      reference: this.reference,
      query: input.query ?? null,
      query_results: this.queryResults,
      row_counts: this.rowCounts,
      schema_differences: this.schemaDifferences,
    };
  }
}
