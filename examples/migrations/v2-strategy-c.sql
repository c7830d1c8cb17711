-- Step 1: Create new table with desired schema
CREATE TABLE users_v2 (
  id UUID PRIMARY KEY,
  email TEXT NOT NULL,
  name TEXT,
  premium_level INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMPTZ DEFAULT NOW()
);

-- Step 2: Copy data
INSERT INTO users_v2 (id, email, name, premium_level, created_at)
SELECT id, email, name, 0, created_at FROM users;

-- Step 3: Swap tables (brief lock)
BEGIN;
ALTER TABLE users RENAME TO users_old;
ALTER TABLE users_v2 RENAME TO users;
COMMIT;

-- Step 4: Create indexes on new table
CREATE INDEX idx_users_premium ON users(premium_level);
CREATE INDEX idx_users_email ON users(email);

-- Step 5: Drop old table (can be deferred)
-- DROP TABLE users_old;
