-- The checkout service's database: carts, the outbox, failed compensations.
-- Applied inside the schema "checkout" (search_path), once, by adapters/pg_schema.cc.
-- Ids collate "C" so that "by id" is byte order, as the in-memory fake sorts them.
-- Times are integer microseconds of the application's clock (core/time.h); enums are the
-- C++ enumerators' integer values, range-checked here.

CREATE TABLE carts (
  id                   text COLLATE "C" PRIMARY KEY,
  session_id           text NOT NULL,
  customer_id          text NOT NULL,
  guest                boolean NOT NULL,
  items                jsonb NOT NULL,
  version              bigint NOT NULL CHECK (version >= 1),
  status               smallint NOT NULL CHECK (status BETWEEN 0 AND 3),
  created_at           bigint NOT NULL,
  updated_at           bigint NOT NULL,
  expires_at           bigint NOT NULL,
  checkout_started_at  bigint NOT NULL,
  order_id             text NOT NULL,
  checkout_promo_codes jsonb NOT NULL
);
CREATE INDEX carts_status_updated ON carts (status, updated_at);

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

CREATE TABLE failed_compensations (
  id              bigserial PRIMARY KEY,
  kind            smallint NOT NULL CHECK (kind BETWEEN 0 AND 6),
  subject         text NOT NULL,
  fields          jsonb NOT NULL,
  attempts        integer NOT NULL,
  max_attempts    integer NOT NULL,
  next_attempt_at bigint NOT NULL,
  alert_sent      boolean NOT NULL,
  status          smallint NOT NULL CHECK (status BETWEEN 0 AND 2)
);
CREATE INDEX failed_compensations_pending ON failed_compensations (id) WHERE status = 0;
