-- The example shop's own statements, run by `vers-db demo` (and `vers-db test --workload
-- examples/workload/app.sql`) before, during and after each migration strategy.
-- Sign-ups commit, so after the migration every one of them must still be in `users`.
-- About 200 sign-ups a second: one every ~5 ms.
-- @rate 400
-- @concurrency 8
-- @baseline 2000
-- @after 1000
-- @timeout 30000

-- @name sign-up
-- @commit
-- @weight 2
-- @param $1 fresh uuid
-- @param $2 fresh text signup-{n}@example.com
INSERT INTO users (id, email, name) VALUES ($1, $2, 'New customer') RETURNING id;

-- @name profile
-- @param $1 key users
SELECT id, email, name FROM users WHERE id = $1;

-- @name order-history
-- @param $1 key orders(customer_id)
SELECT id, total_cents, status FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 20;

-- @name rename
-- @param $1 key users
UPDATE users SET name = 'Renamed customer' WHERE id = $1;
