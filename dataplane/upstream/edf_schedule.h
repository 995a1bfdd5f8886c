// EdfSchedule: the pick sequence of smooth weighted round robin by earliest
// deadline first, computed once per config (off the worker loops) and
// shared by every worker, each of which only walks it with its own cursor:
// O(1) per pick whatever the number of endpoints.
//
// Endpoint r of n with weight w has deadlines (r + 1) / (n·w) + k / w for
// k = 0, 1, …; picks follow the deadlines, ties first come, first served.
// Starting deadlines are staggered over one period, so equal weights give
// plain round robin in endpoint order and 5:1:1 gives a a a b a a c. When
// the weights are multiples of 1/1000 the sequence is computed in exact
// integer arithmetic over one whole period (sum of the weights over their
// greatest common divisor: each endpoint gets exactly its share in every
// period); otherwise, or for periods over max(64·n, 65 536) picks, over that
// many picks with floating-point deadlines (shares then exact within one
// pick per that many). Immutable; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace portico::dataplane {

class EdfSchedule {
 public:
  // `weights`: each > 0; at least one.
  explicit EdfSchedule(const std::vector<double>& weights);

  // The index (into `weights`) of the `i`-th pick; repeats forever.
  uint32_t At(uint64_t i) const { return picks_[i % picks_.size()]; }
  size_t size() const { return picks_.size(); }
  bool exact() const { return exact_; }  // a whole period in exact arithmetic

 private:
  std::vector<uint32_t> picks_;
  bool exact_ = false;
};

}  // namespace portico::dataplane
