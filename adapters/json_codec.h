#pragma once
// JSON text for the parts of a row that are lists or maps (event fields, promo codes, cart items),
// as stored in jsonb columns and Redis stream entries. Decoding is strict: a value of the wrong
// shape is kInvalidArgument naming what, never a silent default.

#include <map>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace csim::adapters {

std::string EncodeFields(const std::map<std::string, std::string>& fields);
std::string EncodeFields(const EventFields& fields);  // the same object as the map's
Result<std::map<std::string, std::string>> DecodeFields(const std::string& text);
std::string EncodeStrings(const std::vector<std::string>& strings);
Result<std::vector<std::string>> DecodeStrings(const std::string& text);
std::string EncodeCartItems(const std::vector<CartItem>& items);
Result<std::vector<CartItem>> DecodeCartItems(const std::string& text);

}  // namespace csim::adapters
