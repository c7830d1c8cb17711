-- Production-like data for mysql/schema/v1.sql, generated on the server (no rows cross the wire).
-- Row count: the user variable @vers_db_rows (users; orders are twice as many), default 100000,
-- at most 1,000,000,000.
--   mariadb --init-command='SET @vers_db_rows = 500000' mydb < seeds/generate.sql
-- `vers-db demo --engine mysql --rows N` sets it for you.
--
-- The numbers 1..N come from three copies of a 1000-row recursive CTE (within the default
-- recursion limit of both MySQL and MariaDB), each level bounded before the next is joined, so the
-- server enumerates about N combinations, not 10^9.
SET @vers_db_n = COALESCE(@vers_db_rows, 100000);

-- The rows reference each other by construction: no foreign-key check per order row.
SET foreign_key_checks = 0;

INSERT INTO users (id, email, name, created_at)
WITH RECURSIVE k (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 999)
SELECT UUID(),
       CONCAT('user', g, '@example.com'),
       CONCAT('User ', g),
       NOW(6) - INTERVAL (g % 1000) DAY
FROM (
  SELECT c.n * 1000000 + b.n * 1000 + a.n + 1 AS g
  FROM k AS c
  JOIN k AS b ON c.n * 1000 + b.n <= (@vers_db_n - 1) DIV 1000
  JOIN k AS a ON c.n * 1000000 + b.n * 1000 + a.n < @vers_db_n
  WHERE c.n <= (@vers_db_n - 1) DIV 1000000
) AS numbers;

INSERT INTO orders (customer_id, total_cents, status, created_at)
SELECT u.id,
       FLOOR(RAND() * 100000),
       ELT(1 + (t.n % 3), 'paid', 'shipped', 'refunded'),
       u.created_at + INTERVAL t.n HOUR
FROM users AS u CROSS JOIN (SELECT 1 AS n UNION ALL SELECT 2) AS t;

SET foreign_key_checks = 1;

ANALYZE TABLE users, orders;
