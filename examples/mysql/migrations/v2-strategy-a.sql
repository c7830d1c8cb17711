-- Strategy A on MySQL/MariaDB: add the column with its default in one statement.
-- On MariaDB 10.3+ and MySQL 8.0 this is INSTANT (a metadata change, no row is touched), but it
-- still needs an exclusive metadata lock for a moment: behind a long transaction that read users,
-- it waits, and every statement on users queues behind it (`vers-db demo --long-reader`).
ALTER TABLE users ADD COLUMN premium_level INT NOT NULL DEFAULT 0;

-- Add the index online (MySQL's answer to CREATE INDEX CONCURRENTLY): reads and writes go on
-- while it builds, apart from brief metadata-lock phases at its start and end.
ALTER TABLE users ADD INDEX idx_users_premium (premium_level), ALGORITHM = INPLACE, LOCK = NONE;
