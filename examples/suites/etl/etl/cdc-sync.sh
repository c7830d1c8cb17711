#!/usr/bin/env bash
# Change data capture: apply changes in batches of 5,000, but only those at least 10 minutes old,
# as a consumer that trails its replication slot would. What is left behind shows up as lag_time.
set -euo pipefail
while :; do
  moved=$(psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
WITH batch AS (
  SELECT * FROM raw_events
  WHERE id > (SELECT last_event FROM etl_watermark)
    AND happened_at <= (SELECT max(happened_at) FROM raw_events) - interval '10 minutes'
  ORDER BY id LIMIT 5000
), totals AS (
  SELECT lower(user_email) AS user_email, sum(amount_cents::bigint) AS total_cents, count(*) AS events,
         max(happened_at) AS synced_through
  FROM batch WHERE amount_cents ~ '^[0-9]+$' GROUP BY lower(user_email)
), upsert AS (
  INSERT INTO event_totals AS t (user_email, total_cents, events, synced_through)
  SELECT * FROM totals
  ON CONFLICT (user_email) DO UPDATE
    SET total_cents = t.total_cents + excluded.total_cents, events = t.events + excluded.events,
        synced_through = greatest(t.synced_through, excluded.synced_through)
  RETURNING 1
)
UPDATE etl_watermark SET last_event = coalesce((SELECT max(id) FROM batch), last_event)
RETURNING (SELECT count(*) FROM batch);
SQL
)
  [ "$moved" -gt 0 ] || break
done
