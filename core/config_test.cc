#include "core/config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/check.h"

namespace csim {
namespace {

TEST(Config, DefaultCarriesReviewValues) {
  Config config = DefaultConfig();
  EXPECT_EQ(config.checkout.idempotency_lock_minutes, 15);
  // P1-CC-02 fixed: the one TTL the code reads, aligned with the 15 minutes the services run with
  // (the review's config map said 30 and nothing read it).
  EXPECT_EQ(config.order.reservation_timeout_minutes, 15);
}

// Every field set to a value different from its default.
Config NonDefaultConfig() {
  Config config;
  CheckoutConfig& c = config.checkout;
  c.idempotency_lock_minutes = 20;
  c.idempotency_result_hours = 48;
  c.max_promotion_codes = 0;
  c.reservation_payment_ttl_minutes = 16;
  c.auto_cancel_minutes = 31;
  c.cart_expiry_user_hours = 72;
  c.cart_expiry_guest_hours = 2;
  c.default_country = "SG";
  c.cart_cleanup_interval_seconds = 600;
  c.failed_compensation_interval_seconds = 45;
  c.void_max_retries = 6;
  c.promotion_max_retries = 11;
  c.cart_cleanup_max_retries = 4;
  c.release_max_retries = 12;
  c.compensation_backoff_seconds = 35;
  c.outbox_interval_ms = 250;
  c.outbox_batch_size = 10'000;
  c.outbox_max_retries = 0;
  c.points_per_vnd_unit = 2;
  OrderConfig& o = config.order;
  o.reservation_timeout_minutes = 17;
  o.order_timeout_minutes = 45;
  o.auto_cancel_minutes = 2880;
  o.max_order_amount = 250'000'000 * kVnd;
  o.outbox_interval_ms = 500;
  o.outbox_batch_size = 1;
  o.outbox_max_retries = 2147483647;
  o.outbox_retry_backoff_ms = 2000;
  o.reservation_cleanup_interval_minutes = 7;
  o.order_cleanup_interval_minutes = 8;
  o.confirm_retries = 0;
  o.confirm_backoff_ms = 150;
  o.release_retries = 9;
  o.dlq_retry_interval_seconds = 90;
  o.capture_retry_interval_seconds = 120;
  o.capture_max_retries = 1;
  o.cod_auto_confirm_interval_minutes = 3;
  o.payment_compensation_interval_minutes = 4;
  o.cron_batch_size = 7;
  o.failed_compensation_retention_days = 90;
  o.loyalty_points_per_order = 25;
  return config;
}

TEST(Config, RoundTripOfNonDefaultConfigKeepsEveryField) {
  const std::string text = ConfigToJson(NonDefaultConfig());
  Result<Config> loaded = LoadConfigJson(text);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();

  const CheckoutConfig& c = loaded->checkout;
  EXPECT_EQ(c.idempotency_lock_minutes, 20);
  EXPECT_EQ(c.idempotency_result_hours, 48);
  EXPECT_EQ(c.max_promotion_codes, 0);
  EXPECT_EQ(c.reservation_payment_ttl_minutes, 16);
  EXPECT_EQ(c.auto_cancel_minutes, 31);
  EXPECT_EQ(c.cart_expiry_user_hours, 72);
  EXPECT_EQ(c.cart_expiry_guest_hours, 2);
  EXPECT_EQ(c.default_country, "SG");
  EXPECT_EQ(c.cart_cleanup_interval_seconds, 600);
  EXPECT_EQ(c.failed_compensation_interval_seconds, 45);
  EXPECT_EQ(c.void_max_retries, 6);
  EXPECT_EQ(c.promotion_max_retries, 11);
  EXPECT_EQ(c.cart_cleanup_max_retries, 4);
  EXPECT_EQ(c.release_max_retries, 12);
  EXPECT_EQ(c.compensation_backoff_seconds, 35);
  EXPECT_EQ(c.outbox_interval_ms, 250);
  EXPECT_EQ(c.outbox_batch_size, 10'000);
  EXPECT_EQ(c.outbox_max_retries, 0);
  EXPECT_EQ(c.points_per_vnd_unit, 2);

  const OrderConfig& o = loaded->order;
  EXPECT_EQ(o.reservation_timeout_minutes, 17);
  EXPECT_EQ(o.order_timeout_minutes, 45);
  EXPECT_EQ(o.auto_cancel_minutes, 2880);
  EXPECT_EQ(o.max_order_amount, 25'000'000'000);
  EXPECT_EQ(o.outbox_interval_ms, 500);
  EXPECT_EQ(o.outbox_batch_size, 1);
  EXPECT_EQ(o.outbox_max_retries, 2147483647);
  EXPECT_EQ(o.outbox_retry_backoff_ms, 2000);
  EXPECT_EQ(o.reservation_cleanup_interval_minutes, 7);
  EXPECT_EQ(o.order_cleanup_interval_minutes, 8);
  EXPECT_EQ(o.confirm_retries, 0);
  EXPECT_EQ(o.confirm_backoff_ms, 150);
  EXPECT_EQ(o.release_retries, 9);
  EXPECT_EQ(o.dlq_retry_interval_seconds, 90);
  EXPECT_EQ(o.capture_retry_interval_seconds, 120);
  EXPECT_EQ(o.capture_max_retries, 1);
  EXPECT_EQ(o.cod_auto_confirm_interval_minutes, 3);
  EXPECT_EQ(o.payment_compensation_interval_minutes, 4);
  EXPECT_EQ(o.cron_batch_size, 7);
  EXPECT_EQ(o.failed_compensation_retention_days, 90);
  EXPECT_EQ(o.loyalty_points_per_order, 25);

  // Printing the loaded config gives the same text: nothing was lost or reordered.
  EXPECT_EQ(ConfigToJson(loaded.value()), text);
}

TEST(Config, ToJsonIsPrettyWithEveryKeyAndWholeVnd) {
  const std::string text = ConfigToJson(DefaultConfig());
  EXPECT_EQ(text.rfind("{\n  \"checkout\": {\n    \"idempotency_lock_minutes\": 15,\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("\n    \"default_country\": \"VN\",\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n  \"order\": {\n    \"reservation_timeout_minutes\": 15,\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n    \"max_order_amount\": 100000000,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n    \"loyalty_points_per_order\": 10\n  }\n}"), std::string::npos) << text;
}

TEST(Config, ToJsonRefusesAFractionOfAVnd) {
  Config config = DefaultConfig();
  config.order.max_order_amount = 100 * kVnd + 50;  // 100.50 VND cannot be written as whole VND
  EXPECT_THROW((void)ConfigToJson(config), CheckFailure);
}

TEST(Config, EmptyDocumentIsTheDefault) {
  Result<Config> loaded = LoadConfigJson("{}");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->checkout.max_promotion_codes, 5);
  EXPECT_EQ(loaded->checkout.default_country, "VN");
  EXPECT_EQ(loaded->order.max_order_amount, 10'000'000'000);
}

TEST(Config, OverlayOfOneKeyLeavesTheOthersAtDefault) {
  Result<Config> loaded = LoadConfigJson(R"({"order": {"reservation_timeout_minutes": 15}})");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->order.reservation_timeout_minutes, 15);
  EXPECT_EQ(loaded->order.order_timeout_minutes, 30);
  EXPECT_EQ(loaded->order.auto_cancel_minutes, 1440);
  EXPECT_EQ(loaded->order.max_order_amount, 10'000'000'000);
  EXPECT_EQ(loaded->order.outbox_batch_size, 50);
  EXPECT_EQ(loaded->order.confirm_retries, 3);
  EXPECT_EQ(loaded->checkout.idempotency_lock_minutes, 15);
  EXPECT_EQ(loaded->checkout.reservation_payment_ttl_minutes, 15);
  EXPECT_EQ(loaded->checkout.max_promotion_codes, 5);
  EXPECT_EQ(loaded->checkout.default_country, "VN");
  EXPECT_EQ(loaded->checkout.release_max_retries, 10);
}

TEST(Config, UnknownKeyNamesTheFullPathAndTheValidKeys) {
  Result<Config> loaded = LoadConfigJson(R"({"order": {"reservaton_timeout_minutes": 15}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            "order.reservaton_timeout_minutes: unknown key (valid keys: "
            "reservation_timeout_minutes, order_timeout_minutes, auto_cancel_minutes, "
            "max_order_amount, outbox_interval_ms, outbox_batch_size, outbox_max_retries, "
            "outbox_retry_backoff_ms, reservation_cleanup_interval_minutes, "
            "order_cleanup_interval_minutes, confirm_retries, confirm_backoff_ms, release_retries, "
            "dlq_retry_interval_seconds, capture_retry_interval_seconds, capture_max_retries, "
            "cod_auto_confirm_interval_minutes, payment_compensation_interval_minutes, "
            "cron_batch_size, failed_compensation_retention_days, loyalty_points_per_order)");
}

TEST(Config, UnknownSectionIsNamed) {
  Result<Config> loaded = LoadConfigJson(R"({"orders": {}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(), "orders: unknown section (valid sections: checkout, order)");
}

TEST(Config, WrongTypeIsNamed) {
  Result<Config> loaded = LoadConfigJson(R"({"checkout": {"max_promotion_codes": "5"}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            "checkout.max_promotion_codes: expected an integer, got string");

  Result<Config> boolean = LoadConfigJson(R"({"order": {"confirm_retries": true}})");
  ASSERT_FALSE(boolean.ok());
  EXPECT_EQ(boolean.status().message(), "order.confirm_retries: expected an integer, got boolean");

  Result<Config> section = LoadConfigJson(R"({"order": [1]})");
  ASSERT_FALSE(section.ok());
  EXPECT_EQ(section.status().message(), "order: expected an object, got array");

  Result<Config> top = LoadConfigJson("[]");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.code(), Code::kInvalidArgument);
  EXPECT_EQ(top.status().message(), "config: expected a JSON object at the top level, got array");
}

TEST(Config, FloatWhereIntegerExpectedIsRejected) {
  Result<Config> fraction = LoadConfigJson(R"({"order": {"outbox_batch_size": 1.5}})");
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.code(), Code::kInvalidArgument);
  EXPECT_EQ(fraction.status().message(), "order.outbox_batch_size: expected an integer, got float");

  // Even a float with no fraction: the file should say what it means.
  Result<Config> whole = LoadConfigJson(R"({"checkout": {"auto_cancel_minutes": 30.0}})");
  ASSERT_FALSE(whole.ok());
  EXPECT_EQ(whole.status().message(),
            "checkout.auto_cancel_minutes: expected an integer, got float");
}

TEST(Config, NegativeAndZeroAreRejectedWhereTheyMakeNoSense) {
  Result<Config> negative = LoadConfigJson(R"({"checkout": {"void_max_retries": -1}})");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.code(), Code::kInvalidArgument);
  EXPECT_EQ(negative.status().message(),
            "checkout.void_max_retries: must be between 0 and 2147483647, got -1");

  Result<Config> zero_interval = LoadConfigJson(R"({"order": {"outbox_interval_ms": 0}})");
  ASSERT_FALSE(zero_interval.ok());
  EXPECT_EQ(zero_interval.status().message(),
            "order.outbox_interval_ms: must be between 1 and 9223372036854775, got 0");

  // Zero retries and zero promotion codes are meaningful and accepted.
  Result<Config> zeros =
      LoadConfigJson(R"({"checkout": {"void_max_retries": 0, "max_promotion_codes": 0}})");
  ASSERT_TRUE(zeros.ok()) << zeros.status().ToString();
  EXPECT_EQ(zeros->checkout.void_max_retries, 0);
  EXPECT_EQ(zeros->checkout.max_promotion_codes, 0);
}

TEST(Config, ValuesMustFitTheFieldAndItsLimits) {
  Result<Config> int32_max = LoadConfigJson(R"({"checkout": {"max_promotion_codes": 2147483647}})");
  ASSERT_TRUE(int32_max.ok()) << int32_max.status().ToString();
  EXPECT_EQ(int32_max->checkout.max_promotion_codes, 2147483647);

  Result<Config> too_big = LoadConfigJson(R"({"checkout": {"max_promotion_codes": 2147483648}})");
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.status().message(),
            "checkout.max_promotion_codes: must be between 0 and 2147483647, got 2147483648");

  Result<Config> huge =
      LoadConfigJson(R"({"checkout": {"outbox_max_retries": 18446744073709551615}})");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message(),
            "checkout.outbox_max_retries: must be between 0 and 2147483647, got "
            "18446744073709551615");

  // Minutes whose microsecond count would overflow a DurationUs.
  Result<Config> long_span =
      LoadConfigJson(R"({"order": {"order_timeout_minutes": 153722867281}})");
  ASSERT_FALSE(long_span.ok());
  EXPECT_EQ(long_span.status().message(),
            "order.order_timeout_minutes: must be between 1 and 153722867280, got 153722867281");

  Result<Config> batch = LoadConfigJson(R"({"order": {"outbox_batch_size": 10001}})");
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message(),
            "order.outbox_batch_size: must be between 1 and 10000, got 10001");
}

TEST(Config, DefaultCountryMustBeTwoUppercaseLetters) {
  Result<Config> lower = LoadConfigJson(R"({"checkout": {"default_country": "us"}})");
  ASSERT_FALSE(lower.ok());
  EXPECT_EQ(lower.code(), Code::kInvalidArgument);
  EXPECT_EQ(lower.status().message(),
            "checkout.default_country: expected 2 uppercase letters (ISO 3166-1 alpha-2), got "
            "\"us\"");

  Result<Config> three = LoadConfigJson(R"({"checkout": {"default_country": "VNM"}})");
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.status().message(),
            "checkout.default_country: expected 2 uppercase letters (ISO 3166-1 alpha-2), got "
            "\"VNM\"");

