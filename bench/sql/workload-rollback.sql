-- bench/workload-overhead.ts: the example application (examples/workload/app.sql) with every write rolled back, so all three
-- strategies pass and their migration times compare with and without it.
-- @rate 400
-- @concurrency 8
-- @baseline 2000
-- @after 1000
-- @timeout 30000

-- @name sign-up
-- (rolled back here: the bench measures cost, not lost writes)
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
