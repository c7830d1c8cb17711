#!/usr/bin/env bash
# v2 is in place: every user has a premium level, and the index exists.
set -euo pipefail
missing=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users WHERE premium_level IS NULL")
index=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'idx_users_premium'")
echo "users without premium_level: $missing; idx_users_premium present: $index"
[ "$missing" = 0 ] && [ "$index" = 1 ]
