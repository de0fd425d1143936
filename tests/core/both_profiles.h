#pragma once
// The parameter of a test that runs under both behaviours of a finding's switch: true is fixed,
// false as reviewed, and the test's name says which (".../Fixed", ".../AsReviewed").

#include <gtest/gtest.h>

#include <string>

namespace csim::test_ports {

inline auto BothProfiles() {
  return ::testing::Values(true, false);
}

inline std::string ProfileName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Fixed" : "AsReviewed";
}

}  // namespace csim::test_ports
