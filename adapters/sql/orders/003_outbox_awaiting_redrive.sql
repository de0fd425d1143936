-- SIM-32, fixed: a compensation row the bus took waits in status 3 (awaiting_redrive) until the
-- DLQ retry has redriven it without the bus; the retry reads such rows by id when they are due.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status BETWEEN 0 AND 3);
CREATE INDEX outbox_redrive ON outbox (id) WHERE status = 3;
