-- Production-like data for schema/v1.sql, generated on the server.
-- Row count: the custom setting vers_db.rows (users; orders are twice as many), default 100000.
--   PGOPTIONS='-c vers_db.rows=500000' psql -f seeds/generate.sql
-- `vers-db demo --rows N` sets it for you.
INSERT INTO users (id, email, name, created_at)
SELECT gen_random_uuid(),
       'user' || g || '@example.com',
       'User ' || g,
       now() - (g % 1000) * interval '1 day'
FROM generate_series(1, coalesce(nullif(current_setting('vers_db.rows', true), '')::int, 100000)) AS g;

INSERT INTO orders (customer_id, total_cents, status, created_at)
SELECT u.id, (random() * 100000)::int, (ARRAY['paid', 'shipped', 'refunded'])[1 + (n % 3)], u.created_at + n * interval '1 hour'
FROM users u CROSS JOIN generate_series(1, 2) AS n;

ANALYZE users;
ANALYZE orders;
