#include "controlplane/server/snapshot_server.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "common/log.h"
#include "controlplane/server/proxy_stream.h"

namespace portico::controlplane {

class SnapshotServer::Service final : public v1::SnapshotService::CallbackService {
 public:
  explicit Service(SnapshotServer* server) : server_(server) {}

  grpc::ServerBidiReactor<v1::ProxyMessage, v1::ControllerMessage>* Stream(
      grpc::CallbackServerContext* context) override {
    return new ProxyStream(server_, context->peer());
  }

 private:
  SnapshotServer* server_;
};

SnapshotServer::SnapshotServer() : service_(std::make_unique<Service>(this)) {}

SnapshotServer::~SnapshotServer() { Shutdown(); }

std::string SnapshotServer::Start(const SnapshotServerOptions& options, int* bound_port) {
  bool v6 = options.host.find(':') != std::string::npos;
  std::string address =
      (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), bound_port);
  builder.RegisterService(service_.get());
  // Proxies only send hellos and acks; anything big is abuse.
  builder.SetMaxReceiveMessageSize(1 << 20);
  builder.SetMaxSendMessageSize(-1);
  // Notice dead proxies (and keep NAT state alive) on otherwise idle streams.
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Proxies ping every 30 s on a stream that is idle between snapshots. gRPC's
  // default (one ping per 5 min without data) would count those as strikes and
  // close the stream with GOAWAY "too_many_pings".
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || *bound_port <= 0) {
    server_.reset();
    return "grpc: cannot listen on " + address;
  }
  return "";
}

void SnapshotServer::Publish(std::shared_ptr<const v1::Snapshot> snapshot) {
  auto message = std::make_shared<v1::ControllerMessage>();
  *message->mutable_snapshot() = *snapshot;
  std::lock_guard lock(mu_);
  if (current_ && current_->snapshot().version() == snapshot->version()) return;
  current_ = std::move(message);
  for (ProxyStream* stream : streams_) stream->Offer(current_);
}

void SnapshotServer::Shutdown() {
  if (server_ == nullptr) return;
  // A deadline in the past cancels the open streams at once.
  server_->Shutdown(std::chrono::system_clock::now());
  {
    std::unique_lock lock(mu_);
    if (!drained_.wait_for(lock, std::chrono::seconds(5), [this] { return streams_.empty(); })) {
      LogError("controller", "snapshot streams still open after shutdown");
    }
  }
  server_->Wait();
  server_.reset();
}

std::shared_ptr<grpc::Channel> SnapshotServer::InProcessChannel() {
  return server_->InProcessChannel(grpc::ChannelArguments());
}

std::vector<ProxyStatus> SnapshotServer::Proxies() const {
  std::vector<ProxyStatus> out;
  std::lock_guard lock(mu_);
  for (const ProxyStream* stream : streams_) out.push_back(stream->status());
  return out;
}

void SnapshotServer::Register(ProxyStream* stream) {
  std::lock_guard lock(mu_);
  streams_.insert(stream);
  if (current_) stream->Offer(current_);
}

void SnapshotServer::Unregister(ProxyStream* stream) {
  std::lock_guard lock(mu_);
  streams_.erase(stream);
  if (streams_.empty()) drained_.notify_all();
}

}  // namespace portico::controlplane
