// The contract tests' main: the throwaway servers are started on first use by a real
// environment and stopped when every test has run (also when one failed).
#include <gtest/gtest.h>

#include "tests/contract/servers.h"

namespace {

class StopServers : public ::testing::Environment {
 public:
  void TearDown() override { csim::contract::StopSharedServers(); }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new StopServers);  // gtest owns and deletes it
  return RUN_ALL_TESTS();
}
