#include "controlplane/compiler/service_compiler.h"

#include <algorithm>

#include "controlplane/compiler/durations.h"
#include "controlplane/compiler/provider_name.h"

namespace portico::controlplane {
namespace {

using crd::Item;

std::string AtField(const ServiceProblem& p) {
  return p.field.empty() ? p.message : p.field + ": " + p.message;
}

StickyCookie ToSticky(const crd::StickyCookie& in) {
  return {.name = in.name,
          .secure = in.secure,
          .http_only = in.http_only,
          .same_site = in.same_site,
          .max_age = in.max_age.value_or(0),
          .path = in.path,
          .domain = in.domain};
}

bool ToStrategy(const crd::ServiceRef& ref, LbStrategy* out, ServiceProblem* problem) {
  const std::string& s = ref.strategy;
  if (s.empty() || s == "wrr") {
    *out = LbStrategy::kWrr;
  } else if (s == "p2c") {
    *out = LbStrategy::kP2c;
  } else if (s == "leastrequests") {
    *out = LbStrategy::kLeastRequests;
  } else if (s == "maglev") {
    *out = LbStrategy::kMaglev;
  } else {
    *problem = {"Unsupported", ".strategy",
                "strategy " + s + " is not supported (wrr, p2c, leastrequests, maglev)"};
    return false;
  }
  return true;
}

HashKey ToHashKey(const std::optional<crd::ServiceHashKey>& in) {
  if (!in || in->client_ip) return {};
  if (!in->header.empty()) return {.source = HashKey::Source::kHeader, .name = in->header};
  if (!in->cookie.empty()) return {.source = HashKey::Source::kCookie, .name = in->cookie};
  return {.source = HashKey::Source::kPath, .name = ""};
}

bool ToHealthCheck(const crd::ServiceHealthCheck& in, HealthCheck* out, ServiceProblem* problem) {
  if (in.mode == "grpc") {
    *problem = {"Unsupported", ".healthCheck.mode", "gRPC health checks are not supported"};
    return false;
  }
  out->path = in.path;
  out->scheme = in.scheme;
  out->hostname = in.hostname;
  out->port = static_cast<uint32_t>(in.port.value_or(0));
  if (in.interval) out->interval_ms = Milliseconds(*in.interval);
  if (in.unhealthy_interval) out->unhealthy_interval_ms = Milliseconds(*in.unhealthy_interval);
  if (in.timeout) out->timeout_ms = Milliseconds(*in.timeout);
  out->headers = in.headers;
  out->status = static_cast<uint32_t>(in.status.value_or(0));
  out->follow_redirects = in.follow_redirects.value_or(true);
  out->method = in.method;
  out->unhealthy_threshold = static_cast<uint32_t>(in.unhealthy_threshold.value_or(1));
  out->healthy_threshold = static_cast<uint32_t>(in.healthy_threshold.value_or(1));
  return true;
}

// Traefik's default scheme: https for port 443 or a port named https*.
std::string DefaultScheme(const crd::ServiceRef& ref) {
  if (!ref.scheme.empty()) return ref.scheme;
  return ref.port.number == 443 || ref.port.name.starts_with("https") ? "https" : "";
}

}  // namespace

void ServiceCompiler::CompileWeightedServices() {
  for (const auto& [key, object] : state_.crds.weighted_services) {
    int depth = 0;
    ServiceProblem ignored;
    Weighted(key, &depth, &ignored);
  }
}

std::string ServiceCompiler::CompileRoute(const crd::IngressRoute& route, size_t index,
                                          ServiceProblem* problem) {
  const std::vector<crd::ServiceRef>& refs = route.spec.routes[index].services;
  const std::string& ns = route.meta.namespace_name;
  const std::string base = route.meta.key().str() + "/r" + std::to_string(index);
  if (refs.empty()) {
    *problem = {"NoService", ".services", "no service"};
    return "";
  }
  WeightedServices split;
  for (size_t j = 0; j < refs.size(); ++j) {
    int depth = 0;
    std::string child = Reference(refs[j], ns, base + "/s" + std::to_string(j), &depth, problem);
    if (child.empty()) {
      problem->field = "." + Item("services", j) + problem->field;
      return "";
    }
    if (refs.size() == 1) return child;
    split.children.push_back({.service = child, .weight = double(refs[j].weight.value_or(1))});
  }
  Add(base, {.name = base, .kind = std::move(split)});
  return base;
}

std::string ServiceCompiler::Reference(const crd::ServiceRef& ref,
                                       const std::string& owner_namespace, const std::string& name,
                                       int* depth, ServiceProblem* problem) {
  const std::string& ns = ref.namespace_name.empty() ? owner_namespace : ref.namespace_name;
  if (ns != owner_namespace && !context_->options().allow_cross_namespace) {
    *problem = {"CrossNamespace", ".namespace",
                ns + " is another namespace, refused (cross-namespace references are off, "
                     "--allow-cross-namespace)"};
    return "";
  }
  if (!ref.middlewares.empty()) {
    *problem = {"Unsupported", ".middlewares",
                "service middlewares are not executed by the proxy yet"};
    return "";
  }
  if (ref.kind == crd::ServiceKind::kWeightedService) {
    return Weighted({ns, ref.name}, depth, problem);
  }
  *depth = 0;
  return LoadBalanced(ref, ns, name, problem);
}

std::string ServiceCompiler::LoadBalanced(const crd::ServiceRef& ref,
                                          const std::string& service_namespace,
                                          const std::string& name, ServiceProblem* problem) {
  LoadBalancedService lb;
  if (!ToStrategy(ref, &lb.strategy, problem)) return "";
  if (lb.strategy == LbStrategy::kMaglev) lb.hash_key = ToHashKey(ref.hash_key);
  if (ref.health_check && !ToHealthCheck(*ref.health_check, &lb.health_check.emplace(), problem)) {
    return "";
  }
  if (!ref.servers_transport.empty()) {
    const ObjectKey* transport = FindServiceReference(state_.crds.servers_transports,
                                                      ref.servers_transport, service_namespace);
    if (transport == nullptr) {
      *problem = {"ServersTransportNotFound", ".serversTransport",
                  "ServersTransport " + ref.servers_transport + " does not exist in namespace " +
                      service_namespace};
      return "";
    }
    if (transport->namespace_name != service_namespace &&
        !context_->options().allow_cross_namespace) {
      *problem = {"CrossNamespace", ".serversTransport",
                  CrossNamespaceRefusal("ServersTransport " + transport->str())};
      return "";
    }
    if (const std::string& why = transports_.Use(*transport); !why.empty()) {
      *problem = {"InvalidServersTransport", ".serversTransport", why};
      return "";
    }
    lb.servers_transport = transport->str();
  }
  IngressBackend backend{
      .service_name = ref.name, .port_number = ref.port.number, .port_name = ref.port.name};
  ClusterResolution resolved = context_->resolver().Resolve(service_namespace, backend);
  if (resolved.cluster.empty()) {
    *problem = {resolved.reason, "", resolved.message};
    return "";
  }
  lb.cluster = resolved.cluster;
  if (ref.sticky_cookie) lb.sticky = ToSticky(*ref.sticky_cookie);
  lb.rewrite_host = !ref.pass_host_header.value_or(true);
  lb.scheme = DefaultScheme(ref);
  Add(name, {.name = name, .kind = std::move(lb)});
  return name;
}

std::string ServiceCompiler::Weighted(const ObjectKey& key, int* depth, ServiceProblem* problem) {
  auto object = state_.crds.weighted_services.find(key);
  if (object == state_.crds.weighted_services.end()) {
    *problem = {"WeightedServiceNotFound", "", "WeightedService " + key.str() + " does not exist"};
    return "";
  }
  auto [it, inserted] = weighted_.try_emplace(key);
  Compiled& compiled = it->second;
  if (!inserted && !compiled.done) {
    std::string cycle;
    auto first = std::find(stack_.begin(), stack_.end(), key);
    for (auto k = first; k != stack_.end(); ++k) cycle += k->str() + " -> ";
    *problem = {"Cycle", "", "WeightedService cycle " + cycle + key.str()};
    return "";
  }
  if (inserted) {
    stack_.push_back(key);
    const std::string name = "WeightedService/" + key.str();
    std::string body = WeightedBody(object->second, name, &compiled.depth, &compiled.problem);
    if (!body.empty() && compiled.depth > kMaxDepth) {
      compiled.problem = {"NestingTooDeep", "spec." + object->second.spec.type,
                          "WeightedServices nest " + std::to_string(compiled.depth) +
                              " deep, more than " + std::to_string(kMaxDepth)};
      body.clear();
    }
    stack_.pop_back();
    compiled.done = true;
    compiled.name = body;
    if (body.empty()) {
      context_->AddDiagnostic({name, compiled.problem.reason,
                               AtField(compiled.problem) + "; routes that use it answer 503"});
    }
  }
  *depth = compiled.depth;
  if (compiled.name.empty()) {
    *problem = {compiled.problem.reason, "",
                "WeightedService " + key.str() + ": " + AtField(compiled.problem)};
  }
  return compiled.name;
}

std::string ServiceCompiler::WeightedBody(const crd::WeightedService& object,
                                          const std::string& name, int* depth,
                                          ServiceProblem* problem) {
  const std::string& ns = object.meta.namespace_name;
  int deepest = 0;
  // One child reference at `field`, named `child_name` if it is a Service.
  auto child = [&](const crd::ServiceRef& ref, const std::string& field,
                   const std::string& child_name) {
    int child_depth = 0;
    std::string compiled = Reference(ref, ns, child_name, &child_depth, problem);
    if (compiled.empty()) problem->field = field + problem->field;
    deepest = std::max(deepest, child_depth);
    return compiled;
  };
  const auto& config = object.spec.config;
  if (const auto* weighted = std::get_if<crd::WeightedRoundRobin>(&config)) {
    WeightedServices split;
    for (size_t j = 0; j < weighted->services.size(); ++j) {
      const crd::ServiceRef& ref = weighted->services[j];
      std::string c =
          child(ref, "spec.weighted." + Item("services", j), name + "/s" + std::to_string(j));
      if (c.empty()) return "";
      split.children.push_back({.service = c, .weight = double(ref.weight.value_or(1))});
    }
    if (weighted->sticky_cookie) split.sticky = ToSticky(*weighted->sticky_cookie);
    Add(name, {.name = name, .kind = std::move(split)});
  } else if (const auto* mirroring = std::get_if<crd::Mirroring>(&config)) {
    MirroringService mirror{.main = child(mirroring->main, "spec.mirroring", name + "/main"),
                            .mirrors = {},
                            .mirror_body = mirroring->mirror_body.value_or(true),
                            .max_body_size = mirroring->max_body_size.value_or(-1)};
    if (mirror.main.empty()) return "";
    for (size_t j = 0; j < mirroring->mirrors.size(); ++j) {
      const crd::MirrorRef& m = mirroring->mirrors[j];
      std::string c =
          child(m.service, "spec.mirroring." + Item("mirrors", j), name + "/m" + std::to_string(j));
      if (c.empty()) return "";
      mirror.mirrors.push_back({.service = c, .percent = static_cast<uint32_t>(m.percent)});
    }
    Add(name, {.name = name, .kind = std::move(mirror)});
  } else {
    *problem = {"Unsupported", "spec." + object.spec.type,
                object.spec.type + " is not supported (weighted and mirroring are)"};
    return "";
  }
  *depth = deepest + 1;
  return name;
}

void ServiceCompiler::Add(std::string name, BackendService service) {
  context_->services().insert_or_assign(std::move(name), std::move(service));
}

}  // namespace portico::controlplane
