#include "controlplane/kube/publish_service.h"

#include "controlplane/kube/api_objects.h"

namespace portico::controlplane {
namespace {

// The array member `name` of `object`, or null.
const rapidjson::Value* ArrayMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsArray() ? &it->value : nullptr;
}

// status.loadBalancer.ingress[]: each entry's ip, else its hostname.
std::vector<LoadBalancerAddress> LoadBalancerIngress(const rapidjson::Value& service) {
  std::vector<LoadBalancerAddress> out;
  const rapidjson::Value* status = ObjectMember(service, "status");
  const rapidjson::Value* lb = status ? ObjectMember(*status, "loadBalancer") : nullptr;
  const rapidjson::Value* ingress = lb ? ArrayMember(*lb, "ingress") : nullptr;
  if (ingress == nullptr) return out;
  for (const rapidjson::Value& item : ingress->GetArray()) {
    std::string ip = StringMember(item, "ip");
    if (!ip.empty()) {
      out.push_back({.ip = ip});
    } else if (std::string host = StringMember(item, "hostname"); !host.empty()) {
      out.push_back({.hostname = host});
    }
  }
  return out;
}

std::vector<LoadBalancerAddress> ClusterIps(const rapidjson::Value& spec) {
  std::vector<LoadBalancerAddress> out;
  auto add = [&out](const std::string& ip) {
    if (ip.empty() || ip == "None") return;
    LoadBalancerAddress address{.ip = ip};
    for (const LoadBalancerAddress& a : out) {
      if (a == address) return;
    }
    out.push_back(std::move(address));
  };
  if (const rapidjson::Value* ips = ArrayMember(spec, "clusterIPs")) {
    for (const rapidjson::Value& ip : ips->GetArray()) {
      if (ip.IsString()) add(ip.GetString());
    }
  }
  if (out.empty()) add(StringMember(spec, "clusterIP"));
  return out;
}

}  // namespace

std::vector<LoadBalancerAddress> PublishServiceAddresses(const rapidjson::Value& service) {
  std::vector<LoadBalancerAddress> out = LoadBalancerIngress(service);
  if (!out.empty()) return out;
  const rapidjson::Value* spec = ObjectMember(service, "spec");
  if (spec == nullptr) return out;
  if (StringMember(*spec, "type") == "ExternalName") {
    std::string host = StringMember(*spec, "externalName");
    if (!host.empty()) out.push_back({.hostname = host});
    return out;
  }
  return ClusterIps(*spec);
}

}  // namespace portico::controlplane
