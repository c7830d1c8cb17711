-- Strategy B on MySQL/MariaDB: add a nullable column, backfill it in batches that commit, then
-- make it NOT NULL.

-- Step 1: add the nullable column (INSTANT).
ALTER TABLE users ADD COLUMN premium_level INT NULL;

-- Step 2: backfill in keyset batches of 10,000 rows by primary key, committing each, so no
-- transaction holds more than one batch's row locks (an UPDATE … WHERE premium_level IS NULL
-- LIMIT n would scan, and under REPEATABLE READ lock, every row it had already filled).
DELIMITER //
CREATE PROCEDURE backfill_premium_level()
BEGIN
  DECLARE last_id CHAR(36) CHARACTER SET ascii DEFAULT '';
  DECLARE next_id CHAR(36) CHARACTER SET ascii;
  batches: LOOP
    SET next_id = NULL;
    SELECT MAX(id) INTO next_id
    FROM (SELECT id FROM users WHERE id > last_id ORDER BY id LIMIT 10000) AS batch;
    IF next_id IS NULL THEN
      LEAVE batches;
    END IF;
    UPDATE users SET premium_level = 0
    WHERE id > last_id AND id <= next_id AND premium_level IS NULL;
    COMMIT;
    SET last_id = next_id;
  END LOOP;
END //
DELIMITER ;

CALL backfill_premium_level();
DROP PROCEDURE backfill_premium_level;

-- Step 3: NOT NULL and the default. MySQL has no NOT VALID constraint to validate later: this
-- rebuilds the table, online (LOCK=NONE: writes go on, with brief metadata-lock phases).
ALTER TABLE users MODIFY premium_level INT NOT NULL DEFAULT 0, ALGORITHM = INPLACE, LOCK = NONE;

-- Step 4: the index, online.
ALTER TABLE users ADD INDEX idx_users_premium (premium_level), ALGORITHM = INPLACE, LOCK = NONE;
