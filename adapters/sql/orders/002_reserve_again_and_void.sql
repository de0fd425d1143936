-- SIM-15 and SIM-16, fixed: an order records that a lapsed item is being reserved again (so a
-- cancellation looks for the new reservation by its reference) and that its hold was voided (so
-- PaymentCompensationWorker does not spend its batch voiding it again).
ALTER TABLE orders
  ADD COLUMN reserving_again boolean NOT NULL DEFAULT false,
  ADD COLUMN hold_voided boolean NOT NULL DEFAULT false;
