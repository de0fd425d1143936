#include "adapters/json_codec.h"

#include <nlohmann/json.hpp>

namespace csim::adapters {
namespace {

using nlohmann::json;

Status Malformed(const char* what, const std::string& text) {
  return Status{Code::kInvalidArgument, std::string{"malformed "} + what + ": " + text};
}

}  // namespace

std::string EncodeFields(const std::map<std::string, std::string>& fields) {
  return json(fields).dump();
}

std::string EncodeFields(const EventFields& fields) {
  return EncodeFields(std::map<std::string, std::string>(fields.begin(), fields.end()));
}

Result<std::map<std::string, std::string>> DecodeFields(const std::string& text) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Malformed("fields", text);
  std::map<std::string, std::string> fields;
  for (const auto& [key, value] : parsed.items()) {
    if (!value.is_string()) return Malformed("fields", text);
    fields.emplace(key, value.get<std::string>());
  }
  return fields;
}

std::string EncodeStrings(const std::vector<std::string>& strings) {
  return json(strings).dump();
}

Result<std::vector<std::string>> DecodeStrings(const std::string& text) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Malformed("list", text);
  std::vector<std::string> strings;
  for (const json& value : parsed) {
    if (!value.is_string()) return Malformed("list", text);
    strings.push_back(value.get<std::string>());
  }
  return strings;
}

std::string EncodeCartItems(const std::vector<CartItem>& items) {
  json list = json::array();
  for (const CartItem& item : items) {
    json entry = {{"sku", item.sku}, {"quantity", item.quantity}};
    // A missing warehouse id (EC-08) stays missing: null, not "".
    entry["warehouse_id"] = item.warehouse_id ? json(*item.warehouse_id) : json(nullptr);
    list.push_back(std::move(entry));
  }
  return list.dump();
}

Result<std::vector<CartItem>> DecodeCartItems(const std::string& text) {
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return Malformed("cart items", text);
  std::vector<CartItem> items;
  for (const json& entry : parsed) {
    if (!entry.is_object() || !entry.contains("sku") || !entry["sku"].is_string() ||
        !entry.contains("quantity") || !entry["quantity"].is_number_integer() ||
        !entry.contains("warehouse_id")) {
      return Malformed("cart items", text);
    }
    CartItem item;
    item.sku = entry["sku"].get<std::string>();
    item.quantity = entry["quantity"].get<std::int32_t>();
    if (!entry["warehouse_id"].is_null()) {
      if (!entry["warehouse_id"].is_string()) return Malformed("cart items", text);
      item.warehouse_id = entry["warehouse_id"].get<std::string>();
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace csim::adapters
