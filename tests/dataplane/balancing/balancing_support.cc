#include "tests/dataplane/balancing/balancing_support.h"

#include <catch2/catch.hpp>

#include <stdexcept>

namespace portico::dataplane::testing {

std::string EndpointKey(int n) {
  return "10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256) + ":80";
}

Cluster MakeCluster(const std::string& name, int ready, int terminating, int first) {
  Cluster c;
  c.name = name;
  for (int i = 0; i < ready + terminating; ++i) {
    Endpoint e;
    e.key = EndpointKey(first + i);
    (i < ready ? c.ready : c.terminating).push_back(e);
  }
  return c;
}

std::shared_ptr<const PickerFactory> MustBuild(const Cluster& cluster, const BalancerSpec& spec,
                                               const PickerFactory* previous) {
  std::string error;
  auto factory = PickerFactory::ForCluster(cluster, spec, &error, previous);
  INFO(error);
  REQUIRE(factory != nullptr);
  return factory;
}

char Letter(const Picked& picked) {
  if (picked.endpoint == nullptr) return '-';
  const std::string& key = picked.endpoint->key;  // 10.0.0.N:80
  size_t dot = key.rfind('.');
  int n = std::stoi(key.substr(dot + 1));
  return static_cast<char>('a' + n - 1);
}

std::string Sequence(EndpointPicker& picker, const PickerFactory& factory, int n,
                     const PickRequest& request, PickOutcome outcome) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    Picked picked = picker.Pick(factory, request);
    out += Letter(picked);
    picker.End(picked, outcome, request.now_ms);
  }
  return out;
}

std::string_view FakeHeaders::Get(std::string_view lower_name) const {
  auto it = values_.find(lower_name);
  return it == values_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace portico::dataplane::testing
