-- The change of strategy A with the algorithm forced to COPY: the server builds a new copy of
-- users row by row. Reads go on; writes to users wait for the whole copy (MySQL's pre-5.6
-- behaviour, and what a change no INPLACE/INSTANT algorithm supports still does).
ALTER TABLE users ADD COLUMN premium_level INT NOT NULL DEFAULT 0, ALGORITHM = COPY;
