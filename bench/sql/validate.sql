-- The one validation both sides of the end-to-end benchmark run after a migration (psql -f,
-- with -v expected_users=N -v expected_orders=M): the v2 column exists, is NOT NULL and indexed,
-- and no row was lost. Exit status 0 means passed.
\set ON_ERROR_STOP 1
SET bench.expected_users = :'expected_users';
SET bench.expected_orders = :'expected_orders';
DO $$
DECLARE
  n bigint;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = 'users' AND column_name = 'premium_level' AND is_nullable = 'NO'
  ) THEN
    RAISE EXCEPTION 'users.premium_level is missing or nullable';
  END IF;
  IF NOT EXISTS (
    SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE c.relname = 'idx_users_premium' AND i.indisvalid
  ) THEN
    RAISE EXCEPTION 'index idx_users_premium is missing or invalid';
  END IF;
  SELECT count(*) INTO n FROM users;
  IF n <> current_setting('bench.expected_users')::bigint THEN
    RAISE EXCEPTION 'users has % rows, expected %', n, current_setting('bench.expected_users');
  END IF;
  SELECT count(*) INTO n FROM orders;
  IF n <> current_setting('bench.expected_orders')::bigint THEN
    RAISE EXCEPTION 'orders has % rows, expected %', n, current_setting('bench.expected_orders');
  END IF;
END $$;
SELECT 'validation passed' AS verdict;
