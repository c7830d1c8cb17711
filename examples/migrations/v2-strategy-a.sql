-- Fast but locks table for duration
ALTER TABLE users
ADD COLUMN premium_level INTEGER DEFAULT 0 NOT NULL;

-- Add index
CREATE INDEX CONCURRENTLY idx_users_premium ON users(premium_level);
