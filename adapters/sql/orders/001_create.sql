-- The order service's database: orders and their items, the outbox, the processed-event table
-- (consumers' dedup by event id) and the log of status changes.
-- Applied inside the schema "orders" (search_path), once, by adapters/pg_schema.cc.
-- Ids collate "C" (byte order, as the fake sorts them); times are integer microseconds of the
-- application's clock; enums are the C++ enumerators' integer values.

CREATE TABLE orders (
  id                     text COLLATE "C" PRIMARY KEY,
  cart_session_id        text NOT NULL,
  checkout_attempt       text NOT NULL,
  customer_id            text NOT NULL,
  subtotal               bigint NOT NULL,
  shipping_fee           bigint NOT NULL,
  discount               bigint NOT NULL,
  points_redeemed        bigint NOT NULL,
  points_value           bigint NOT NULL,
  total                  bigint NOT NULL,
  promo_codes            jsonb NOT NULL,
  payment_method         smallint NOT NULL CHECK (payment_method BETWEEN 0 AND 1),
  authorization_id       text NOT NULL,
  status                 smallint NOT NULL CHECK (status BETWEEN 0 AND 8),
  expiry_at              bigint,
  created_at             bigint NOT NULL,
  version                bigint NOT NULL,
  captured               bigint NOT NULL,
  refunded               bigint NOT NULL,
  reservations_confirmed boolean NOT NULL,
  stock_released         boolean NOT NULL,
  cancelled_at           bigint,
  -- The review's idempotency key of order creation: one order per checkout session.
  CONSTRAINT orders_cart_session_id_key UNIQUE (cart_session_id)
);
CREATE INDEX orders_status ON orders (status, id);

CREATE TABLE order_items (
  order_id       text COLLATE "C" NOT NULL REFERENCES orders (id),
  position       integer NOT NULL,
  sku            text NOT NULL,
  warehouse_id   text NOT NULL,
  quantity       integer NOT NULL,
  unit_price     bigint NOT NULL,
  reservation_id text NOT NULL,
  PRIMARY KEY (order_id, position)
);

CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  event_id        text NOT NULL,
  topic           text NOT NULL,
  subject         text NOT NULL,
  fields          jsonb NOT NULL,
  status          smallint NOT NULL CHECK (status BETWEEN 0 AND 2),
  attempts        integer NOT NULL CHECK (attempts >= 0),
  next_attempt_at bigint NOT NULL,
  created_at      bigint NOT NULL
);
CREATE INDEX outbox_due ON outbox (id) WHERE status = 0;
CREATE INDEX outbox_failed ON outbox (id) WHERE status = 2;

CREATE TABLE processed_events (
  event_id text COLLATE "C" PRIMARY KEY
);

CREATE TABLE order_status_changes (
  seq      bigserial PRIMARY KEY,
  order_id text NOT NULL,
  from_status smallint NOT NULL,
  to_status   smallint NOT NULL,
  at_us    bigint NOT NULL
);
