-- v1: users and their orders, a few thousand rows.
CREATE TABLE users (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id),
  total_cents INTEGER NOT NULL
);
INSERT INTO users (email, name, created_at)
SELECT format('user%s@example.com', g), format('User %s', g), timestamptz '2024-01-01' + g * interval '1 minute'
FROM generate_series(1, 5000) AS g;
INSERT INTO orders (user_id, total_cents) SELECT 1 + (g % 5000), 100 + g % 900 FROM generate_series(1, 10000) AS g;
