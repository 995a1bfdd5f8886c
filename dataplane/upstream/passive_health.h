// Passive health (outlier detection) of one endpoint, as the pickers of a
// worker judge it from the requests they proxy: `consecutive_failures`
// failures in a row eject the endpoint for a time that grows with each
// ejection, while at most `max_ejected_percent` of a cluster is out at once.
// Plain data and free functions so that every picker (RoundRobinPicker,
// EndpointPicker) applies the same rules. Not thread-safe (worker-owned).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

struct EndpointHealth {
  int consecutive_failures = 0;
  int ejections = 0;           // how often it was ejected (grows the ejection time)
  uint64_t ejected_until = 0;  // loop time; 0: not ejected
  uint64_t first_failure_ms = 0;  // loop time of the current run's first failure
};

// `ejected` counts a cluster's endpoints whose ejected_until != 0; the
// functions below keep it in step.

// True while `health` is ejected; ends an ejection that has run out.
bool StillEjected(EndpointHealth& health, int& ejected, uint64_t now_ms);

// A failed request. Returns the loop time until which the endpoint is now
// ejected, or 0 when this failure did not eject it (not enough failures in a
// row, already out, or the share cap of `cluster_size` is reached).
uint64_t RecordFailure(const PassiveHealthPolicy& policy, EndpointHealth& health, int& ejected,
                       size_t cluster_size, uint64_t now_ms);

// An ejection another worker decided; extends a running one. Returns true
// when it started a new ejection here.
bool RecordEjection(const PassiveHealthPolicy& policy, EndpointHealth& health, int& ejected,
                    size_t cluster_size, uint64_t until_ms, uint64_t now_ms);

}  // namespace portico::dataplane
