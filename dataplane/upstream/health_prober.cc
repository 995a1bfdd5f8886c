#include "dataplane/upstream/health_prober.h"

#include <openssl/ssl.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "dataplane/upstream/health_request.h"

namespace portico::dataplane {
namespace {

constexpr int kMaxRedirects = 5;

uint64_t OrDefault(uint64_t value, uint64_t fallback) { return value != 0 ? value : fallback; }

SslCtxPtr MakeClientContext(const std::string& ca_file) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  static const unsigned char kAlpn[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof kAlpn - 1);
  int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                           : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (ok != 1) {
    LogError("health", absl::StrCat("cannot load the trust store ",
                                    ca_file.empty() ? "(system default)" : ca_file,
                                    ": https checks will fail verification"));
  }
  return ctx;
}

// The name a certificate must match: the Host without its port.
std::string TlsName(const std::string& host) {
  if (!host.empty() && host.front() == '[') return host.substr(1, host.find(']') - 1);
  size_t colon = host.rfind(':');
  return colon == std::string::npos ? host : host.substr(0, colon);
}

std::string TargetKey(const HealthTarget& t) {
  std::string key = t.service;
  key.push_back('\0');
  key.append(t.endpoint).push_back('\0');
  return key.append(t.check.SerializeAsString());
}

}  // namespace

// One (service, endpoint, check): its schedule, the attempt in flight and
// the consecutive results that make the verdict. Its timer is the wait for
// the next check, or the deadline of the check in flight.
struct HealthProber::Target {
  HealthProber* prober = nullptr;
  HealthTarget spec;
  uv_timer_t timer{};
  HealthProbe* probe = nullptr;  // in flight
  bool down = false;
  std::string down_reason;
  uint32_t passes = 0;    // consecutive
  uint32_t failures = 0;  // consecutive
  // Of the check in flight.
  uint64_t started_ms = 0;
  int redirects = 0;
  std::string path;
  // Derived from spec once.
  sockaddr_storage connect_to{};
  std::string host;       // the Host header
  std::string authority;  // address:port connected to
};

HealthProber::HealthProber(Publish publish) : HealthProber(std::move(publish), {}) {}

HealthProber::HealthProber(Publish publish, HealthProberOptions options)
    : publish_(std::move(publish)),
      options_(std::move(options)),
      tls_(MakeClientContext(options_.ca_file)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &wake_, &OnWake);
  wake_.data = this;
}

HealthProber::~HealthProber() {
  Stop();
  if (!started_) {
    // Never ran: close the wake-up handle on this thread.
    uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop_);
}

void HealthProber::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

void HealthProber::Update(std::vector<HealthTarget> targets) {
  // Under the lock: once Stop set the flag, the loop may close wake_.
  std::lock_guard lock(mu_);
  if (stop_requested_) return;
  pending_ = std::move(targets);  // latest wins
  uv_async_send(&wake_);
}

void HealthProber::Stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  if (!started_) return;
  uv_async_send(&wake_);
  thread_.join();
}

void HealthProber::OnWake(uv_async_t* async) {
  auto* self = static_cast<HealthProber*>(async->data);
  std::optional<std::vector<HealthTarget>> pending;
  bool stop = false;
  {
    std::lock_guard lock(self->mu_);
    pending.swap(self->pending_);
    stop = self->stop_requested_;
  }
  if (stop) return self->Shutdown();
  if (pending) self->Apply(std::move(*pending));
}

void HealthProber::Shutdown() {
  for (auto& [key, target] : targets_) Retire(std::move(target));
  targets_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
}

void HealthProber::Apply(std::vector<HealthTarget> targets) {
  absl::flat_hash_map<std::string, std::unique_ptr<Target>> kept;
  kept.reserve(targets.size());
  for (HealthTarget& spec : targets) {
    std::string key = TargetKey(spec);
    if (kept.contains(key)) continue;  // listed twice: one check is enough
    if (auto it = targets_.find(key); it != targets_.end()) {
      kept.emplace(std::move(key), std::move(it->second));
      targets_.erase(it);
      continue;
    }
    kept.emplace(std::move(key), Add(std::move(spec)));
  }
  for (auto& [key, target] : targets_) {
    if (target->down) changed_ = true;  // a down endpoint left
    Retire(std::move(target));
  }
  targets_ = std::move(kept);
  PublishIfChanged();
}

