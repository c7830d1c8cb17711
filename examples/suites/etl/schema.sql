-- Source data: 20,000 raw events, 2 % of them with an amount that is not a number.
CREATE TABLE raw_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_email TEXT NOT NULL,
  amount_cents TEXT NOT NULL,
  happened_at TIMESTAMPTZ NOT NULL
);
INSERT INTO raw_events (user_email, amount_cents, happened_at)
SELECT format('User%s@Example.com', g % 500),
       CASE WHEN g % 50 = 0 THEN 'n/a' ELSE (100 + g % 900)::text END,
       timestamptz '2024-01-01' + g * interval '1 second'
FROM generate_series(1, 20000) AS g;

-- Target: one row per user.
CREATE TABLE event_totals (
  user_email TEXT PRIMARY KEY,
  total_cents BIGINT NOT NULL,
  events INTEGER NOT NULL,
  synced_through TIMESTAMPTZ NOT NULL
);
CREATE TABLE etl_watermark (id BOOLEAN PRIMARY KEY DEFAULT true CHECK (id), last_event BIGINT NOT NULL);
INSERT INTO etl_watermark (last_event) VALUES (0);
