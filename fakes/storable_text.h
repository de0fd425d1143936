#pragma once
// Text the real databases can store. PostgreSQL's text and jsonb columns (UTF8 encoding) refuse
// invalid UTF-8 and cannot hold a NUL byte (libpq would even cut a text parameter at the NUL). The
// fake stores refuse the same strings with kInvalidArgument, so a run on the fakes never stores
// what the real stores refuse (found by the contract tests, tests/contract/).

#include <string_view>

#include "core/model.h"
#include "core/status.h"

namespace csim::fakes {

// Ok if `text` is valid UTF-8 without a NUL byte; kInvalidArgument naming `what` otherwise.
Status CheckStorableText(std::string_view text, std::string_view what);
// Every string of the row (ids, names, items, codes, fields).
Status CheckStorable(const Cart& cart);
Status CheckStorable(const Order& order);
Status CheckStorable(const Event& event);
Status CheckStorable(const FailedCompensation& compensation);

}  // namespace csim::fakes