std::unique_ptr<HealthProber::Target> HealthProber::Add(HealthTarget spec) {
  auto t = std::make_unique<Target>();
  t->prober = this;
  t->spec = std::move(spec);
  const v1::HealthCheck& check = t->spec.check;
  uv_timer_init(&loop_, &t->timer);
  t->timer.data = t.get();
  if (std::string error = ValidateHealthCheck(check); !error.empty()) {
    LogWarn("health", absl::StrCat("service ", t->spec.service, " endpoint ", t->spec.endpoint,
                                   ": ", error, "; not checked, counted healthy"));
    return t;
  }
  t->connect_to = t->spec.address;
  auto* in = reinterpret_cast<sockaddr_in*>(&t->connect_to);  // sin_port is where sin6_port is
  if (check.port() != 0) in->sin_port = htons(static_cast<uint16_t>(check.port()));
  t->authority = AddressAuthority(t->connect_to, ntohs(in->sin_port));
  t->host = check.hostname().empty() ? t->authority : check.hostname();
  uint64_t interval = OrDefault(check.interval_ms(), kDefaultHealthIntervalMs);
  uint64_t spread = std::min(interval, options_.first_check_spread_ms);
  uint64_t delay = spread == 0 ? 0 : rng_() % (spread + 1);
  uv_timer_start(&t->timer, &OnTimer, delay, 0);
  return t;
}

void HealthProber::Retire(std::unique_ptr<Target> target) {
  if (target->probe != nullptr) target->probe->Abort();
  Target* t = target.release();
  uv_close(reinterpret_cast<uv_handle_t*>(&t->timer),
           [](uv_handle_t* h) { delete static_cast<Target*>(h->data); });
}

void HealthProber::OnTimer(uv_timer_t* timer) {
  auto* t = static_cast<Target*>(timer->data);
  HealthProber* self = t->prober;
  if (t->probe == nullptr) return self->StartCheck(t);
  t->probe->Abort();
  t->probe = nullptr;
  self->Record(t, false, "timeout");
}

void HealthProber::StartCheck(Target* t) {
  t->started_ms = uv_now(&loop_);
  t->redirects = 0;
  t->path = t->spec.check.path();
  uv_timer_start(&t->timer, &OnTimer,
                 OrDefault(t->spec.check.timeout_ms(), kDefaultHealthTimeoutMs), 0);
  Launch(t);
}

void HealthProber::Launch(Target* t) {
  bool https = t->spec.check.scheme() == "https";
  ProbeRequest request{
      .address = t->connect_to,
      .bytes = BuildHealthRequest(t->spec.check, t->path, t->host),
      .tls = https ? tls_.get() : nullptr,
      .tls_name = https ? TlsName(t->host) : std::string(),
  };
  t->probe = HealthProbe::Start(&loop_, std::move(request), [this, t](ProbeResult result) {
    OnProbeDone(t, std::move(result));
  });
}

void HealthProber::OnProbeDone(Target* t, ProbeResult result) {
  t->probe = nullptr;
  if (!result.answered) return Record(t, false, result.error);
  const v1::HealthCheck& check = t->spec.check;
  bool redirect = result.status >= 300 && result.status < 400 && !result.location.empty();
  if (redirect && check.follow_redirects()) {
    std::optional<std::string> path =
        SameEndpointRedirect(result.location, t->path, check.scheme(), t->host, t->authority);
    if (path) {
      if (t->redirects == kMaxRedirects) {
        return Record(t, false, absl::StrCat("more than ", kMaxRedirects, " redirects"));
      }
      ++t->redirects;
      t->path = std::move(*path);
      return Launch(t);  // within the same deadline
    }
  }
  Record(t, HealthStatusPasses(check, result.status), absl::StrCat("status ", result.status));
}

void HealthProber::Record(Target* t, bool pass, const std::string& reason) {
  checks_total_.fetch_add(1, std::memory_order_relaxed);
  if (!pass) failures_total_.fetch_add(1, std::memory_order_relaxed);
  const v1::HealthCheck& check = t->spec.check;
  if (pass) {
    t->failures = 0;
    ++t->passes;
  } else {
    t->passes = 0;
    ++t->failures;
  }
  uint32_t threshold =
      pass ? std::max(check.healthy_threshold(), 1u) : std::max(check.unhealthy_threshold(), 1u);
  uint32_t streak = pass ? t->passes : t->failures;
  if (t->down == !pass || streak < threshold) {
    // No transition.
  } else {
    t->down = !pass;
    t->down_reason = pass ? std::string() : reason;
    changed_ = true;
    std::string line = absl::StrCat("service ", t->spec.service, " endpoint ", t->spec.endpoint,
                                    pass ? " up after " : " down after ", streak,
                                    pass ? " passed" : " failed", " checks: ", reason);
    pass ? LogInfo("health", line) : LogWarn("health", line);
  }
  uint64_t interval = OrDefault(check.interval_ms(), kDefaultHealthIntervalMs);
  if (t->down) interval = OrDefault(check.unhealthy_interval_ms(), interval);
  uint64_t now = uv_now(&loop_);
  uint64_t next = t->started_ms + interval;
  uv_timer_start(&t->timer, &OnTimer, next > now ? next - now : 0, 0);
  PublishIfChanged();
}

void HealthProber::PublishIfChanged() {
  if (published_ && !changed_) return;
  published_ = true;
  changed_ = false;
  std::vector<DownEndpoint> down;
  for (const auto& [key, t] : targets_) {
    if (t->down) down.push_back({t->spec.service, t->spec.endpoint, t->down_reason});
  }
  if (publish_) publish_(std::make_shared<const HealthStatus>(down));
}

}  // namespace portico::dataplane
