#pragma once
// EventFields: an event's fields, name to value, each name once, iterated in name order: what a
// std::map<std::string, std::string> gives, kept in one sorted vector. An event has a handful of
// fields and is the run's most copied and longest kept value (outbox rows, the bus's record, every
// delivery); a map cost a heap node per field at each copy and a walk over scattered nodes at each
// lookup and destruction.

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/check.h"

namespace csim {

class EventFields {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  // More fields than any event carries: a bound on the sorted insert's shifts.
  static constexpr std::size_t kFieldsMax = 64;

  EventFields() = default;
  // As a std::map's initializer list: sorted by name; of two equal names the first is kept.
  EventFields(std::initializer_list<value_type> fields) {
    CSIM_CHECK(fields.size() <= kFieldsMax, "kFieldsMax");
    fields_.reserve(fields.size());
    for (const value_type& field : fields) Insert(field.first, field.second);
  }
  // The same fields as a decoded map (already sorted, each name once). Implicit, so a map decoded
  // from a stored row or a webhook's payload is assigned as before.
  EventFields(const std::map<std::string, std::string>& fields)  // NOLINT(google-explicit-*)
      : fields_(fields.begin(), fields.end()) {
    CSIM_CHECK(fields_.size() <= kFieldsMax, "kFieldsMax");
  }

  // The value of `name`, inserted empty at its place in name order when missing (std::map's []).
  std::string& operator[](std::string_view name) {
    auto it = LowerBound(name);
    if (it != fields_.end() && it->first == name) return it->second;
    CSIM_CHECK(fields_.size() < kFieldsMax, "kFieldsMax");
    it = fields_.insert(it, value_type{std::string{name}, std::string{}});
    CSIM_CHECK(it->first == name, "inserted at its name's place");
    return it->second;
  }
  // Adds a field whose name sorts after every name present: for a builder that knows its names'
  // order, without the search and the shift of operator[].
  void Append(std::string_view name, std::string value) {
    CSIM_CHECK(fields_.size() < kFieldsMax, "kFieldsMax");
    CSIM_CHECK(fields_.empty() || std::string_view{fields_.back().first} < name,
               "fields appended in name order");
    fields_.emplace_back(std::string{name}, std::move(value));
  }
  void reserve(std::size_t count) { fields_.reserve(count); }
  // The field named `name`, or end().
  const_iterator find(std::string_view name) const {
    auto it = std::lower_bound(fields_.begin(), fields_.end(), name, NameBefore{});
    return it != fields_.end() && it->first == name ? it : fields_.end();
  }
  bool contains(std::string_view name) const { return find(name) != end(); }

  const_iterator begin() const { return fields_.begin(); }
  const_iterator end() const { return fields_.end(); }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  bool operator==(const EventFields&) const = default;

 private:
  struct NameBefore {
    bool operator()(const value_type& field, std::string_view name) const {
      return std::string_view{field.first} < name;
    }
  };
  std::vector<value_type>::iterator LowerBound(std::string_view name) {
    return std::lower_bound(fields_.begin(), fields_.end(), name, NameBefore{});
  }
  void Insert(const std::string& name, const std::string& value) {
    auto it = LowerBound(name);
    if (it != fields_.end() && it->first == name) return;  // std::map keeps the first
    fields_.insert(it, value_type{name, value});
  }

  std::vector<value_type> fields_;  // sorted by name, each name once
};

}  // namespace csim
