-- Step 1: Add nullable column (instant)
ALTER TABLE users ADD COLUMN premium_level INTEGER;

-- Step 2: Backfill in batches (no lock)
DO $$
DECLARE
  batch_size INTEGER := 10000;
  total_rows INTEGER;
  offset_val INTEGER := 0;
BEGIN
  SELECT COUNT(*) INTO total_rows FROM users WHERE premium_level IS NULL;

  WHILE offset_val < total_rows LOOP
    UPDATE users
    SET premium_level = 0
    WHERE id IN (
      SELECT id FROM users
      WHERE premium_level IS NULL
      ORDER BY id
      LIMIT batch_size
    );
    offset_val := offset_val + batch_size;
    COMMIT;
  END LOOP;
END $$;

-- Step 3: Add constraint (brief lock)
ALTER TABLE users
ALTER COLUMN premium_level SET NOT NULL,
ALTER COLUMN premium_level SET DEFAULT 0;

-- Step 4: Add index
CREATE INDEX CONCURRENTLY idx_users_premium ON users(premium_level);
