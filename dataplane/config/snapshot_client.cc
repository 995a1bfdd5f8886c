#include "dataplane/config/snapshot_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/snapshot/snapshot_delta.h"
#include "common/snapshot/snapshot_transfer.h"
#include "dataplane/config/config_publisher.h"
#include "dataplane/tls/channel_pem.h"
#include "portico/v1/snapshot.grpc.pb.h"

namespace portico::dataplane {
namespace {
// Transfers arrive in chunks of at most 1 MiB (64 KiB today); the limit
// leaves room for the chunk's own fields and for a later protocol.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
// NACK messages stay short (Envoy #9785: huge NACKs hurt the control plane).
constexpr size_t kMaxNackBytes = 2048;

struct Verdict {
  v1::SnapshotAck::Code code = v1::SnapshotAck::OK;
  std::string error;
  std::string resource_key;  // the resource a VALIDATION refusal blames, if one
};

// Applies one committed transfer through the publisher.
Verdict ApplyTransfer(const v1::SnapshotBegin& begin, const std::string& payload,
                             ConfigPublisher* publisher) {
  auto snapshot = std::make_shared<SharedSnapshot>();
  std::optional<absl::flat_hash_set<std::string>> changed_clusters;  // endpoint-only delta
  if (begin.mode() == v1::SnapshotBegin::FULL) {
    v1::Snapshot whole;
    if (!whole.ParseFromString(payload)) {
      return {v1::SnapshotAck::PROTOCOL, "the snapshot does not parse"};
    }
    if (whole.version() != begin.version()) {
      return {v1::SnapshotAck::PROTOCOL, "the snapshot's version differs from the announced one"};
    }
    *snapshot = SharedSnapshot::FromMessage(std::move(whole));
  } else {
    std::shared_ptr<const SharedSnapshot> base = publisher->snapshot();
    if (base == nullptr || base->version() != begin.base_version()) {
      return {v1::SnapshotAck::BASE_MISMATCH,
              absl::StrCat("a delta from ", begin.base_version().substr(0, 12), ", but serving ",
                           base ? base->version().substr(0, 12) : std::string("nothing"))};
    }
    v1::SnapshotDelta delta;
    if (!delta.ParseFromString(payload)) {
      return {v1::SnapshotAck::PROTOCOL, "the delta does not parse"};
    }
    if (std::string e = ApplySnapshotDelta(*base, delta, begin.version(), snapshot.get());
        !e.empty()) {
      return {v1::SnapshotAck::BASE_MISMATCH, e};
    }
    if (OnlyClustersChanged(delta)) {
      changed_clusters.emplace();
      for (const v1::Cluster& c : delta.upserted_clusters()) changed_clusters->insert(c.name());
      for (const std::string& name : delta.removed_clusters()) changed_clusters->insert(name);
    }
  }
  ConfigError error =
      publisher->Apply(std::move(snapshot), changed_clusters ? &*changed_clusters : nullptr);
  if (!error.message.empty()) {
    return {v1::SnapshotAck::VALIDATION, std::move(error.message), std::move(error.resource_key)};
  }
  return {};
}

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

void SnapshotClient::ReloadTls() {
  if (!options_.tls || options_.tls->certificate_file.empty()) return;
  ClientTls& tls = *options_.tls;
  ChannelPem pem;
  if (std::string e = LoadChannelPem(tls.certificate_file, tls.private_key_file,
                                     tls.server_ca_file, &pem);
      !e.empty()) {
    LogWarn("proxy", "snapshot channel: " + e + "; keeping the certificates loaded before");
    return;
  }
  if (pem.certificate_chain == tls.certificate_chain && pem.private_key == tls.private_key &&
      pem.ca == tls.server_ca) {
    return;
  }
  tls.certificate_chain = std::move(pem.certificate_chain);
  tls.private_key = std::move(pem.private_key);
  tls.server_ca = std::move(pem.ca);
  LogInfo("proxy", "snapshot channel: certificate files changed; this connection uses them");
}

bool SnapshotClient::RunStream(const std::string& address) {
  ReloadTls();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // A fixed 8 MiB stream window instead of BDP probing, which starts at
  // 64 KiB and ramps slowly: a 1.7 MiB snapshot arrived in 120-270 ms with
  // probing, 65 ms without (bench/fanout_bench).
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 8 << 20);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  // Keep pinging a stream that is idle between snapshots, so a controller
  // that vanished without a FIN is noticed within 40 s.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (options_.tls) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = options_.tls->server_ca;
    tls.pem_cert_chain = options_.tls->certificate_chain;
    tls.pem_private_key = options_.tls->private_key;
    credentials = grpc::SslCredentials(tls);
    // The controller's certificate must name this host (a Service name
    // behind a load balancer, say), not the address dialled.
    if (!options_.tls->server_name.empty()) {
      args.SetSslTargetNameOverride(options_.tls->server_name);
    }
  }
  auto channel = grpc::CreateCustomChannel(address, credentials, args);
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
  hello.mutable_hello()->set_protocol(v1::PROTOCOL_CHUNKED);
  for (const auto& [key, value] : options_.labels) (*hello.mutable_hello()->mutable_labels())[key] = value;
  // Connected once the hello is out: a controller with nothing newer than
  // what this proxy serves may send nothing, and that is a healthy stream.
  bool received = false;
  std::string protocol_error;
  if (stream->Write(hello)) {
    received = true;
    connected_.store(true);
    LogInfo("proxy", absl::StrCat("connected to controller ", address));
    TransferAssembler assembler;
    v1::ControllerMessage message;
    while (protocol_error.empty() && stream->Read(&message)) {
      TransferAssembler::Step step = assembler.Feed(message);
      if (step == TransferAssembler::Step::kInProgress) continue;
      if (step == TransferAssembler::Step::kError) {
        protocol_error = assembler.error();
        break;
      }
      const v1::SnapshotBegin& begin = assembler.begin();
      if (step == TransferAssembler::Step::kUpToDate) {
        LogInfo("proxy", absl::StrCat("controller ", begin.controller(), ": version ",
                                      begin.version().substr(0, 12), " is current"));
        continue;
      }
      Verdict verdict = ApplyTransfer(begin, assembler.TakePayload(), publisher_);
      if (verdict.code != v1::SnapshotAck::OK) {
        nacks_.fetch_add(1);
        LogWarn("proxy", absl::StrCat("refused snapshot ", begin.version().substr(0, 12), " (",
                                      v1::SnapshotAck::Code_Name(verdict.code), "): ",
                                      verdict.error));
      } else if (begin.mode() == v1::SnapshotBegin::DELTA) {
        deltas_applied_.fetch_add(1);
      }
      v1::ProxyMessage ack;
      v1::SnapshotAck* a = ack.mutable_ack();
      a->set_version(begin.version());
      a->set_nonce(begin.nonce());
      a->set_accepted(verdict.code == v1::SnapshotAck::OK);
      a->set_code(verdict.code);
      a->set_error(verdict.error.substr(0, kMaxNackBytes));
      if (!verdict.resource_key.empty()) a->add_resource_keys(verdict.resource_key);
      if (!stream->Write(ack)) break;
    }
  }
  if (!protocol_error.empty()) context.TryCancel();
  grpc::Status status = stream->Finish();
  connected_.store(false);
  {
    std::lock_guard lock(mu_);
    context_ = nullptr;
    if (stopping_) return received;
  }
  std::string why = !protocol_error.empty() ? "protocol error: " + protocol_error
                    : status.error_message().empty() ? std::string("closed")
                                                     : status.error_message();
  LogWarn("proxy", absl::StrCat("snapshot stream to ", address, " ended: ", why,
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
