#include "controlplane/kube/leader_elector.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <ctime>

#include "common/log.h"

namespace portico::controlplane {
namespace {

using SystemTime = std::chrono::system_clock::time_point;

std::string StringAt(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

int64_t IntAt(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return 0;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

}  // namespace

std::string FormatMicroTime(SystemTime t) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(micros % 1'000'000));
  return text;
}

bool ParseMicroTime(std::string_view text, SystemTime* t) {
  std::string s(text);
  std::tm tm{};
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      consumed != 19) {
    return false;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100'000;
    for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
    }
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t seconds = timegm(&tm);
  *t = SystemTime(std::chrono::seconds(seconds)) + std::chrono::microseconds(micros);
  return true;
}

LeaderElector::LeaderElector(uv_loop_t* loop, KubeApiClient* client, LeaderElectorOptions options,
                             LeaderCallbacks callbacks)
    : loop_(loop),
      client_(client),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)) {}

LeaderElector::~LeaderElector() { Close(); }

std::string LeaderElector::lease_path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + options_.lease_namespace + "/leases/" +
         options_.lease_name;
}

void LeaderElector::Start() {
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  Schedule(std::chrono::milliseconds(0));
}

void LeaderElector::Schedule(std::chrono::milliseconds delay) {
  if (timer_ == nullptr) return;
  uv_timer_start(
      timer_, [](uv_timer_t* t) { static_cast<LeaderElector*>(t->data)->Tick(); },
      static_cast<uint64_t>(delay.count()), 0);
}

void LeaderElector::Tick() {
  if (stopped_) {
    if (release_done_) {
      // The release write ended, or took a whole retry period: give up on it.
      if (in_flight_ != 0) client_->Cancel(in_flight_);
      in_flight_ = 0;
      auto done = std::move(release_done_);
      release_done_ = nullptr;
      done();
    }
    return;
  }
  CheckDeadline();
  if (in_flight_ != 0 &&
      std::chrono::steady_clock::now() - in_flight_since_ > options_.retry_period) {
    client_->Cancel(in_flight_);  // hung: a fresh attempt replaces it
    in_flight_ = 0;
  }
  if (in_flight_ == 0) Read();
  Schedule(options_.retry_period);
}

void LeaderElector::CheckDeadline() {
  if (leading_ && std::chrono::steady_clock::now() - last_renew_ > options_.renew_deadline) {
    LogWarn("leader", "lease " + options_.lease_namespace + "/" + options_.lease_name +
                          " not renewed within the renew deadline: stepping down");
    SetLeading(false);
  }
}

void LeaderElector::Read() {
  stats_.attempts++;
  body_.clear();
  in_flight_since_ = std::chrono::steady_clock::now();
  in_flight_ = client_->Get({.path = lease_path(), .idle_timeout_s = 10},
                            {.on_body = [this](int, std::string_view piece) { body_ += piece; },
                             .on_done =
                                 [this](const ApiResult& r) {
                                   in_flight_ = 0;
                                   if (r.status == 0) {
                                     stats_.errors++;
                                     LogWarn("leader", "reading the lease: " + r.error);
                                     return;
                                   }
                                   OnRead(r.status, body_);
                                 }});
}

void LeaderElector::OnRead(int status, const std::string& body) {
  if (stopped_) return;
  Lease seen;
  if (status == 404) {
    Write(seen, false);
    return;
  }
  if (status != 200) {
    stats_.errors++;
    LogWarn("leader", "reading the lease: HTTP " + std::to_string(status));
    return;
  }
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    stats_.errors++;
    LogWarn("leader", "the lease is not a JSON object");
    return;
  }
  seen.exists = true;
  auto metadata = doc.FindMember("metadata");
  auto spec = doc.FindMember("spec");
  const rapidjson::Value empty;
  const rapidjson::Value& m = metadata != doc.MemberEnd() ? metadata->value : empty;
  const rapidjson::Value& s = spec != doc.MemberEnd() ? spec->value : empty;
  seen.resource_version = StringAt(m, "resourceVersion");
  seen.holder = StringAt(s, "holderIdentity");
  seen.duration_s = IntAt(s, "leaseDurationSeconds");
  seen.transitions = IntAt(s, "leaseTransitions");
  bool has_renew = ParseMicroTime(StringAt(s, "renewTime"), &seen.renew_time);
  ParseMicroTime(StringAt(s, "acquireTime"), &seen.acquire_time);
  auto duration = seen.duration_s > 0
                      ? std::chrono::seconds(seen.duration_s)
                      : std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration);
  bool ours = seen.holder == options_.identity;
  bool expired = !has_renew || seen.renew_time + duration < options_.now();
  if (ours || seen.holder.empty() || expired) {
    Write(seen, false);
    return;
  }
  if (leading_) {
    LogWarn("leader", "lease taken by " + seen.holder + ": stepping down");
    SetLeading(false);
  }
}

