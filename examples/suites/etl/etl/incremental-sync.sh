#!/usr/bin/env bash
# Incremental sync: upsert the events after the watermark in batches of 4,000, then print the
# quality score (share of source events reflected in the totals) for vers-db to read.
set -euo pipefail
while :; do
  moved=$(psql -X -q -tA -v ON_ERROR_STOP=1 <<'SQL'
WITH batch AS (
  SELECT * FROM raw_events
  WHERE id > (SELECT last_event FROM etl_watermark)
  ORDER BY id LIMIT 4000
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
psql -X -q -tA -v ON_ERROR_STOP=1 -c \
  "SELECT 'data_quality_score=' || round(coalesce(sum(events), 0)::numeric / (SELECT count(*) FROM raw_events), 4) FROM event_totals"
