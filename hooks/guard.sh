#!/bin/sh
# The guard hook's fast path. Most Bash commands cannot apply migrations, and starting Node costs
# more than everything the guard does, so only input that mentions a migration tool, psql or a
# task runner goes on to dist/guard.js (src/guard/hook.ts decides). Anything else: silence, exit 0.
input=$(cat)
case $input in
  *migrat* | *psql* | *upgrade* | *db:* | *liquibase* | *drizzle* | *goose* | *dbmate* | *sqitch* | \
    *supabase* | *npm* | *yarn* | *pnpm* | *bun* | *make* | *rake* | *artisan*)
    printf '%s' "$input" | exec node "$(dirname "$0")/../dist/guard.js"
    ;;
esac
exit 0