  Result<Config> number = LoadConfigJson(R"({"checkout": {"default_country": 84}})");
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.status().message(), "checkout.default_country: expected a string, got integer");

  Result<Config> us = LoadConfigJson(R"({"checkout": {"default_country": "US"}})");
  ASSERT_TRUE(us.ok()) << us.status().ToString();
  EXPECT_EQ(us->checkout.default_country, "US");
}

TEST(Config, SyntaxErrorGivesTheByte) {
  Result<Config> trailing_comma = LoadConfigJson(R"({"order": {"confirm_retries": 3,}})");
  ASSERT_FALSE(trailing_comma.ok());
  EXPECT_EQ(trailing_comma.code(), Code::kInvalidArgument);
  EXPECT_EQ(trailing_comma.status().message(),
            "config: JSON syntax error at byte 33: line 1, column 33: syntax error while parsing "
            "object key - unexpected '}'; expected string literal");

  Result<Config> empty = LoadConfigJson("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message().rfind("config: JSON syntax error at byte 1: ", 0), 0u)
      << empty.status().message();
}

TEST(Config, MaxOrderAmountIsWholeVndInJsonAndMinorUnitsInConfig) {
  Result<Config> loaded = LoadConfigJson(R"({"order": {"max_order_amount": 250000}})");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->order.max_order_amount, 25'000'000);  // 250,000 VND in hundredths
  EXPECT_EQ(loaded->order.max_order_amount, 250'000 * kVnd);

  // The largest amount whose minor units fit an int64, and one VND more.
  Result<Config> largest = LoadConfigJson(R"({"order": {"max_order_amount": 92233720368547758}})");
  ASSERT_TRUE(largest.ok()) << largest.status().ToString();
  EXPECT_EQ(largest->order.max_order_amount, 9'223'372'036'854'775'800);

  Result<Config> overflow = LoadConfigJson(R"({"order": {"max_order_amount": 92233720368547759}})");
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.status().message(),
            "order.max_order_amount: must be between 1 and 92233720368547758 (whole VND), got "
            "92233720368547759");

  Result<Config> fraction = LoadConfigJson(R"({"order": {"max_order_amount": 1000.5}})");
  ASSERT_FALSE(fraction.ok());
  EXPECT_EQ(fraction.status().message(), "order.max_order_amount: expected an integer, got float");
}

