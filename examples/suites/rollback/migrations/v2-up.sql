-- v2: premium level for every user.
ALTER TABLE users ADD COLUMN premium_level INTEGER NOT NULL DEFAULT 0;
CREATE INDEX idx_users_premium ON users (premium_level);
