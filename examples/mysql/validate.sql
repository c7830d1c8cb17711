-- Validation after any v2 migration (MariaDB 10.1+: a compound statement outside a stored
-- program). Fails with SQLSTATE 45000 if users.premium_level is missing or nullable, if a row
-- is not premium level 0, or if users or orders lost rows. Set the expected counts first,
-- e.g.  mariadb --init-command='SET @expected_users = 100000, @expected_orders = 200000' app < validate.sql
-- (unset: the counts are not checked).
DELIMITER //
BEGIN NOT ATOMIC
  DECLARE n BIGINT;
  IF NOT EXISTS (
    SELECT 1 FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'premium_level'
      AND IS_NULLABLE = 'NO'
  ) THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'users.premium_level is missing or nullable';
  END IF;
  SELECT COUNT(*) INTO n FROM users WHERE premium_level <> 0;
  IF n > 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'users.premium_level is not 0 everywhere';
  END IF;
  SELECT COUNT(*) INTO n FROM users;
  IF @expected_users IS NOT NULL AND n <> @expected_users THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'users lost or gained rows';
  END IF;
  SELECT COUNT(*) INTO n FROM orders;
  IF @expected_orders IS NOT NULL AND n <> @expected_orders THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'orders lost or gained rows';
  END IF;
END //
DELIMITER ;
SELECT 'validation passed' AS verdict;
