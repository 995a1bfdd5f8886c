// Helpers of the load-balancing tests: clusters with numbered endpoints,
// factories that must build, request headers, and pick sequences written
// as one letter per endpoint (10.0.0.1 → 'a', 10.0.0.2 → 'b', …).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dataplane/upstream/endpoint_picker.h"
#include "dataplane/upstream/picker_factory.h"

namespace portico::dataplane::testing {

// Endpoints 10.0.0.<first>:80 … in order; `terminating` more after them.
Cluster MakeCluster(const std::string& name, int ready, int terminating = 0, int first = 1);
std::string EndpointKey(int n);  // "10.0.0.<n>:80" (n up to 65 535, spread over octets)

std::shared_ptr<const PickerFactory> MustBuild(const Cluster& cluster, const BalancerSpec& spec,
                                               const PickerFactory* previous = nullptr);

// The letter of an endpoint ('a' for 10.0.0.1, …), '-' for none.
char Letter(const Picked& picked);

// `n` picks that each end at once with `outcome`, as letters.
std::string Sequence(EndpointPicker& picker, const PickerFactory& factory, int n,
                     const PickRequest& request = {}, PickOutcome outcome = PickOutcome::kSuccess);

class FakeHeaders : public HeaderLookup {
 public:
  FakeHeaders() = default;
  explicit FakeHeaders(std::map<std::string, std::string> values)
      : values_(values.begin(), values.end()) {}
  std::string_view Get(std::string_view lower_name) const override;
  void Set(const std::string& lower_name, std::string value) {
    values_[lower_name] = std::move(value);
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace portico::dataplane::testing
