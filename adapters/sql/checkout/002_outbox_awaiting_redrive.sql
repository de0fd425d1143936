-- The outbox port's fourth status (SIM-32, fixed: a compensation row awaiting the DLQ retry's
-- redrive). The checkout service writes no such row; the table accepts the status as the order
-- service's does, so one contract holds both.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status BETWEEN 0 AND 3);
CREATE INDEX outbox_redrive ON outbox (id) WHERE status = 3;
