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

// A NACK's resource keys kept for the log and the admin endpoint.
constexpr size_t kMaxNackResourceKeys = 16;

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

std::string CodeName(v1::SnapshotAck::Code code) {
  const std::string& name = v1::SnapshotAck::Code_Name(code);
  return name.empty() ? std::to_string(static_cast<int>(code)) : name;
}

double Seconds(ProxyStream::Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

ProxyStream::ProxyStream(SnapshotServer* server, std::string peer)
    : server_(server), age_deadline_(server->StreamDeadline(started_)) {
  status_.peer = std::move(peer);
  server_->Register(this);  // before the first read, so no Publish can be missed
  StartRead(&in_);
  HappensBefore(&constructed_);
}

void ProxyStream::Offer(SnapshotPtr newest) {
  std::lock_guard lock(mu_);
  schedule_.Offer(std::move(newest));
  NoteBehindLocked();
  MaybeWriteLocked();
}

void ProxyStream::NoteBehindLocked() {
  bool behind = schedule_.newest_version() != schedule_.acked_version();
  if (!behind) {
    behind_since_ = {};
  } else if (behind_since_ == Clock::time_point{}) {
    behind_since_ = Clock::now();
  }
}

ProxyStatus ProxyStream::status() const {
  std::lock_guard lock(mu_);
  ProxyStatus status = status_;
  Clock::time_point now = Clock::now();
  status.acked_version = schedule_.acked_version();
  status.pending_version = schedule_.pending_version();
  status.connected_seconds = Seconds(now - started_);
  status.lag_seconds = behind_since_ == Clock::time_point{} ? 0 : Seconds(now - behind_since_);
  return status;
}

void ProxyStream::Sweep(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (finish_requested_) return;
  if (schedule_.awaiting_answer() && !writing_ &&
      now - pending_since_ > server_->options().ack_timeout) {
    server_->CountAckTimeout();
    LogWarn("controller", "proxy " + status_.node + " did not answer snapshot " +
                              Short(schedule_.pending_version()) + " within " +
                              std::to_string(server_->options().ack_timeout.count()) +
                              " ms; closing its stream");
    FinishLocked(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no answer to the snapshot"));
    return;
  }
  // The age limit waits for a quiet moment: never in the middle of a push.
  if (now >= age_deadline_ && !schedule_.awaiting_answer() && !writing_) {
    LogInfo("controller", "proxy " + status_.node + ": stream age limit reached; it reconnects");
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream age limit reached"));
  }
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
  // Looked up before taking mu_: the server's mutex comes first.
  SnapshotPtr held = server_->Held(hello.current_version());
  std::lock_guard lock(mu_);
  hello_seen_ = true;
  status_.node = Printable(hello.node());
  for (const auto& [key, value] : hello.labels()) {
    if (status_.labels.size() >= 32) break;
    status_.labels[Printable(key)] = Printable(value);
  }
  schedule_.Hello(hello.current_version(), std::move(held));
  NoteBehindLocked();
  LogInfo("controller", "proxy " + status_.node + " connected from " + status_.peer + " (serving " +
                            (hello.current_version().empty() ? std::string("nothing")
                                                             : Short(hello.current_version())) +
                            ")");
  MaybeWriteLocked();
}

void ProxyStream::HandleAck(const v1::SnapshotAck& ack) {
  std::lock_guard lock(mu_);
  if (transfer_ == nullptr || ack.nonce() != transfer_->nonce) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "an answer for a transfer that was not sent"));
    return;
  }
  PushSchedule::Answer answer = schedule_.Answered(ack.version(), ack.accepted(), ack.code());
  if (answer == PushSchedule::Answer::kUnexpected) {
    FinishLocked(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "an answer that names another version"));
    return;
  }
  // The answer can overtake gRPC's last write-done: keep the transfer alive
  // until that callback, but it no longer awaits anything.
  if (!writing_) transfer_.reset();
  NoteBehindLocked();
  if (answer == PushSchedule::Answer::kApplied) {
    LogDebug("controller", "proxy " + status_.node + " applied " + Short(ack.version()));
  } else {
    status_.nacked_version = ack.version();
    status_.nack_code = CodeName(ack.code());
    status_.nack_error = Printable(ack.error());
    status_.nack_resource_keys.clear();
    std::string blamed;
    for (const std::string& key : ack.resource_keys()) {
      if (status_.nack_resource_keys.size() == kMaxNackResourceKeys) break;
      status_.nack_resource_keys.push_back(Printable(key));
      blamed += (blamed.empty() ? " [" : ", ") + status_.nack_resource_keys.back();
    }
    if (!blamed.empty()) blamed += "]";
    server_->CountNack();
    LogWarn("controller", "proxy " + status_.node + " refused snapshot " +
                              Short(Printable(ack.version())) + " (" + status_.nack_code +
                              "): " + status_.nack_error + blamed);
  }
  MaybeWriteLocked();
}

void ProxyStream::MaybeWriteLocked() {
  if (finish_requested_ || !hello_seen_ || writing_) return;
  if (transfer_ == nullptr || next_message_ >= transfer_->messages.size()) {
    // The last transfer is written; the next waits until it is answered.
    if (transfer_ != nullptr && schedule_.awaiting_answer()) return;
    std::optional<PushPlan> plan = schedule_.Next();
    if (!plan) {
      transfer_.reset();
      return;
    }
    transfer_ = server_->TransferFor(*plan);
    next_message_ = 0;
    pending_since_ = Clock::now();
    if (plan->mode != v1::SnapshotBegin::UP_TO_DATE) {
      status_.transfers++;
      status_.transfer_bytes += transfer_->bytes;
    }
  }
  writing_ = true;
  // The transfer stays alive until OnWriteDone, as gRPC requires.
  StartWrite(&transfer_->messages[next_message_++]);
}

void ProxyStream::OnWriteDone(bool ok) {
  Reaction reaction(&constructed_, &reacted_);
  std::lock_guard lock(mu_);
  writing_ = false;
  if (!ok) {
    FinishLocked(grpc::Status::OK);  // the stream broke; the proxy will reconnect
  } else if (finish_requested_) {
    FinishLocked(finish_status_);
  } else {
    // Writing the last message starts the wait for the answer.
    if (transfer_ != nullptr && next_message_ >= transfer_->messages.size()) {
      pending_since_ = Clock::now();
    }
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
  if (finished_ || writing_) return;
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
