// MaglevTable: the lookup table of Maglev consistent hashing (Eisenbud et
// al., NSDI 2016). Every endpoint fills table entries in the order of its
// own permutation of the table, derived from its identity alone, so a
// change of one endpoint moves only about 1/N of the keys. Weighted
// endpoints claim entries in proportion to their weight. The size is a
// prime from a fixed ladder (65537, 131071, …), at least 100 entries per
// endpoint, so that adding or removing an endpoint keeps the size (and the
// other endpoints' entries) unless the cluster crosses a rung. Immutable
// once built; shared by every worker.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace portico::dataplane {

class MaglevTable {
 public:
  // `names` are endpoint identities; `weights` parallel, each > 0.
  MaglevTable(const std::vector<std::string_view>& names, const std::vector<double>& weights);

  // The endpoint (an index into `names`) that owns `hash`; the table must
  // not be empty.
  uint32_t Lookup(uint64_t hash) const {
    // The high half of hash × size: uniform in [0, size) without a division.
    auto at = static_cast<uint64_t>((static_cast<unsigned __int128>(hash) * size_) >> 64);
    return narrow_.empty() ? wide_[at] : narrow_[at];
  }
  // The endpoint at an alternative entry for `hash` (attempt 1, 2, …): where
  // a key goes while its own endpoint is ejected; the same for every request
  // with that key, so such keys still stick together.
  uint32_t Probe(uint64_t hash, uint32_t attempt) const;

  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The table size for `endpoints` endpoints (0 for none).
  static uint64_t SizeFor(size_t endpoints);

 private:
  uint64_t size_ = 0;
  // Entries are 16-bit for up to 65 535 endpoints (half the memory), else 32-bit.
  std::vector<uint16_t> narrow_;
  std::vector<uint32_t> wide_;
};

}  // namespace portico::dataplane
