#include "controlplane/model/ingress.h"

#include "controlplane/model/dns_names.h"

namespace portico::controlplane {
namespace {

std::string DecodeServicePort(const JsonField& port, IngressBackend* out) {
  if (!port.present()) return port.Error("required");
  if (std::string e = port.ExpectObject(); !e.empty()) return e;
  JsonField number = port.Member("number");
  JsonField name = port.Member("name");
  if (number.present() == name.present()) return port.Error("must set exactly one of number, name");
  if (number.present()) return number.GetRequiredIntIn(1, 65535, &out->port_number);
  if (std::string e = name.GetRequiredString(&out->port_name); !e.empty()) return e;
  if (!IsDnsLabel(out->port_name)) {
    return name.Error("must be a DNS label (a Service port name), got " + Quoted(out->port_name));
  }
  return "";
}

std::string DecodeResource(const JsonField& resource, IngressBackend* out) {
  if (std::string e = resource.ExpectObject(); !e.empty()) return e;
  std::string group, kind, name;
  if (std::string e = resource.Member("apiGroup").GetString(&group); !e.empty()) return e;
  if (std::string e = resource.Member("kind").GetRequiredString(&kind); !e.empty()) return e;
  if (std::string e = resource.Member("name").GetRequiredString(&name); !e.empty()) return e;
  out->resource = group + "/" + kind + "/" + name;
  return "";
}

std::string DecodeBackend(const JsonField& backend, IngressBackend* out) {
  if (!backend.present()) return backend.Error("required");
  if (std::string e = backend.ExpectObject(); !e.empty()) return e;
  JsonField service = backend.Member("service");
  JsonField resource = backend.Member("resource");
  if (service.present() == resource.present()) {
    return backend.Error("must set exactly one of service, resource");
  }
  if (resource.present()) return DecodeResource(resource, out);
  if (std::string e = service.ExpectObject(); !e.empty()) return e;
  JsonField name = service.Member("name");
  if (std::string e = name.GetRequiredString(&out->service_name); !e.empty()) return e;
  if (!IsDnsLabel(out->service_name)) {
    return name.Error("must be a DNS label (a Service name), got " + Quoted(out->service_name));
  }
  return DecodeServicePort(service.Member("port"), out);
}

std::string DecodePathType(const JsonField& field, PathType* out) {
  std::string type;
  if (!field.present()) return field.Error("required");
  if (std::string e = field.GetString(&type); !e.empty()) return e;
  if (type == "Exact") {
    *out = PathType::kExact;
  } else if (type == "Prefix") {
    *out = PathType::kPrefix;
  } else if (type == "ImplementationSpecific") {
    *out = PathType::kImplementationSpecific;
  } else {
    return field.Error("must be Exact, Prefix or ImplementationSpecific, got " + Quoted(type));
  }
  return "";
}

// The API server's rules for Exact and Prefix paths, applied to every path
// since Portico matches ImplementationSpecific as Prefix; plus no whitespace,
// control bytes or query part, which no request path can match anyway.
std::string CheckPath(const std::string& path) {
  if (path.empty() || path[0] != '/') return "must be an absolute path starting with '/'";
  for (std::string_view bad : {"//", "/./", "/../", "%2f", "%2F", "#", "?"}) {
    if (path.find(bad) != std::string::npos) return "must not contain " + Quoted(bad);
  }
  for (std::string_view bad : {"/..", "/."}) {
    if (path.size() >= bad.size() && path.compare(path.size() - bad.size(), bad.size(), bad) == 0) {
      return "must not end with " + Quoted(bad);
    }
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return "must hold only printable ASCII without spaces, got " + Quoted(path);
    }
  }
  return "";
}

std::string DecodePath(const JsonField& field, IngressPath* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  if (std::string e = DecodePathType(field.Member("pathType"), &out->type); !e.empty()) return e;
  JsonField path = field.Member("path");
  if (std::string e = path.GetString(&out->path); !e.empty()) return e;
  if (out->path.empty()) {
    if (out->type != PathType::kImplementationSpecific) return path.Error("required");
    out->path = "/";
  }
  if (std::string e = CheckPath(out->path); !e.empty()) return path.Error(e);
  return DecodeBackend(field.Member("backend"), &out->backend);
}

std::string DecodeRule(const JsonField& field, IngressRule* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  JsonField host = field.Member("host");
  std::string raw;
  if (std::string e = host.GetString(&raw); !e.empty()) return e;
  if (!raw.empty()) {
    if (std::string e = NormalizeIngressHost(raw, &out->host); !e.empty()) {
      return host.Error(e + ", got " + Quoted(raw));
    }
  }
  JsonField http = field.Member("http");
  if (std::string e = http.ExpectObject(); !e.empty()) return e;
  if (!http.present()) return "";
  JsonField paths = http.Member("paths");
  if (!paths.present()) return paths.Error("required");
  if (std::string e = paths.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < paths.size(); ++i) {
    IngressPath path;
    if (std::string e = DecodePath(paths.Index(i), &path); !e.empty()) return e;
    out->paths.push_back(std::move(path));
  }
  return "";
}

std::string DecodeTls(const JsonField& field, IngressTls* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  JsonField hosts = field.Member("hosts");
  if (std::string e = hosts.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < hosts.size(); ++i) {
    std::string raw, host;
    if (std::string e = hosts.Index(i).GetRequiredString(&raw); !e.empty()) return e;
    if (std::string e = NormalizeIngressHost(raw, &host); !e.empty()) {
      return hosts.Index(i).Error(e + ", got " + Quoted(raw));
    }
    out->hosts.push_back(std::move(host));
  }
  JsonField secret = field.Member("secretName");
  if (std::string e = secret.GetString(&out->secret_name); !e.empty()) return e;
  if (!out->secret_name.empty() && !IsDnsSubdomain(out->secret_name)) {
    return secret.Error("must be a Secret name (DNS subdomain), got " + Quoted(out->secret_name));
  }
  return "";
}

void ReadPorticoAnnotations(const JsonField& object, Ingress* out) {
  JsonField annotations = object.Member("metadata").Member("annotations");
  if (!annotations.present() || !annotations.value().IsObject()) return;
  for (std::string_view name : {kConnectTimeoutAnnotation, kResponseHeaderTimeoutAnnotation,
                                kRequestTimeoutAnnotation}) {
    JsonField value = annotations.Member(name);
    if (!value.present()) continue;
    std::string& text = out->portico_annotations[std::string(name)];
    if (value.value().IsString()) {
      text.assign(value.value().GetString(), value.value().GetStringLength());
    } else if (value.value().IsInt64()) {
      text = std::to_string(value.value().GetInt64());
    }  // else "": refused by the compiler like any bad value
  }
}

}  // namespace