std::string LeaderElector::LeaseBody(const Lease& seen, bool release) const {
  SystemTime now = options_.now();
  bool ours = seen.exists && seen.holder == options_.identity;
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("apiVersion");
  w.String("coordination.k8s.io/v1");
  w.Key("kind");
  w.String("Lease");
  w.Key("metadata");
  w.StartObject();
  w.Key("name");
  w.String(options_.lease_name.c_str());
  w.Key("namespace");
  w.String(options_.lease_namespace.c_str());
  if (seen.exists) {
    w.Key("resourceVersion");
    w.String(seen.resource_version.c_str());
  }
  w.EndObject();
  w.Key("spec");
  w.StartObject();
  w.Key("holderIdentity");
  w.String(release ? "" : options_.identity.c_str());
  w.Key("leaseDurationSeconds");
  // A released lease is free at once; client-go writes 1 s as well.
  w.Int64(release
              ? 1
              : std::chrono::duration_cast<std::chrono::seconds>(options_.lease_duration).count());
  w.Key("acquireTime");
  w.String(FormatMicroTime(ours ? seen.acquire_time : now).c_str());
  w.Key("renewTime");
  w.String(FormatMicroTime(now).c_str());
  w.Key("leaseTransitions");
  w.Int64(seen.transitions + (seen.exists && !ours && !release ? 1 : 0));
  w.EndObject();
  w.EndObject();
  return out.GetString();
}

void LeaderElector::Write(const Lease& seen, bool release) {
  std::string path = seen.exists ? lease_path()
                                 : "/apis/coordination.k8s.io/v1/namespaces/" +
                                       options_.lease_namespace + "/leases";
  body_.clear();
  in_flight_since_ = std::chrono::steady_clock::now();
  in_flight_ = client_->Send({.path = path,
                              .idle_timeout_s = 10,
                              .method = seen.exists ? "PUT" : "POST",
                              .body = LeaseBody(seen, release)},
                             {.on_body = [this](int, std::string_view piece) { body_ += piece; },
                              .on_done =
                                  [this, release](const ApiResult& r) {
                                    in_flight_ = 0;
                                    if (r.status == 0)
                                      LogWarn("leader", "writing the lease: " + r.error);
                                    OnWritten(r.status, release);
                                  }});
  held_ = seen;
}

void LeaderElector::OnWritten(int status, bool release) {
  if (release) {
    SetLeading(false);
    Schedule(std::chrono::milliseconds(0));  // runs release_done_
    return;
  }
  if (stopped_) return;
  if (status == 200 || status == 201) {
    stats_.writes++;
    rapidjson::Document doc;
    doc.Parse(body_.data(), body_.size());
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("metadata")) {
      held_.exists = true;
      held_.resource_version = StringAt(doc["metadata"], "resourceVersion");
    }
    if (held_.holder != options_.identity) {
      held_.acquire_time = options_.now();
      held_.holder = options_.identity;
    }
    last_renew_ = std::chrono::steady_clock::now();
    SetLeading(true);
    return;
  }
  if (status == 409) {
    stats_.conflicts++;
    Read();  // someone wrote first: judge the lease again at once
    return;
  }
  stats_.errors++;
  if (status != 0) LogWarn("leader", "writing the lease: HTTP " + std::to_string(status));
}

void LeaderElector::SetLeading(bool leading) {
  if (leading == leading_) return;
  leading_ = leading;
  if (leading) {
    stats_.transitions++;
    LogInfo("leader", options_.identity + " leads (lease " + options_.lease_namespace + "/" +
                          options_.lease_name + ")");
    if (callbacks_.on_started_leading) callbacks_.on_started_leading();
  } else {
    LogInfo("leader", options_.identity + " stopped leading");
    if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
  }
}

void LeaderElector::Release(std::function<void()> done) {
  release_done_ = std::move(done);
  bool was_stopped = stopped_;
  stopped_ = true;
  if (in_flight_ != 0) {
    client_->Cancel(in_flight_);
    in_flight_ = 0;
  }
  if (leading_ && !was_stopped && held_.exists) {
    LogInfo("leader", "releasing lease " + options_.lease_namespace + "/" + options_.lease_name);
    Write(held_, true);
    Schedule(options_.retry_period);  // the longest the release may take
    return;
  }
  SetLeading(false);
  Schedule(std::chrono::milliseconds(0));
}

void LeaderElector::Close() {
  stopped_ = true;
  callbacks_ = {};
  release_done_ = nullptr;
  if (in_flight_ != 0) {
    client_->Cancel(in_flight_);
    in_flight_ = 0;
  }
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

}  // namespace portico::controlplane
