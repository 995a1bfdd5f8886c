#include "dataplane/upstream/round_robin.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace portico::dataplane {
namespace {

Cluster MakeCluster(const std::string& name, int endpoints) {
  Cluster c;
  c.name = name;
  for (int i = 0; i < endpoints; ++i) {
    Endpoint e;
    e.key = "10.0.0." + std::to_string(i + 1) + ":80";
    c.ready.push_back(e);
  }
  return c;
}

std::string Picks(RoundRobinPicker& picker, const Cluster& c, int n, uint64_t now = 0) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const Endpoint* e = picker.Pick(c, now);
    out += e == nullptr ? '-' : e->key[7];  // the last octet's digit
  }
  return out;
}

TEST_CASE("round robin: exact order, and the rotation survives a new snapshot",
          "[round_robin]") {
  RoundRobinPicker picker;
  Cluster a = MakeCluster("ns/app:80", 3);
  CHECK(Picks(picker, a, 7) == "1231231");
  Cluster again = MakeCluster("ns/app:80", 3);  // the same cluster in a new snapshot
  CHECK(Picks(picker, again, 2) == "23");
  Cluster empty = MakeCluster("ns/none:80", 0);
  CHECK(Picks(picker, empty, 1) == "-");
}

TEST_CASE("passive health: consecutive failures eject, success resets the count",
          "[round_robin][passive_health]") {
  RoundRobinPicker picker({.consecutive_failures = 3, .base_ejection_ms = 1000});
  Cluster c = MakeCluster("ns/app:80", 4);
  picker.ReportFailure(c, "10.0.0.2:80", 0);
  picker.ReportFailure(c, "10.0.0.2:80", 0);
  picker.ReportSuccess(c, "10.0.0.2:80");  // the run is broken
  picker.ReportFailure(c, "10.0.0.2:80", 0);
  picker.ReportFailure(c, "10.0.0.2:80", 0);
  CHECK_FALSE(picker.Ejected(c, "10.0.0.2:80", 0));
  picker.ReportFailure(c, "10.0.0.2:80", 0);
  CHECK(picker.Ejected(c, "10.0.0.2:80", 10));
  CHECK(picker.ejections_total() == 1);
  CHECK(Picks(picker, c, 6, 10) == "134134");  // 2 is skipped
  // After the ejection time it is back.
  CHECK(Picks(picker, c, 4, 1000) == "1234");
}

TEST_CASE("passive health: each ejection lasts longer, up to the cap",
          "[round_robin][passive_health]") {
  RoundRobinPicker picker(
      {.consecutive_failures = 1, .base_ejection_ms = 1000, .max_ejection_ms = 2500});
  Cluster c = MakeCluster("ns/app:80", 2);
  picker.ReportFailure(c, "10.0.0.1:80", 0);  // 1st: 1 s
  CHECK(picker.Ejected(c, "10.0.0.1:80", 999));
  CHECK_FALSE(picker.Ejected(c, "10.0.0.1:80", 1000));
  picker.ReportFailure(c, "10.0.0.1:80", 1000);  // 2nd: 2 s
  CHECK(picker.Ejected(c, "10.0.0.1:80", 2999));
  CHECK_FALSE(picker.Ejected(c, "10.0.0.1:80", 3000));
  picker.ReportFailure(c, "10.0.0.1:80", 3000);  // 3rd: 3 s, capped at 2.5 s
  CHECK(picker.Ejected(c, "10.0.0.1:80", 5499));
  CHECK_FALSE(picker.Ejected(c, "10.0.0.1:80", 5500));
}

TEST_CASE("passive health: at most the set share of a cluster is ejected",
          "[round_robin][passive_health]") {
  RoundRobinPicker picker({.consecutive_failures = 1, .max_ejected_percent = 50});
  Cluster c = MakeCluster("ns/app:80", 4);
  for (const char* e : {"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80"}) {
    picker.ReportFailure(c, e, 0);
  }
  CHECK(picker.ejections_total() == 2);  // 2 of 4
  CHECK(Picks(picker, c, 4, 1) == "3434");
  Cluster single = MakeCluster("ns/one:80", 1);
  picker.ReportFailure(single, "10.0.0.1:80", 0);
  CHECK_FALSE(picker.Ejected(single, "10.0.0.1:80", 1));  // never the only endpoint
}

TEST_CASE("passive health: an ejection decided elsewhere applies, within the share cap",
          "[round_robin][passive_health]") {
  RoundRobinPicker decider({.consecutive_failures = 1, .base_ejection_ms = 1000});
  RoundRobinPicker sibling({.consecutive_failures = 1, .base_ejection_ms = 1000});
  Cluster c = MakeCluster("ns/app:80", 4);
  uint64_t until = decider.ReportFailure(c, "10.0.0.2:80", 100);
  CHECK(until == 1100);
  CHECK(decider.ReportFailure(c, "10.0.0.2:80", 200) == 0);  // already out
  sibling.ApplyEjection(c.name, "10.0.0.2:80", 4, until, 150);
  CHECK(sibling.Ejected(c, "10.0.0.2:80", 1099));
  CHECK_FALSE(sibling.Ejected(c, "10.0.0.2:80", 1100));
  sibling.ApplyEjection(c.name, "10.0.0.1:80", 4, 5000, 200);
  sibling.ApplyEjection(c.name, "10.0.0.3:80", 4, 5000, 200);
  sibling.ApplyEjection(c.name, "10.0.0.4:80", 4, 5000, 200);  // over half: refused
  CHECK(Picks(sibling, c, 2, 300) == "24");
  sibling.ApplyEjection(c.name, "10.0.0.4:80", 4, 100, 200);  // already over: ignored
  CHECK_FALSE(sibling.Ejected(c, "10.0.0.4:80", 300));
}

TEST_CASE("passive health can be turned off", "[round_robin][passive_health]") {
  RoundRobinPicker picker({.consecutive_failures = 0});
  Cluster c = MakeCluster("ns/app:80", 2);
  for (int i = 0; i < 100; ++i) picker.ReportFailure(c, "10.0.0.1:80", 0);
  CHECK(Picks(picker, c, 4, 1) == "1212");
}

}  // namespace
}  // namespace portico::dataplane