// nlohmann::json would keep the last of two equal keys; a config given twice is a mistake.
TEST(Config, DuplicateKeyInASectionIsNamedWithItsSection) {
  Result<Config> order = LoadConfigJson(
      R"({"order": {"reservation_timeout_minutes": 45, "reservation_timeout_minutes": 5}})");
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.code(), Code::kInvalidArgument);
  EXPECT_EQ(order.status().message(),
            "order.reservation_timeout_minutes: duplicate key (given twice in section \"order\")");

  Result<Config> checkout = LoadConfigJson(
      R"({"checkout": {"max_promotion_codes": 3, "void_max_retries": 2, "max_promotion_codes": 3}})");
  ASSERT_FALSE(checkout.ok());
  EXPECT_EQ(checkout.status().message(),
            "checkout.max_promotion_codes: duplicate key (given twice in section \"checkout\")");
}

TEST(Config, DuplicateSectionAtTheTopLevelIsNamed) {
  Result<Config> loaded = LoadConfigJson(
      R"({"order": {"confirm_retries": 1}, "checkout": {}, "order": {"release_retries": 2}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(), "order: duplicate key (given twice at the top level)");
}

TEST(Config, SameKeyInDifferentSectionsIsNoDuplicate) {
  // auto_cancel_minutes and outbox_batch_size exist in both sections.
  Result<Config> loaded = LoadConfigJson(
      R"({"checkout": {"auto_cancel_minutes": 31, "outbox_batch_size": 7},
          "order": {"auto_cancel_minutes": 32, "outbox_batch_size": 8}})");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->checkout.auto_cancel_minutes, 31);
  EXPECT_EQ(loaded->order.auto_cancel_minutes, 32);
  EXPECT_EQ(loaded->checkout.outbox_batch_size, 7);
  EXPECT_EQ(loaded->order.outbox_batch_size, 8);
}

TEST(Config, DuplicateKeyIsReportedEvenWhenBothValuesAreValid) {
  // The same value twice is still refused: the file says one thing in two places.
  Result<Config> loaded =
      LoadConfigJson(R"({"order": {"confirm_retries": 3, "confirm_retries": 3}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(),
            "order.confirm_retries: duplicate key (given twice in section \"order\")");
}

TEST(Config, BadDocumentReturnsNoPartialConfig) {
  // "checkout" is valid and sorts before the bad "order" section, so it was applied to the
  // local copy before the error; none of it may escape.
  Result<Config> loaded = LoadConfigJson(
      R"({"checkout": {"max_promotion_codes": 7}, "order": {"outbox_batch_size": 0}})");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            "order.outbox_batch_size: must be between 1 and 10000, got 0");
  EXPECT_THROW((void)loaded.value(), CheckFailure);

  // The next load starts from the defaults again.
  Result<Config> next = LoadConfigJson(R"({"order": {"outbox_batch_size": 20}})");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->checkout.max_promotion_codes, 5);
  EXPECT_EQ(next->order.outbox_batch_size, 20);
}

}  // namespace
}  // namespace csim
