#include "controlplane/server/snapshot_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <chrono>
#include <random>

#include "common/log.h"
#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_transfer.h"
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

namespace {

std::string Serialize(const google::protobuf::Message& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  return bytes;
}

}  // namespace

SnapshotServer::SnapshotServer() : service_(std::make_unique<Service>(this)) {}

SnapshotServer::~SnapshotServer() { Shutdown(); }

std::string SnapshotServer::Start(const SnapshotServerOptions& options, int* bound_port) {
  options_ = options;
  if (options_.replica.empty()) options_.replica = "controller";
  bool v6 = options.host.find(':') != std::string::npos;
  std::string address =
      (v6 ? "[" + options.host + "]" : options.host) + ":" + std::to_string(options.port);
  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (options.tls && !options.tls->certificate_file.empty()) {
    // The files, watched: only proxies holding a certificate signed by the
    // CA may connect (snapshots carry private keys).
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        options.tls->private_key_file, options.tls->certificate_file,
        options.tls->client_ca_file, options.tls->refresh_s);
    grpc::experimental::TlsServerCredentialsOptions tls(provider);
    tls.watch_root_certs();
    tls.watch_identity_key_cert_pairs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    credentials = grpc::experimental::TlsServerCredentials(tls);
  } else if (options.tls) {
    grpc::SslServerCredentialsOptions tls(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = options.tls->client_ca;
    tls.pem_key_cert_pairs.push_back(
        {.private_key = options.tls->private_key, .cert_chain = options.tls->certificate_chain});
    credentials = grpc::SslServerCredentials(tls);
  }
  builder.AddListeningPort(address, credentials, bound_port);
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
    return "grpc: cannot listen on " + address +
           (options.tls ? " (or its certificate, key or CA is not valid PEM)" : "");
  }
  sweeper_ = std::thread([this] { Sweep(); });
  return "";
}

std::chrono::steady_clock::time_point SnapshotServer::StreamDeadline(
    std::chrono::steady_clock::time_point start) {
  if (options_.max_stream_age.count() <= 0) return std::chrono::steady_clock::time_point::max();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jitter(0, options_.max_stream_age_jitter.count());
  return start + options_.max_stream_age + std::chrono::milliseconds(jitter(rng));
}

void SnapshotServer::Sweep() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Deadlines are checked four times per ack timeout, at most once per 10 ms.
    auto period = std::max(std::chrono::milliseconds(10), options_.ack_timeout / 4);
    sweep_wake_.wait_for(lock, std::min<std::chrono::milliseconds>(period, std::chrono::seconds(1)));
    auto now = std::chrono::steady_clock::now();
    for (ProxyStream* stream : streams_) stream->Sweep(now);
  }
}

SnapshotPtr SnapshotServer::Held(const std::string& version) const {
  if (version.empty()) return nullptr;
  std::lock_guard lock(mu_);
  for (const SnapshotPtr& snapshot : recent_) {
    if (snapshot->version() == version) return snapshot;
  }
  return nullptr;
}

TransferPtr SnapshotServer::TransferFor(const PushPlan& plan) {
  v1::SnapshotBegin begin;
  begin.set_mode(plan.mode);
  begin.set_version(plan.target->version());
  begin.set_controller(options_.replica);
  if (plan.mode == v1::SnapshotBegin::UP_TO_DATE) {
    auto transfer = std::make_shared<Transfer>();
    transfer->nonce = next_nonce_.fetch_add(1);
    begin.set_nonce(transfer->nonce);
    transfer->messages = BuildTransfer(std::move(begin), "");
    return transfer;
  }
  std::string base_version = plan.mode == v1::SnapshotBegin::DELTA ? plan.base->version() : "";
  std::lock_guard lock(transfers_mu_);
  // Only transfers to the newest snapshot are worth keeping.
  if (transfers_target_ != plan.target->version()) {
    transfers_.clear();
    transfers_target_ = plan.target->version();
  }
  TransferPtr& cached = transfers_[{base_version, plan.target->version()}];
  if (cached != nullptr) return cached;
  // Built under the lock: streams that want the same transfer wait for this
  // one build instead of repeating it.
  auto transfer = std::make_shared<Transfer>();
  transfer->nonce = next_nonce_.fetch_add(1);
  begin.set_nonce(transfer->nonce);
  begin.set_base_version(base_version);
  std::string payload = plan.mode == v1::SnapshotBegin::DELTA
                            ? Serialize(BuildSnapshotDelta(*plan.base, *plan.target))
                            : plan.target->Serialize();
  transfer->bytes = payload.size();
  transfer->messages = BuildTransfer(
      std::move(begin), payload, options_.chunk_bytes > 0 ? options_.chunk_bytes : kSnapshotChunkBytes);
  transfers_built_.fetch_add(1);
  cached = transfer;
  return cached;
}

void SnapshotServer::Publish(SnapshotPtr snapshot) {
  std::vector<SnapshotPtr> dropped;
  {
    std::lock_guard lock(mu_);
    if (!recent_.empty() && recent_.back()->version() == snapshot->version()) return;
    recent_.push_back(snapshot);
    while (recent_.size() > std::max<size_t>(1, options_.recent_snapshots)) {
      dropped.push_back(std::move(recent_.front()));
      recent_.pop_front();
    }
    for (ProxyStream* stream : streams_) stream->Offer(snapshot);
  }
  // A dropped snapshot no stream holds is freed off this thread.
  for (SnapshotPtr& old : dropped) release_.Release(std::move(old));
}

void SnapshotServer::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  sweep_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
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
  if (!recent_.empty()) stream->Offer(recent_.back());
}

void SnapshotServer::Unregister(ProxyStream* stream) {
  std::lock_guard lock(mu_);
  streams_.erase(stream);
  if (streams_.empty()) drained_.notify_all();
}

}  // namespace portico::controlplane
