#include "controlplane/server/proxy_stream.h"

#include "common/happens_before.h"
#include "common/log.h"

namespace portico::controlplane {
namespace {

// Proxy-supplied text goes into logs: keep it short and printable.
std::string Printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 200; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  if (text.size() > 200) out += "...";
  return out;
}

std::string Short(const std::string& version) { return version.substr(0, 12); }

// Brackets OnReadDone and OnWriteDone. gRPC creates the reactor on one of
// its threads and runs the reactions on others; it orders them after the
// constructor and before OnDone with its own (uninstrumented) locks.
class Reaction {
 public:
  Reaction(const char* constructed, const char* reacted) : reacted_(reacted) {
    HappensAfter(constructed);
  }
  ~Reaction() { HappensBefore(reacted_); }
  Reaction(const Reaction&) = delete;
  Reaction& operator=(const Reaction&) = delete;

 private:
  const char* reacted_;
};

}  // namespace

ProxyStream::ProxyStream(SnapshotServer* server, std::string peer) : server_(server) {
  status_.peer = std::move(peer);
  server_->Register(this);  // before the first read, so no Publish can be missed
  StartRead(&in_);
  HappensBefore(&constructed_);
}

void ProxyStream::Offer(std::shared_ptr<const v1::ControllerMessage> message) {
  std::lock_guard lock(mu_);
  outgoing_.Offer(std::move(message));
  MaybeWriteLocked();
}

ProxyStatus ProxyStream::status() const {
  std::lock_guard lock(mu_);
  ProxyStatus status = status_;
  status.sent_version = outgoing_.sent_version();
  return status;
}

void ProxyStream::OnReadDone(bool ok) {
  Reaction reaction(&constructed_, &reacted_);
  if (!ok) {  // the proxy closed its side, or the call was cancelled
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status::OK);
    return;
  }
  bool hello_seen;
  {
    std::lock_guard lock(mu_);
    hello_seen = hello_seen_;
    if (!hello_seen && !in_.has_hello()) {
      FinishLocked(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "the first message must be a hello"));
      return;
    }
  }
  if (!hello_seen) {
    HandleHello(in_.hello());
  } else if (in_.has_ack()) {
    HandleAck(in_.ack());
  }
  std::lock_guard lock(mu_);
  if (!finish_requested_) StartRead(&in_);
}

void ProxyStream::HandleHello(const v1::ProxyHello& hello) {
  std::lock_guard lock(mu_);
  hello_seen_ = true;
  status_.node = Printable(hello.node());
  // What the proxy already serves needs no sending.
  outgoing_.SetPeerVersion(hello.current_version());
  status_.acked_version = hello.current_version();
  LogInfo("controller", "proxy " + status_.node + " connected from " + status_.peer + " (serving " +
                            (hello.current_version().empty() ? std::string("nothing")
                                                             : Short(hello.current_version())) +
                            ")");
  MaybeWriteLocked();
}

void ProxyStream::HandleAck(const v1::SnapshotAck& ack) {
  std::lock_guard lock(mu_);
  // The answer can overtake gRPC's write-done callback: it proves delivery.
  outgoing_.Delivered(ack.version());
  if (ack.accepted()) {
    status_.acked_version = ack.version();
    LogDebug("controller", "proxy " + status_.node + " applied " + Short(ack.version()));
    return;
  }
  status_.nacked_version = ack.version();
  status_.nack_error = Printable(ack.error());
  server_->CountNack();
  LogWarn("controller", "proxy " + status_.node + " refused snapshot " + Printable(ack.version()) +
                            ": " + status_.nack_error);
}

void ProxyStream::MaybeWriteLocked() {
  if (finish_requested_ || !hello_seen_) return;
  // The slot keeps the message alive until WriteDone, as gRPC requires.
  if (LatestWinsSlot::Message next = outgoing_.TakeNext()) StartWrite(next.get());
}

void ProxyStream::OnWriteDone(bool ok) {
  Reaction reaction(&constructed_, &reacted_);
  std::lock_guard lock(mu_);
  outgoing_.WriteDone(ok);
  if (!ok) {
    FinishLocked(grpc::Status::OK);  // the stream broke; the proxy will reconnect
  } else if (finish_requested_) {
    FinishLocked(finish_status_);
  } else {
    MaybeWriteLocked();
  }
}

// Finish may not overlap a write: with one in flight it is deferred to
// OnWriteDone.
void ProxyStream::FinishLocked(const grpc::Status& status) {
  if (!finish_requested_) {
    finish_requested_ = true;
    finish_status_ = status;
  }
  if (finished_ || outgoing_.writing()) return;
  finished_ = true;
  Finish(finish_status_);
}

void ProxyStream::OnDone() {
  HappensAfter(&constructed_);
  HappensAfter(&reacted_);
  server_->Unregister(this);
  std::string node;
  {
    std::lock_guard lock(mu_);
    node = status_.node.empty() ? status_.peer : status_.node;
  }
  LogInfo("controller", "proxy " + node + " disconnected");
  delete this;
}

}  // namespace portico::controlplane
