// Hashes that give the same value in every process, build and replica
// (unlike absl::Hash, which is seeded per process): consistent hashing and
// sticky-cookie values must agree across proxy replicas and restarts.
// Not cryptographic. Thread-safe (pure functions).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace portico::dataplane {

// A bijective mixer (the splitmix64 finaliser): every input bit affects
// every output bit.
inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Eight bytes at a time (read little-endian, as on x86-64 and arm64),
// each chunk mixed in; the length and the seed are mixed in first.
inline uint64_t StableHash64(std::string_view bytes, uint64_t seed = 0) {
  uint64_t h = Mix64(seed ^ (bytes.size() * 0x9e3779b97f4a7c15ULL));
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, bytes.data() + i, 8);
    h = Mix64(h ^ chunk);
  }
  uint64_t tail = 0;
  for (size_t shift = 0; i < bytes.size(); ++i, shift += 8) {
    tail |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << shift;
  }
  return Mix64(h ^ tail ^ 0x5851f42d4c957f2dULL);
}

// A small, fast pseudo-random generator (splitmix64) for per-worker choices
// such as p2c; seeded, so tests see fixed sequences.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return Mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  // Uniform in [0, n) for n > 0 (multiply-shift; bias below 2^-32 for n < 2^32).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

 private:
  uint64_t state_;
};

}  // namespace portico::dataplane
