/**
 * Server instructions: with tool search on, Claude Code loads only tool names and these at start,
 * so they say when to reach for vers-db and in which order. Kept under 2 KB (Claude Code truncates).
 */
export const INSTRUCTIONS = `vers-db measures what a PostgreSQL migration does before it reaches production.
Use it whenever a migration, schema change, data backfill or ETL job is written or reviewed.

Workflow:
1. db_checkpoint {tag} snapshots the database (DATABASE_URL, or the embedded PostgreSQL 18 that
   vers-db starts by itself when nothing is configured). The tag is the baseline for the next steps.
2. db_migration_test {baseline, migration} runs one migration (.sql file or SQL text; a shell command
   only with kind: "command")
   on a throwaway branch of the checkpoint and measures duration, locks held, how long application
   reads and writes were blocked, table rewrites, bloat and data integrity.
3. db_test_strategies {baseline, migrations: [...]} does that for several alternative strategies
   and recommends the safest with reasons. Prefer it when there is more than one way to do a change.
   db_suggest_variants writes safer rewrites (CONCURRENTLY, NOT VALID, batches); variants: true tests them too.
4. db_compare_branches {branches, comparison_query?} compares branches kept with keep_branch(es):
   row counts, schema differences, a read-only query on each.
5. db_branches {action: list|delete|gc|rollback} manages checkpoints and branches.

The source database and the checkpoint are never changed by tests; branches are removed unless kept.
A migration that fails is a result (status "failed", error, failed_statement), not a tool error.
Report measured numbers to the user: max write/read wait, the lock mode and statement behind it,
rewrites, integrity problems. Long calls send progress and can be cancelled; cancelling removes
the branch. Test results link HTML/markdown/JUnit reports (lock timelines). The CLI twin is \`vers-db\` (checkpoint, test, compare, branches, gc, rollback) and shares
state with this server.`;
