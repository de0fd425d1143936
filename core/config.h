#pragma once
// One config for both services. The embedded default (DefaultConfig) carries the review's values;
// LoadConfigJson overlays a JSON document on it and rejects unknown keys and wrong types by name.

#include <cstdint>
#include <string>

#include "core/money.h"
#include "core/status.h"
#include "core/time.h"

namespace csim {

struct CheckoutConfig {
  std::int64_t idempotency_lock_minutes = 15;         // lock per cart session + version
  std::int64_t idempotency_result_hours = 24;         // the saga's remembered result
  std::int32_t max_promotion_codes = 5;               // MaxPromotionCodesPerOrder
  std::int64_t reservation_payment_ttl_minutes = 15;  // ReservationPaymentTTL constant (M-03)
  std::int64_t auto_cancel_minutes = 30;              // checkout session
  std::int64_t cart_expiry_user_hours = 24;
  std::int64_t cart_expiry_guest_hours = 1;
  std::string default_country = "VN";  // config said "US" as reviewed (M-01)
  std::int64_t cart_cleanup_interval_seconds = 300;
  std::int64_t failed_compensation_interval_seconds = 30;
  std::int32_t void_max_retries = 5;
  std::int32_t promotion_max_retries = 10;
  std::int32_t cart_cleanup_max_retries = 3;
  std::int32_t release_max_retries = 10;  // fixed EC-06: failed rollback releases
  std::int64_t compensation_backoff_seconds = 30;
  std::int64_t outbox_interval_ms = 1000;
  std::int32_t outbox_batch_size = 50;
  std::int32_t outbox_max_retries = 10;
  std::int32_t points_per_vnd_unit = 1;  // 1 point = 1 VND of discount
};

struct OrderConfig {
  // P1-CC-02: the review's config map says 30 and nothing reads it (the code uses checkout's 15).
  // Fixed, this is the one value the code reads, aligned with the 15 the services run with, so by
  // default both profiles reserve for 15 minutes and differ only when an operator changes it.
  std::int64_t reservation_timeout_minutes = 15;
  std::int64_t order_timeout_minutes = 30;  // pending order expiry
  std::int64_t auto_cancel_minutes = 1440;
  Money max_order_amount = 100'000'000 * kVnd;  // hard-coded in checkout as reviewed (P2-CC-08)
  std::int64_t outbox_interval_ms = 1000;
  std::int32_t outbox_batch_size = 50;
  std::int32_t outbox_max_retries = 10;
  std::int64_t outbox_retry_backoff_ms = 1000;
  std::int64_t reservation_cleanup_interval_minutes = 15;
  std::int64_t order_cleanup_interval_minutes = 15;
  std::int32_t confirm_retries = 3;  // 100/200/400 ms
  std::int64_t confirm_backoff_ms = 100;
  std::int32_t release_retries = 3;
  std::int64_t dlq_retry_interval_seconds = 60;
  std::int64_t capture_retry_interval_seconds = 60;
  std::int32_t capture_max_retries = 5;
  std::int64_t cod_auto_confirm_interval_minutes = 5;
  std::int64_t payment_compensation_interval_minutes = 5;
  // Rows one pass of an order cron acts on at most (order cleanup, reservation cleanup, COD
  // auto-confirm, capture retry, payment compensation); the next pass takes the rest.
  std::int32_t cron_batch_size = 100;
  std::int64_t failed_compensation_retention_days = 30;
  std::int32_t loyalty_points_per_order = 10;
};

// The largest cron batch an operator may set: no more than the scans behind it read.
inline constexpr std::int32_t kCronBatchMax = 1'000;

struct Config {
  CheckoutConfig checkout;
  OrderConfig order;
};

Config DefaultConfig();

// Whether `text` is a country code as the config and shipping take it: 2 uppercase ASCII letters
// (ISO 3166-1 alpha-2).
bool IsCountryCode(const std::string& text);

// Overlays `json_text` on DefaultConfig(). Fails with kInvalidArgument naming the key path
// ("order.outbox_batch_size: expected an integer") on a syntax error, unknown key, wrong type or
// out-of-range value; never returns a half-applied config.
Result<Config> LoadConfigJson(const std::string& json_text);

// The whole config as JSON (every key, so an operator sees what is in force).
std::string ConfigToJson(const Config& config);

}  // namespace csim
