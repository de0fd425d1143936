#include "core/config.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/check.h"

namespace csim {

bool IsCountryCode(const std::string& text) {
  return text.size() == 2 && text[0] >= 'A' && text[0] <= 'Z' && text[1] >= 'A' && text[1] <= 'Z';
}

namespace {

using Json = nlohmann::json;

// How a field's JSON value maps onto its member. The storage type (int32, int64, string) comes
// from the pointer-to-member; the kind says what the number or text means.
enum class Kind {
  kInteger,      // a JSON integer in [min, max], stored as is
  kWholeVnd,     // a JSON integer of whole VND in [min, max], stored as Money (VND * kVnd)
  kCountryCode,  // 2 uppercase ASCII letters (ISO 3166-1 alpha-2); min and max unused
};

template <class S>
struct Field {
  const char* name;  // the JSON key: the member's own name
  std::variant<std::int32_t S::*, std::int64_t S::*, std::string S::*> member;
  Kind kind;
  std::int64_t min;  // inclusive, in JSON units (whole VND for kWholeVnd)
  std::int64_t max;  // inclusive, in JSON units
};

constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

// The longest span counted in `unit` whose length in microseconds still fits a DurationUs.
constexpr std::int64_t Spans(DurationUs unit) {
  return kInt64Max / unit;
}

// Both outbox_batch_size fields: a batch larger than this is a typo, not a tuning choice.
constexpr std::int64_t kMaxOutboxBatch = 10'000;

// The largest max_order_amount (whole VND) whose Money value (VND * kVnd) fits an int64.
constexpr std::int64_t kMaxWholeVnd = kInt64Max / kVnd;

// CSIM_CONFIG_FIELD(S, name) spells the JSON key and the member once, so they cannot drift apart.
#define CSIM_CONFIG_FIELD(S, name) #name, &S::name

// One line per field. A field missing here can be neither loaded nor shown by ConfigToJson.
// Durations and intervals are >= 1; retry counts and max_promotion_codes are >= 0.
constexpr std::array kCheckoutFields = std::to_array<Field<CheckoutConfig>>({
    {CSIM_CONFIG_FIELD(CheckoutConfig, idempotency_lock_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, idempotency_result_hours), Kind::kInteger, 1,
     Spans(kHourUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, max_promotion_codes), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, reservation_payment_ttl_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, auto_cancel_minutes), Kind::kInteger, 1, Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, cart_expiry_user_hours), Kind::kInteger, 1, Spans(kHourUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, cart_expiry_guest_hours), Kind::kInteger, 1, Spans(kHourUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, default_country), Kind::kCountryCode, 0, 0},
    {CSIM_CONFIG_FIELD(CheckoutConfig, cart_cleanup_interval_seconds), Kind::kInteger, 1,
     Spans(kSecondUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, failed_compensation_interval_seconds), Kind::kInteger, 1,
     Spans(kSecondUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, void_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, promotion_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, cart_cleanup_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, release_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, compensation_backoff_seconds), Kind::kInteger, 1,
     Spans(kSecondUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, outbox_interval_ms), Kind::kInteger, 1,
     Spans(kMillisecondUs)},
    {CSIM_CONFIG_FIELD(CheckoutConfig, outbox_batch_size), Kind::kInteger, 1, kMaxOutboxBatch},
    {CSIM_CONFIG_FIELD(CheckoutConfig, outbox_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(CheckoutConfig, points_per_vnd_unit), Kind::kInteger, 1, kInt32Max},
});

constexpr std::array kOrderFields = std::to_array<Field<OrderConfig>>({
    {CSIM_CONFIG_FIELD(OrderConfig, reservation_timeout_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, order_timeout_minutes), Kind::kInteger, 1, Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, auto_cancel_minutes), Kind::kInteger, 1, Spans(kMinuteUs)},
    // In the JSON in whole VND (100000000 means 100,000,000 VND); stored as VND * kVnd.
    {CSIM_CONFIG_FIELD(OrderConfig, max_order_amount), Kind::kWholeVnd, 1, kMaxWholeVnd},
    {CSIM_CONFIG_FIELD(OrderConfig, outbox_interval_ms), Kind::kInteger, 1, Spans(kMillisecondUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, outbox_batch_size), Kind::kInteger, 1, kMaxOutboxBatch},
    {CSIM_CONFIG_FIELD(OrderConfig, outbox_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(OrderConfig, outbox_retry_backoff_ms), Kind::kInteger, 1,
     Spans(kMillisecondUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, reservation_cleanup_interval_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, order_cleanup_interval_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, confirm_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(OrderConfig, confirm_backoff_ms), Kind::kInteger, 1, Spans(kMillisecondUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, release_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(OrderConfig, dlq_retry_interval_seconds), Kind::kInteger, 1,
     Spans(kSecondUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, capture_retry_interval_seconds), Kind::kInteger, 1,
     Spans(kSecondUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, capture_max_retries), Kind::kInteger, 0, kInt32Max},
    {CSIM_CONFIG_FIELD(OrderConfig, cod_auto_confirm_interval_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, payment_compensation_interval_minutes), Kind::kInteger, 1,
     Spans(kMinuteUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, cron_batch_size), Kind::kInteger, 1, kCronBatchMax},
    {CSIM_CONFIG_FIELD(OrderConfig, failed_compensation_retention_days), Kind::kInteger, 1,
     Spans(kDayUs)},
    {CSIM_CONFIG_FIELD(OrderConfig, loyalty_points_per_order), Kind::kInteger, 1, kInt32Max},
});

#undef CSIM_CONFIG_FIELD

// A table is consistent when every kind matches its member's type, every [min, max] is non-empty
// and fits that type (so storing a validated value never narrows or overflows), and no key or
// member appears twice.
template <class S, std::size_t N>
constexpr bool TableIsConsistent(const std::array<Field<S>, N>& fields) {
  constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
  for (std::size_t i = 0; i < N; ++i) {
    const Field<S>& field = fields[i];
    const bool is_int32 = std::holds_alternative<std::int32_t S::*>(field.member);
    const bool is_int64 = std::holds_alternative<std::int64_t S::*>(field.member);
    const bool is_string = std::holds_alternative<std::string S::*>(field.member);
    switch (field.kind) {
      case Kind::kInteger:
        if (!is_int32 && !is_int64) return false;
        if (field.min > field.max) return false;
        if (is_int32 && (field.min < kInt32Min || field.max > kInt32Max)) return false;
        break;
      case Kind::kWholeVnd:
        if (!is_int64 || field.min > field.max) return false;
        if (field.min < -kMaxWholeVnd || field.max > kMaxWholeVnd) return false;
        break;
      case Kind::kCountryCode:
        if (!is_string) return false;
        break;
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (std::string_view{fields[j].name} == std::string_view{field.name}) return false;
      if (fields[j].member == field.member) return false;
    }
  }
  return true;
}

static_assert(TableIsConsistent(kCheckoutFields));
static_assert(TableIsConsistent(kOrderFields));

// Calls visit(section name, pointer to the section in Config, its field table) for each section,
// in the order ConfigToJson prints them.
template <class Visit>
void ForEachSection(Visit&& visit) {
  visit("checkout", &Config::checkout, std::span<const Field<CheckoutConfig>>{kCheckoutFields});
  visit("order", &Config::order, std::span<const Field<OrderConfig>>{kOrderFields});
}

Status Invalid(const std::string& path, const std::string& what) {
  return Status{Code::kInvalidArgument, path + ": " + what};
}

// JSON's own type names, with integers and floats told apart.
std::string_view TypeName(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "float";
  if (value.is_boolean()) return "boolean";
  if (value.is_string()) return "string";
  if (value.is_object()) return "object";
  if (value.is_array()) return "array";
  if (value.is_null()) return "null";
  return value.type_name();
}

template <class S>
std::string KeyList(std::span<const Field<S>> fields) {
  std::string keys;
  for (const Field<S>& field : fields) {
    if (!keys.empty()) keys += ", ";
    keys += field.name;
  }
  return keys;
}

// Reads one JSON value into `section`'s member, or explains (by `path`) why it cannot.
template <class S>
Status LoadField(const std::string& path, const Json& value, const Field<S>& field, S& section) {
  if (field.kind == Kind::kCountryCode) {
    if (!value.is_string())
      return Invalid(path, "expected a string, got " + std::string{TypeName(value)});
    const auto& text = value.get_ref<const std::string&>();
    if (!IsCountryCode(text)) {
      return Invalid(path,
                     "expected 2 uppercase letters (ISO 3166-1 alpha-2), got " + value.dump());
    }
    section.*std::get<std::string S::*>(field.member) = text;
    return Status::Ok();
  }

  // Integers only: a float (even 30.0), a boolean or a numeric string is a type error.
  if (!value.is_number_integer()) {
    return Invalid(path, "expected an integer, got " + std::string{TypeName(value)});
  }
  const auto out_of_range = [&] {
    return Invalid(
        path, "must be between " + std::to_string(field.min) + " and " + std::to_string(field.max) +
                  (field.kind == Kind::kWholeVnd ? " (whole VND)" : "") + ", got " + value.dump());
  };
  std::int64_t number = 0;
  if (value.is_number_unsigned()) {
    const auto unsigned_number = value.get<std::uint64_t>();
    if (field.max < 0 || unsigned_number > static_cast<std::uint64_t>(field.max))
      return out_of_range();
    number = static_cast<std::int64_t>(unsigned_number);
  } else {
    number = value.get<std::int64_t>();
  }
  if (number < field.min || number > field.max) return out_of_range();

  // TableIsConsistent guarantees [min, max] fits the member, so neither store can overflow.
  if (field.kind == Kind::kWholeVnd) {
    section.*std::get<std::int64_t S::*>(field.member) = number * kVnd;
  } else if (std::holds_alternative<std::int32_t S::*>(field.member)) {
    section.*std::get<std::int32_t S::*>(field.member) = static_cast<std::int32_t>(number);
  } else {
    section.*std::get<std::int64_t S::*>(field.member) = number;
  }
  return Status::Ok();
}

template <class S>
Status LoadSection(const std::string& name, const Json& object, std::span<const Field<S>> fields,
                   S& section) {
  if (!object.is_object()) {
    return Invalid(name, "expected an object, got " + std::string{TypeName(object)});
  }
  for (const auto& [key, value] : object.items()) {
    const std::string path = name + "." + key;
    const Field<S>* match = nullptr;
    for (const Field<S>& field : fields) {
      if (key == field.name) match = &field;
    }
    if (match == nullptr) return Invalid(path, "unknown key (valid keys: " + KeyList(fields) + ")");
    if (Status status = LoadField(path, value, *match, section); !status.ok()) return status;
  }
  return Status::Ok();
}

// Every field of one section, in table order (max_order_amount in whole VND).
template <class S>
nlohmann::ordered_json SectionToJson(const S& section, std::span<const Field<S>> fields) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const Field<S>& field : fields) {
    if (field.kind == Kind::kCountryCode) {
      object[field.name] = section.*std::get<std::string S::*>(field.member);
    } else if (field.kind == Kind::kWholeVnd) {
      const Money amount = section.*std::get<std::int64_t S::*>(field.member);
      // Only a Config built in code can hold a fraction of a VND; printing it truncated would
      // show an operator a limit that is not the one in force, and would not load back equal.
      CSIM_CHECK(amount % kVnd == 0, "a Money config field must be a whole number of VND");
      object[field.name] = amount / kVnd;
    } else if (std::holds_alternative<std::int32_t S::*>(field.member)) {
      object[field.name] = section.*std::get<std::int32_t S::*>(field.member);
    } else {
      object[field.name] = section.*std::get<std::int64_t S::*>(field.member);
    }
  }
  return object;
}

// nlohmann's what() is "[json.exception.parse_error.101] parse error at line 1, column 2: ...";
// keep what follows "parse error at " (the line, column and reason).
std::string SyntaxErrorDetail(const Json::parse_error& error) {
  std::string_view text = error.what();
  if (const auto bracket = text.find("] "); bracket != std::string_view::npos) {
    text.remove_prefix(bracket + 2);
  }
  constexpr std::string_view kPrefix = "parse error at ";
  if (text.starts_with(kPrefix)) text.remove_prefix(kPrefix.size());
  return std::string{text};
}

// The first key given twice in one object, as "section.key" (or "key" at the top level) and the
// object it is in; nlohmann::json would silently keep the last value.
struct DuplicateKey {
  std::string path;
  std::string where;
};

// Parses `text`, noting the first duplicate key in any object. Throws Json::parse_error on a
// syntax error, like Json::parse.
Json ParseNotingDuplicates(const std::string& text, std::optional<DuplicateKey>& duplicate) {
  // One frame per open object or array: the keys seen in it, the key that holds it, the last key
  // read in it (the one whose value comes next).
  struct Frame {
    std::set<std::string> keys;
    std::string path;
    std::string last_key;
  };
  std::vector<Frame> open;
  auto child_path = [&](const std::string& key) {
    return open.size() <= 1 ? key : open.back().path + "." + key;
  };
  const Json::parser_callback_t callback = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        open.push_back({{}, open.empty() ? std::string{} : child_path(open.back().last_key), {}});
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open.empty() && parsed.is_string()) {
          Frame& frame = open.back();
          frame.last_key = parsed.get<std::string>();
          if (!frame.keys.insert(frame.last_key).second && !duplicate) {
            duplicate = DuplicateKey{
                child_path(frame.last_key),
                open.size() <= 1 ? "at the top level" : "in section \"" + frame.path + "\""};
          }
        }
        break;
      case Json::parse_event_t::value:
        break;
    }
    return true;
  };
  return Json::parse(text, callback);
}

}  // namespace

