-- What the application's order history page runs.
SELECT id, total_cents, created_at FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 10;
SELECT count(*), sum(total_cents) FROM orders WHERE customer_id = 1234 AND created_at >= timestamptz '2024-03-01';
SELECT c.name, o.total_cents FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id = 777 ORDER BY o.created_at DESC LIMIT 5;
