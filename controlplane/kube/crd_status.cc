#include "controlplane/kube/crd_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string_view>

#include "controlplane/kube/api_objects.h"

namespace portico::controlplane {
namespace {

constexpr size_t kMaxProblems = 8;           // messages joined into one condition
constexpr size_t kMaxMessageBytes = 32'000;  // the CRDs allow 32768

const rapidjson::Value* MemberAt(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(name);
  return it != v.MemberEnd() ? &it->value : nullptr;
}

int64_t Int64At(const rapidjson::Value* v, const char* name) {
  const rapidjson::Value* m = v ? MemberAt(*v, name) : nullptr;
  return m != nullptr && m->IsInt64() ? m->GetInt64() : -1;
}

const ResourceKind* FindKind(const std::vector<ResourceKind>& kinds, const rapidjson::Value& json) {
  std::string api_version = StringMember(json, "apiVersion");
  std::string kind = StringMember(json, "kind");
  for (const ResourceKind& k : kinds) {
    if (k.kind == kind && k.api_version() == api_version) return &k;
  }
  return nullptr;
}

// The compiler names objects "Kind/NS/NAME"; a TraefikService is read as a
// WeightedService.
std::string CompiledName(const std::string& kind) {
  return kind == "TraefikService" ? "WeightedService" : kind;
}

bool IsRouteKind(const std::string& kind) {
  return kind == "IngressRoute" || kind == "IngressRouteTCP" || kind == "IngressRouteUDP";
}

struct Problem {
  std::string reason;
  std::string message;
};

const Problem kNotServed{"NotServed",
                         "none of its routes is in the snapshot served to the proxies"};

ReadyCondition Desired(const std::vector<const Problem*>& problems, int64_t generation) {
  ReadyCondition ready{.observed_generation = generation};
  if (problems.empty()) {
    ready.status = "True";
    ready.reason = "Accepted";
    ready.message = "accepted; the compiler found no problem";
    return ready;
  }
  ready.status = "False";
  ready.reason = problems.front()->reason;
  for (size_t i = 0; i < problems.size() && i < kMaxProblems; ++i) {
    ready.message += (i ? "; " : "") + problems[i]->message;
  }
  if (problems.size() > kMaxProblems) {
    ready.message += "; and " + std::to_string(problems.size() - kMaxProblems) + " more";
  }
  if (ready.message.size() > kMaxMessageBytes) {
    size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(ready.message[cut]) & 0xC0) == 0x80) --cut;
    ready.message.resize(cut);
    ready.message += "...";
  }
  return ready;
}

void WriteCondition(rapidjson::Writer<rapidjson::StringBuffer>* w, const ReadyCondition& c) {
  w->StartObject();
  w->Key("type");
  w->String("Ready");
  w->Key("status");
  w->String(c.status.c_str());
  w->Key("reason");
  w->String(c.reason.c_str());
  w->Key("message");
  w->String(c.message.c_str());
  w->Key("observedGeneration");
  w->Int64(c.observed_generation);
  w->Key("lastTransitionTime");
  w->String(c.last_transition_time.c_str());
  w->EndObject();
}

// {"status":{"observedGeneration":G,"conditions":[...]}}: a merge patch
// replaces lists whole, so the other stored conditions are written back.
std::string Patch(const rapidjson::Value* stored_conditions, const ReadyCondition& ready) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  w.StartObject();
  w.Key("status");
  w.StartObject();
  w.Key("observedGeneration");
  w.Int64(ready.observed_generation);
  w.Key("conditions");
  w.StartArray();
  bool written = false;
  if (stored_conditions != nullptr && stored_conditions->IsArray()) {
    for (const rapidjson::Value& c : stored_conditions->GetArray()) {
      if (StringMember(c, "type") != "Ready") {
        c.Accept(w);
      } else if (!written) {
        WriteCondition(&w, ready);
        written = true;
      }
    }
  }
  if (!written) WriteCondition(&w, ready);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return out.GetString();
}

}  // namespace

std::vector<CrdStatusUpdate> PlanCrdStatus(const CrdStatusInput& input) {
  const CompileFindings& findings = input.findings;
  std::map<std::string, std::vector<Problem>> by_object;
  for (const Diagnostic& d : findings.diagnostics) {
    by_object[d.object].push_back({d.reason, d.message});
  }
  std::map<std::string, std::vector<Problem>> by_origin;
  for (const SourceIssue& issue : findings.issues) {
    by_origin[issue.origin].push_back({"Invalid", issue.message});
  }
  std::vector<CrdStatusUpdate> updates;
  for (const SourceObject& object : input.objects) {
    const ResourceKind* kind = FindKind(input.kinds, object.json);
    const rapidjson::Value* metadata = kind ? ObjectMember(object.json, "metadata") : nullptr;
    if (metadata == nullptr) continue;
    std::string ns = StringMember(*metadata, "namespace"), name = StringMember(*metadata, "name");
    if (name.empty()) continue;
    std::string key = ns + "/" + name;
    // A refused object (or the second of two with one name) has issues and
    // was not compiled; the compiled one has the diagnostics.
    const std::string compiled_as = CompiledName(kind->kind) + "/" + key;
    if (findings.other_class.contains(compiled_as)) continue;  // another controller's
    std::vector<const Problem*> problems;
    if (auto it = by_origin.find(object.origin); it != by_origin.end()) {
      for (const Problem& p : it->second) problems.push_back(&p);
    } else if (auto d = by_object.find(compiled_as); d != by_object.end()) {
      for (const Problem& p : d->second) problems.push_back(&p);
    } else if (IsRouteKind(kind->kind) && !findings.routed.contains(compiled_as)) {
      problems.push_back(&kNotServed);
    }
    int64_t generation = std::max<int64_t>(Int64At(metadata, "generation"), 0);
    ReadyCondition ready = Desired(problems, generation);

    const rapidjson::Value* status = ObjectMember(object.json, "status");
    const rapidjson::Value* conditions = status ? MemberAt(*status, "conditions") : nullptr;
    const rapidjson::Value* stored = nullptr;
    if (conditions != nullptr && conditions->IsArray()) {
      for (const rapidjson::Value& c : conditions->GetArray()) {
        if (StringMember(c, "type") == "Ready") stored = &c;
      }
    }
    bool same = stored != nullptr && StringMember(*stored, "status") == ready.status &&
                StringMember(*stored, "reason") == ready.reason &&
                StringMember(*stored, "message") == ready.message &&
                Int64At(stored, "observedGeneration") == generation &&
                Int64At(status, "observedGeneration") == generation;
    if (same) continue;
    std::string stored_time = stored ? StringMember(*stored, "lastTransitionTime") : "";
    bool flipped = stored == nullptr || StringMember(*stored, "status") != ready.status;
    ready.last_transition_time = flipped || stored_time.empty() ? input.now : stored_time;
    CrdStatusUpdate& u = updates.emplace_back();
    u.path = "/apis/" + kind->api_version() + "/namespaces/" + ns + "/" + kind->resource + "/" +
             name + "/status";
    u.object = kind->kind + " " + key;
    u.patch = Patch(conditions, ready);
    u.signature = ready.status + "\n" + ready.reason + "\n" + ready.message + "\n" +
                  std::to_string(generation);
    u.ready = std::move(ready);
  }
  return updates;
}

std::string Rfc3339Now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

}  // namespace portico::controlplane