Config DefaultConfig() {
  return Config{};
}

Result<Config> LoadConfigJson(const std::string& json_text) {
  Json document;
  std::optional<DuplicateKey> duplicate;
  try {
    document = ParseNotingDuplicates(json_text, duplicate);
  } catch (const Json::parse_error& error) {
    return Status{Code::kInvalidArgument, "config: JSON syntax error at byte " +
                                              std::to_string(error.byte) + ": " +
                                              SyntaxErrorDetail(error)};
  }
  if (duplicate) {
    return Invalid(duplicate->path, "duplicate key (given twice " + duplicate->where + ")");
  }
  if (!document.is_object()) {
    return Status{Code::kInvalidArgument, "config: expected a JSON object at the top level, got " +
                                              std::string{TypeName(document)}};
  }

  // Everything lands in a local copy that is returned only when the whole document validated.
  Config config = DefaultConfig();
  std::string section_names;
  ForEachSection([&](const char* name, auto, auto) {
    if (!section_names.empty()) section_names += ", ";
    section_names += name;
  });
  for (const auto& item : document.items()) {
    const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one
    const Json& value = item.value();
    bool known = false;
    Status status;
    ForEachSection([&](const char* name, auto member, auto fields) {
      if (key != name) return;
      known = true;
      status = LoadSection(key, value, fields, config.*member);
    });
    if (!known) {
      return Invalid(key, "unknown section (valid sections: " + section_names + ")");
    }
    if (!status.ok()) return status;
  }
  return config;
}

std::string ConfigToJson(const Config& config) {
  nlohmann::ordered_json document = nlohmann::ordered_json::object();
  ForEachSection([&](const char* name, auto member, auto fields) {
    document[name] = SectionToJson(config.*member, fields);
  });
  return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace csim
