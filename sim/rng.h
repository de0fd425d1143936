#pragma once
// The one seeded generator of a simulation. xoshiro256** seeded by splitmix64, with our own
// integer arithmetic for ranges and chances (no standard-library distribution, whose results
// differ between standard libraries). Independent streams come from Fork(tag), so the workload
// and the faults draw from separate streams: adding a fault never changes the workload.

#include <cstdint>

#include "core/check.h"

namespace csim::sim {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& word : state_) word = SplitMix64(x);
  }

  std::uint64_t Next() {
    const std::uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound), bound > 0. Lemire's multiply-and-reject, with the 128-bit product
  // computed by hand so every compiler gives the same numbers.
  std::uint64_t Below(std::uint64_t bound) {
    CSIM_CHECK(bound > 0);
    std::uint64_t high = 0;
    std::uint64_t low = MulWide(Next(), bound, high);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) low = MulWide(Next(), bound, high);
    }
    return high;
  }

  // Uniform in [low, high], low <= high.
  std::int64_t Between(std::int64_t low, std::int64_t high) {
    CSIM_CHECK(low <= high);
    const auto span = static_cast<std::uint64_t>(high - low) + 1;
    return low + static_cast<std::int64_t>(span == 0 ? Next() : Below(span));
  }

  // True with probability parts_per_million / 1e6.
  bool ChancePpm(std::uint32_t parts_per_million) {
    CSIM_CHECK(parts_per_million <= 1'000'000);
    return Below(1'000'000) < parts_per_million;
  }

  // An independent stream: the same (state, tag) always gives the same child.
  Rng Fork(std::uint64_t tag) const {
    std::uint64_t mix = state_[0] ^ Rotl(state_[2], 13) ^ (tag * 0x9E3779B97F4A7C15ull);
    return Rng{SplitMix64(mix)};
  }

 private:
  // a * b = high * 2^64 + (returned low word). Exact arithmetic either way: where the compiler
  // has a 128-bit integer (g++ and clang++ on 64-bit targets) one multiply instruction gives the
  // same two words as the four 32-bit products below (the port layer draws a latency and three
  // fault coins per call; the long form was about 1 % of a run's instructions).
  static std::uint64_t MulWide(std::uint64_t a, std::uint64_t b, std::uint64_t& high) {
#if defined(__SIZEOF_INT128__)
    __extension__ using Wide = unsigned __int128;
    const Wide product = static_cast<Wide>(a) * b;
    high = static_cast<std::uint64_t>(product >> 64);
    return static_cast<std::uint64_t>(product);
#else
    const std::uint64_t a_lo = a & 0xFFFFFFFFull, a_hi = a >> 32;
    const std::uint64_t b_lo = b & 0xFFFFFFFFull, b_hi = b >> 32;
    const std::uint64_t lo_lo = a_lo * b_lo;
    const std::uint64_t hi_lo = a_hi * b_lo;
    const std::uint64_t lo_hi = a_lo * b_hi;
    const std::uint64_t hi_hi = a_hi * b_hi;
    const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFull) + lo_hi;
    high = hi_hi + (hi_lo >> 32) + (cross >> 32);
    return (cross << 32) | (lo_lo & 0xFFFFFFFFull);
#endif
  }
  static std::uint64_t Rotl(std::uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
  }
  static std::uint64_t SplitMix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_[4];
};

}  // namespace csim::sim
