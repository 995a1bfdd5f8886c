#include "dataplane/upstream/maglev_table.h"

#include <algorithm>

#include "dataplane/upstream/stable_hash.h"

namespace portico::dataplane {
namespace {

// Primes just below or above powers of two.
constexpr uint64_t kSizes[] = {65537,   131071,  262147,  524287,   1048573,
                               2097143, 4194301, 8388593, 16777213, 33554393};
constexpr uint64_t kOffsetSeed = 0x6d61676c65764f66;  // distinct seeds: offset and skip
constexpr uint64_t kSkipSeed = 0x6d61676c65765369;
constexpr uint32_t kEmpty = UINT32_MAX;

}  // namespace

uint64_t MaglevTable::SizeFor(size_t endpoints) {
  if (endpoints == 0) return 0;
  for (uint64_t size : kSizes) {
    if (size >= 100 * static_cast<uint64_t>(endpoints)) return size;
  }
  return kSizes[std::size(kSizes) - 1];
}

MaglevTable::MaglevTable(const std::vector<std::string_view>& names,
                         const std::vector<double>& weights)
    : size_(SizeFor(names.size())) {
  if (size_ == 0) return;
  size_t n = names.size();
  std::vector<uint64_t> next(n), skip(n);
  for (size_t i = 0; i < n; ++i) {
    next[i] = StableHash64(names[i], kOffsetSeed) % size_;
    skip[i] = StableHash64(names[i], kSkipSeed) % (size_ - 1) + 1;
  }
  double max_weight = *std::max_element(weights.begin(), weights.end());
  std::vector<double> credit(n, 0.0);
  std::vector<uint32_t> table(size_, kEmpty);
  uint64_t filled = 0;
  // Each round, every endpoint earns weight/max_weight entries and claims
  // what it has earned at the next free places of its permutation.
  while (filled < size_) {
    for (size_t i = 0; i < n && filled < size_; ++i) {
      credit[i] += weights[i] / max_weight;
      while (credit[i] >= 1.0 && filled < size_) {
        credit[i] -= 1.0;
        while (table[next[i]] != kEmpty) next[i] = (next[i] + skip[i]) % size_;
        table[next[i]] = static_cast<uint32_t>(i);
        next[i] = (next[i] + skip[i]) % size_;
        ++filled;
      }
    }
  }
  if (n <= UINT16_MAX) {
    narrow_.assign(table.begin(), table.end());
  } else {
    wide_ = std::move(table);
  }
}

uint32_t MaglevTable::Probe(uint64_t hash, uint32_t attempt) const {
  return Lookup(Mix64(hash + attempt));
}

}  // namespace portico::dataplane
