// MirrorRequest: a copy of a client's request sent to a mirror service
// (Traefik's `mirroring`), whose response is read and dropped. It picks its
// own endpoint, reports the outcome to the picker like any request (so a
// failing mirror is ejected too) and frees itself when done. Nothing it
// does reaches the client: its failures are counted, never answered.
// Loop thread only; the worker closes the ones in flight when it stops.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/http/upstream_owner.h"
#include "dataplane/upstream/endpoint_picker.h"

namespace portico::dataplane {

class UpstreamConnection;
class Worker;

class MirrorRequest final : public UpstreamOwner {
 public:
  // Sends `request` (head and whole body, serialized for this endpoint:
  // its Host is `host`) to the endpoint `picked` holds.
  static void Start(Worker* worker, Picked picked, std::string request, std::string_view host,
                    bool head_request);
  // Worker shutdown: closes the connection and frees the mirror.
  void Abandon();

  void OnUpstreamHead(const ResponseHead& head) override;
  void OnUpstreamBody(const char*, size_t) override {}
  void OnUpstreamComplete(bool reusable, const HeaderList& trailers) override;
  void OnUpstreamUpgraded() override;
  void OnUpstreamTunnelEnd() override {}
  void OnUpstreamFailed(UpstreamError error, bool reused) override;
  void OnUpstreamWritable() override {}
  void Cork() override { ++depth_; }
  void Uncork() override;

 private:
  MirrorRequest(Worker* worker, Picked picked) : worker_(worker), picked_(std::move(picked)) {}
  ~MirrorRequest() = default;
  void Finish(PickOutcome outcome);

  Worker* worker_;
  Picked picked_;
  UpstreamConnection* upstream_ = nullptr;
  PickOutcome verdict_ = PickOutcome::kUnjudged;
  int depth_ = 0;     // inside the connection's read callback: free only after it
  bool done_ = false;
};

}  // namespace portico::dataplane
