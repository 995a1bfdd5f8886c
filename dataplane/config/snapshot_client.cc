#include "dataplane/config/snapshot_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/config/config_publisher.h"
#include "portico/v1/snapshot.grpc.pb.h"

namespace portico::dataplane {
namespace {
// Snapshots are sent whole in this version of the protocol.
constexpr int kMaxSnapshotBytes = 256 * 1024 * 1024;
}  // namespace

SnapshotClient::SnapshotClient(SnapshotClientOptions options, ConfigPublisher* publisher)
    : options_(std::move(options)), publisher_(publisher) {}

SnapshotClient::~SnapshotClient() { Stop(); }

void SnapshotClient::Start() {
  thread_ = std::thread([this] { Run(); });
}

void SnapshotClient::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SnapshotClient::Run() {
  // Addresses are tried in turn: after a stream that ended, the next one
  // after 50-100 ms; after a failed attempt, the next one at once, and the
  // backoff grows only with whole rounds of addresses that all failed.
  size_t next = 0;
  int failed_rounds = 0;
  size_t failures_this_round = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    const std::string& address = options_.controllers[next % options_.controllers.size()];
    ++next;
    if (RunStream(address)) {
      // The stream ended after working: the next address after a short pause.
      failed_rounds = 0;
      failures_this_round = 0;
    } else if (++failures_this_round >= options_.controllers.size()) {
      failures_this_round = 0;
      ++failed_rounds;
    } else {
      continue;
    }
    WaitBackoff(failed_rounds);
  }
}

bool SnapshotClient::RunStream(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxSnapshotBytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  // Keep pinging a stream that is idle between snapshots, so a controller
  // that vanished without a FIN is noticed within 40 s.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  auto channel =
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::SnapshotService::NewStub(channel);
  grpc::ClientContext context;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    context_ = &context;
  }
  auto stream = stub->Stream(&context);
  v1::ProxyMessage hello;
  hello.mutable_hello()->set_node(options_.node);
  hello.mutable_hello()->set_build(options_.build);
  hello.mutable_hello()->set_current_version(publisher_->version());
  // Connected once the hello is out: a controller with nothing newer than
  // what this proxy serves sends nothing, and that is a healthy stream.
  bool received = false;
  if (stream->Write(hello)) {
    received = true;
    connected_.store(true);
    LogInfo("proxy", absl::StrCat("connected to controller ", address));
    v1::ControllerMessage message;
    while (stream->Read(&message)) {
      if (!message.has_snapshot()) continue;
      const v1::Snapshot& snapshot = message.snapshot();
      std::string error = publisher_->Apply(snapshot);
      if (!error.empty()) {
        LogWarn("proxy",
                absl::StrCat("rejected snapshot ", snapshot.version().substr(0, 12), ": ", error));
      }
      v1::ProxyMessage ack;
      ack.mutable_ack()->set_version(snapshot.version());
      ack.mutable_ack()->set_accepted(error.empty());
      ack.mutable_ack()->set_error(error);
      if (!stream->Write(ack)) break;
    }
  }
  grpc::Status status = stream->Finish();
  connected_.store(false);
  {
    std::lock_guard lock(mu_);
    context_ = nullptr;
    if (stopping_) return received;
  }
  LogWarn("proxy", absl::StrCat("snapshot stream to ", address, " ended: ",
                                status.error_message().empty() ? "closed" : status.error_message(),
                                "; serving the last good config and reconnecting"));
  return received;
}

void SnapshotClient::WaitBackoff(int attempt) {
  // Jittered exponential backoff: 100 ms doubling to 10 s, each wait drawn
  // uniformly from [half, full] so that many proxies do not reconnect in step.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  double full_ms = std::min(10'000.0, 100.0 * (1 << std::min(attempt, 7)));
  std::uniform_real_distribution<double> jitter(full_ms / 2, full_ms);
  std::unique_lock lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(static_cast<int64_t>(jitter(rng))),
                 [this] { return stopping_; });
}

}  // namespace portico::dataplane
