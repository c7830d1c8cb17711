-- Strategy C on MySQL/MariaDB: build a new table, copy the rows, and swap the names.

-- Step 1: the new table with the desired schema.
CREATE TABLE users_v2 (
  id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(255),
  premium_level INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE = InnoDB;

-- Step 2: copy the data. Under REPEATABLE READ, InnoDB takes shared locks on every row it reads
-- for INSERT … SELECT: writes to users wait until this statement ends. Rows written after it are
-- not copied.
INSERT INTO users_v2 (id, email, name, premium_level, created_at)
SELECT id, email, name, 0, created_at FROM users;

-- Step 3: swap the tables. RENAME TABLE renames both in one atomic step (a brief exclusive
-- metadata lock on both). The foreign key of orders follows the old table to users_old, as it
-- does on PostgreSQL.
RENAME TABLE users TO users_old, users_v2 TO users;

-- Step 4: the indexes on the new table.
CREATE INDEX idx_users_premium ON users (premium_level);
CREATE UNIQUE INDEX idx_users_email ON users (email);

-- Step 5: drop the old table (can be deferred; orders still references it).
-- DROP TABLE users_old;
