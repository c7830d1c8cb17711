#!/usr/bin/env bash
# v1 again: the column is gone and every user and order is still there.
set -euo pipefail
column=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'premium_level'")
users=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM users")
orders=$(psql -X -tA -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM orders")
echo "premium_level columns: $column; users: $users; orders: $orders"
[ "$column" = 0 ] && [ "$users" = 5000 ] && [ "$orders" = 10000 ]
