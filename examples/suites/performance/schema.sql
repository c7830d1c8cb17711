-- 2,000 customers and 200,000 orders; no index on orders.customer_id yet. Big enough that a scan
-- (about 10 ms) is far above scheduling noise, so p99 compares plans, not hiccups.
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  total_cents INTEGER NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
INSERT INTO customers SELECT g, format('Customer %s', g) FROM generate_series(1, 2000) AS g;
INSERT INTO orders (customer_id, total_cents, created_at)
SELECT 1 + (g * 7919) % 2000, 100 + g % 5000, timestamptz '2024-01-01' + g * interval '5 minutes'
FROM generate_series(1, 200000) AS g;
ANALYZE;