std::string DecodeIngress(const JsonField& object, Ingress* out) {
  ReadPorticoAnnotations(object, out);
  JsonField annotations = object.Member("metadata").Member("annotations");
  if (std::string e = annotations.ExpectObject(); !e.empty()) return e;
  if (std::string e = annotations.Member(kTlsOptionsAnnotation).GetString(&out->tls_options);
      !e.empty()) {
    return e;
  }
  JsonField spec = object.Member("spec");
  if (std::string e = spec.ExpectObject(); !e.empty()) return e;
  JsonField default_backend = spec.Member("defaultBackend");
  if (default_backend.present()) {
    out->default_backend.emplace();
    if (std::string e = DecodeBackend(default_backend, &*out->default_backend); !e.empty()) {
      return e;
    }
  }
  JsonField rules = spec.Member("rules");
  if (std::string e = rules.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < rules.size(); ++i) {
    IngressRule rule;
    if (std::string e = DecodeRule(rules.Index(i), &rule); !e.empty()) return e;
    out->rules.push_back(std::move(rule));
  }
  JsonField tls = spec.Member("tls");
  if (std::string e = tls.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < tls.size(); ++i) {
    IngressTls entry;
    if (std::string e = DecodeTls(tls.Index(i), &entry); !e.empty()) return e;
    out->tls.push_back(std::move(entry));
  }
  return "";
}

}  // namespace portico::controlplane
