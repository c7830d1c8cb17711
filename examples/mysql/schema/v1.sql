-- The seed example's schema (use-case.md) for MySQL 8 / MariaDB 10.11: users, and orders that
-- reference them. The same tables as examples/schema/v1.sql, in MySQL's types:
--   UUID          -> CHAR(36) in ASCII (UUID() gives the text form on both servers)
--   TEXT          -> VARCHAR(255) (indexable)
--   TIMESTAMPTZ   -> DATETIME(6) (MySQL's TIMESTAMP ends in 2038)
--   IDENTITY      -> AUTO_INCREMENT
CREATE TABLE users (
  id CHAR(36) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  email VARCHAR(255) NOT NULL,
  name VARCHAR(255),
  created_at DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
  UNIQUE KEY users_email_key (email)
) ENGINE = InnoDB;

CREATE TABLE orders (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id CHAR(36) CHARACTER SET ascii NOT NULL,
  total_cents INT NOT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'paid',
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  KEY orders_customer_id_idx (customer_id),
  CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES users (id)
) ENGINE = InnoDB;
