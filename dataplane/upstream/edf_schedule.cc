#include "dataplane/upstream/edf_schedule.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <queue>

namespace portico::dataplane {
namespace {

// Multipliers tried to turn the weights into integers (multiples of 1/1000).
constexpr uint64_t kScales[] = {1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 200, 250, 500, 1000};

size_t MaxPicks(size_t endpoints) { return std::max<size_t>(64 * endpoints, 65536); }

// The weights as integers with no common divisor, or empty when they are
// not multiples of 1/1000.
std::vector<uint64_t> IntegerWeights(const std::vector<double>& weights) {
  for (uint64_t scale : kScales) {
    std::vector<uint64_t> out;
    uint64_t divisor = 0;
    for (double w : weights) {
      double scaled = w * static_cast<double>(scale);
      double rounded = std::round(scaled);
      if (std::abs(scaled - rounded) > 1e-9 * std::max(1.0, scaled) || rounded < 1) break;
      out.push_back(static_cast<uint64_t>(rounded));
      divisor = std::gcd(divisor, out.back());
    }
    if (out.size() != weights.size()) continue;
    for (uint64_t& a : out) a /= divisor;
    return out;
  }
  return {};
}

// Runs EDF for `picks` picks. Deadline k of endpoint r is
// Deadline(r, k); Earlier(a, b) orders two deadlines.
template <typename Deadline, typename NextDeadline, typename Earlier>
std::vector<uint32_t> Simulate(size_t endpoints, size_t picks, Deadline first, NextDeadline next,
                               Earlier earlier) {
  struct Entry {
    decltype(first(0)) deadline;
    uint64_t seq;
    uint32_t index;
  };
  auto later = [&](const Entry& a, const Entry& b) {
    if (earlier(a.deadline, b.deadline)) return false;
    if (earlier(b.deadline, a.deadline)) return true;
    return a.seq > b.seq;
  };
  std::priority_queue<Entry, std::vector<Entry>, decltype(later)> queue(later);
  uint64_t seq = 0;
  for (uint32_t r = 0; r < endpoints; ++r) queue.push({first(r), ++seq, r});
  std::vector<uint32_t> out;
  out.reserve(picks);
  while (out.size() < picks) {
    Entry e = queue.top();
    queue.pop();
    out.push_back(e.index);
    queue.push({next(e.index, e.deadline), ++seq, e.index});
  }
  return out;
}

}  // namespace

EdfSchedule::EdfSchedule(const std::vector<double>& weights) {
  size_t n = weights.size();
  std::vector<uint64_t> a = IntegerWeights(weights);
  uint64_t period = 0;
  for (uint64_t share : a) period += share;
  if (!a.empty() && period <= MaxPicks(n)) {
    // Exact: with w = a/s, deadline k of r is (r + 1 + k·n) / (n·a) · s;
    // the common factor s/n drops out, leaving (r + 1 + k·n) / a.
    struct Fraction {
      uint64_t num, den;
    };
    exact_ = true;
    picks_ = Simulate(
        n, period,
        [&](uint32_t r) {
          return Fraction{r + 1, a[r]};
        },
        [&](uint32_t r, Fraction d) {
          return Fraction{d.num + n, a[r]};
        },
        [](Fraction x, Fraction y) {
          return static_cast<unsigned __int128>(x.num) * y.den <
                 static_cast<unsigned __int128>(y.num) * x.den;
        });
    return;
  }
  picks_ = Simulate(
      n, MaxPicks(n),
      [&](uint32_t r) { return (1.0 / weights[r]) * (r + 1) / static_cast<double>(n); },
      [&](uint32_t r, double d) { return d + 1.0 / weights[r]; },
      [](double x, double y) { return x < y; });
}

}  // namespace portico::dataplane
