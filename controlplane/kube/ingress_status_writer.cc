#include "controlplane/kube/ingress_status_writer.h"

#include <arpa/inet.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>

#include "common/log.h"
#include "controlplane/kube/api_objects.h"
#include "controlplane/kube/publish_service.h"

namespace portico::controlplane {
namespace {

// status.loadBalancer.ingress[] as stored (ports are not compared).
std::vector<LoadBalancerAddress> StoredAddresses(const rapidjson::Value& ingress) {
  std::vector<LoadBalancerAddress> out;
  const rapidjson::Value* status = ObjectMember(ingress, "status");
  const rapidjson::Value* lb = status ? ObjectMember(*status, "loadBalancer") : nullptr;
  if (lb == nullptr) return out;
  auto it = lb->FindMember("ingress");
  if (it == lb->MemberEnd() || !it->value.IsArray()) return out;
  for (const rapidjson::Value& item : it->value.GetArray()) {
    out.push_back({.ip = StringMember(item, "ip"), .hostname = StringMember(item, "hostname")});
  }
  return out;
}

rapidjson::Value& MemberObject(rapidjson::Value& parent, const char* name,
                               rapidjson::Document::AllocatorType& alloc) {
  auto it = parent.FindMember(name);
  if (it == parent.MemberEnd()) {
    parent.AddMember(rapidjson::Value(name, alloc), rapidjson::Value(rapidjson::kObjectType),
                     alloc);
    it = parent.FindMember(name);
  }
  if (!it->value.IsObject()) it->value.SetObject();
  return it->value;
}

bool IsHostname(std::string_view text) {
  if (text.empty() || text.size() > 253 || text.front() == '.' || text.front() == '-') {
    return false;
  }
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::string ParsePublishAddresses(std::string_view text, std::vector<LoadBalancerAddress>* out) {
  out->clear();
  size_t index = 0;
  while (!text.empty() || index == 0) {
    size_t comma = text.find(',');
    std::string entry(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    unsigned char buf[16];
    if (inet_pton(AF_INET, entry.c_str(), buf) == 1 ||
        inet_pton(AF_INET6, entry.c_str(), buf) == 1) {
      out->push_back({.ip = entry});
    } else if (IsHostname(entry)) {
      std::string lower;
      for (char c : entry) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out->push_back({.hostname = lower});
    } else {
      return "--publish-address entry " + std::to_string(index + 1) + " (\"" + entry +
             "\") is neither an IP address nor a hostname";
    }
    ++index;
    if (comma == std::string_view::npos) break;
  }
  return "";
}

IngressStatusWriter::IngressStatusWriter(uv_loop_t* loop, KubeApiClient* client,
                                         IngressStatusWriterOptions options)
    : loop_(loop), client_(client), options_(std::move(options)) {
  if (options_.publish_service.empty()) addresses_ = options_.addresses;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

IngressStatusWriter::~IngressStatusWriter() { Close(); }

std::string IngressStatusWriter::Path(const std::string& key) const {
  size_t slash = key.find('/');
  return "/apis/networking.k8s.io/v1/namespaces/" + key.substr(0, slash) + "/ingresses/" +
         key.substr(slash + 1);
}

bool IngressStatusWriter::Desired(bool ours, const std::vector<LoadBalancerAddress>& current,
                                  std::vector<LoadBalancerAddress>* desired) const {
  if (addresses_.empty()) return false;  // the publish Service is not known (yet)
  if (ours) {
    *desired = addresses_;
    return true;
  }
  desired->clear();
  return !current.empty() && current == addresses_;
}

void IngressStatusWriter::FollowPublishService(const std::vector<SourceObject>& objects) {
  const std::string& wanted = options_.publish_service;
  std::vector<LoadBalancerAddress> addresses;
  bool found = false;
  for (const SourceObject& object : objects) {
    const rapidjson::Value& json = object.json;
    if (StringMember(json, "kind") != "Service" || StringMember(json, "apiVersion") != "v1") {
      continue;
    }
    const rapidjson::Value* metadata = ObjectMember(json, "metadata");
    if (metadata == nullptr ||
        StringMember(*metadata, "namespace") + "/" + StringMember(*metadata, "name") != wanted) {
      continue;
    }
    found = true;
    addresses = PublishServiceAddresses(json);
    break;
  }
  if (addresses == addresses_) return;
  addresses_ = std::move(addresses);
  if (addresses_.empty()) {
    LogWarn("status",
            "--publish-service " + wanted +
                (found ? " has no load-balancer address nor cluster IP" : " does not exist") +
                "; Ingress status is left as it is");
    return;
  }
  std::string text;
  for (const LoadBalancerAddress& a : addresses_) {
    text += (text.empty() ? "" : ",") + (a.ip.empty() ? a.hostname : a.ip);
  }
  LogInfo("status", "publishing " + text + " (from Service " + wanted + ")");
}

void IngressStatusWriter::Observe(const std::vector<SourceObject>& objects,
                                  const std::set<std::string>& ours) {
  if (!options_.publish_service.empty()) FollowPublishService(objects);
  std::map<std::string, Wanted> next;
  for (const SourceObject& object : objects) {
    const rapidjson::Value& json = object.json;
    if (StringMember(json, "kind") != "Ingress" ||
        StringMember(json, "apiVersion") != "networking.k8s.io/v1") {
      continue;
    }
    const rapidjson::Value* metadata = ObjectMember(json, "metadata");
    if (metadata == nullptr) continue;
    std::string key = StringMember(*metadata, "namespace") + "/" + StringMember(*metadata, "name");
    next[key] = {.ours = ours.contains(key), .current = StoredAddresses(json)};
  }
  ingresses_ = std::move(next);
  SetEnabled(enabled_);
}

void IngressStatusWriter::SetEnabled(bool enabled) {
  enabled_ = enabled;
  if (!enabled_ || closed_) {
    queue_.clear();
    queued_.clear();
    again_.clear();
    retry_.clear();
    if (timer_ != nullptr) uv_timer_stop(timer_);
    for (auto& [key, id] : in_flight_) client_->Cancel(id);
    in_flight_.clear();
    bodies_.clear();
    return;
  }
  for (const auto& [key, wanted] : ingresses_) {
    std::vector<LoadBalancerAddress> desired;
    if (!Desired(wanted.ours, wanted.current, &desired) || desired == wanted.current) continue;
    Enqueue(key);
  }
  Pump();
}

void IngressStatusWriter::Enqueue(const std::string& key) {
  if (in_flight_.contains(key)) {
    again_.insert(key);
  } else if (queued_.insert(key).second) {
    queue_.push_back(key);
  }
}

void IngressStatusWriter::RetryLater(const std::string& key) {
  retry_.insert(key);
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(timer_))) return;
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        auto* self = static_cast<IngressStatusWriter*>(t->data);
        std::set<std::string> keys;
        keys.swap(self->retry_);
        for (const std::string& k : keys) self->Enqueue(k);
        self->Pump();
      },
      options_.retry_delay_ms, 0);
}

void IngressStatusWriter::Pump() {
  while (enabled_ && !closed_ && in_flight_.size() < options_.max_in_flight && !queue_.empty()) {
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(key);
    Fetch(key, 1);
  }
}

void IngressStatusWriter::Fetch(const std::string& key, int attempt) {
  bodies_[key].clear();
  in_flight_[key] =
      client_->Get({.path = Path(key), .idle_timeout_s = 30},
                   {.on_body = [this, key](int, std::string_view piece) { bodies_[key] += piece; },
                    .on_done =
                        [this, key, attempt](const ApiResult& r) {
                          std::string body = std::move(bodies_[key]);
                          if (r.status == 0)
                            LogWarn("status", "GET Ingress " + key + ": " + r.error);
                          OnFetched(key, attempt, r.status, body);
                        }});
}

void IngressStatusWriter::OnFetched(const std::string& key, int attempt, int status,
                                    const std::string& body) {
  auto finish = [this, key](bool failed = false) {
    in_flight_.erase(key);
    bodies_.erase(key);
    if (again_.erase(key) > 0) {
      Enqueue(key);
    } else if (failed) {
      RetryLater(key);
    }
    Pump();
  };
  if (status == 404) {
    finish();  // deleted meanwhile: nothing to publish
    return;
  }
  rapidjson::Document doc;
  if (status == 200) doc.Parse(body.data(), body.size());
  if (status != 200 || doc.HasParseError() || !doc.IsObject()) {
    stats_.errors++;
    if (status != 0) LogWarn("status", "GET Ingress " + key + ": HTTP " + std::to_string(status));
    finish(true);
    return;
  }
  auto it = ingresses_.find(key);
  bool ours = it != ingresses_.end() && it->second.ours;
  std::vector<LoadBalancerAddress> current = StoredAddresses(doc), desired;
  if (!Desired(ours, current, &desired) || desired == current) {
    stats_.noops++;
    finish();
    return;
  }
  auto& alloc = doc.GetAllocator();
  rapidjson::Value& lb = MemberObject(MemberObject(doc, "status", alloc), "loadBalancer", alloc);
  rapidjson::Value list(rapidjson::kArrayType);
  for (const LoadBalancerAddress& a : desired) {
    rapidjson::Value item(rapidjson::kObjectType);
    if (!a.ip.empty()) item.AddMember("ip", rapidjson::Value(a.ip.c_str(), alloc), alloc);
    if (!a.hostname.empty()) {
      item.AddMember("hostname", rapidjson::Value(a.hostname.c_str(), alloc), alloc);
    }
    list.PushBack(item, alloc);
  }
  if (lb.HasMember("ingress")) lb.RemoveMember("ingress");
  if (!desired.empty()) lb.AddMember("ingress", list, alloc);
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  doc.Accept(writer);
  in_flight_[key] = client_->Send(
      {.path = Path(key) + "/status",
       .idle_timeout_s = 30,
       .method = "PUT",
       .body = out.GetString()},
      {.on_done = [this, key, attempt, finish, cleared = desired.empty()](const ApiResult& r) {
        if (r.status == 200) {
          stats_.writes++;
          LogInfo("status", std::string(cleared ? "cleared" : "published") +
                                " the address of Ingress " + key);
        } else if (r.status == 409 && attempt < options_.max_attempts) {
          stats_.conflicts++;
          Fetch(key, attempt + 1);  // someone wrote first: read and compare again
          return;
        } else {
          if (r.status == 409) stats_.conflicts++;
          stats_.errors++;
          LogWarn("status", "PUT Ingress " + key + "/status: " +
                                (r.status == 0 ? r.error : "HTTP " + std::to_string(r.status)));
          finish(true);
          return;
        }
        finish();
      }});
}

void IngressStatusWriter::Close() {
  closed_ = true;
  SetEnabled(false);
  if (timer_ != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    timer_ = nullptr;
  }
}

}  // namespace portico::controlplane
