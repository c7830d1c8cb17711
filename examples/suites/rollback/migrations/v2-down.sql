-- back to v1: drop what v2 added, in reverse order.
DROP INDEX idx_users_premium;
ALTER TABLE users DROP COLUMN premium_level;
