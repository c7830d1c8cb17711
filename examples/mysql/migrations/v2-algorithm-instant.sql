-- The same change as v2-algorithm-copy.sql, INSTANT: only the table's metadata changes. The
-- statement fails rather than falling back to a slower algorithm when INSTANT is not possible.
-- It still takes an exclusive metadata lock for a moment (see `vers-db demo --long-reader`).
ALTER TABLE users ADD COLUMN premium_level INT NOT NULL DEFAULT 0, ALGORITHM = INSTANT;
