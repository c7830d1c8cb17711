#!/usr/bin/env bash
# Full sync: rebuild event_totals from every valid event, in one transaction.
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
TRUNCATE event_totals;
INSERT INTO event_totals (user_email, total_cents, events, synced_through)
SELECT lower(user_email), sum(amount_cents::bigint), count(*), max(happened_at)
FROM raw_events
WHERE amount_cents ~ '^[0-9]+$'
GROUP BY lower(user_email);
UPDATE etl_watermark SET last_event = (SELECT max(id) FROM raw_events);
COMMIT;
SQL
