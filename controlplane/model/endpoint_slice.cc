#include "controlplane/model/endpoint_slice.h"

#include "controlplane/model/dns_names.h"

namespace portico::controlplane {
namespace {

std::string DecodeAddressType(const JsonField& field, AddressType* out) {
  std::string type;
  if (std::string e = field.GetRequiredString(&type); !e.empty()) return e;
  if (type == "IPv4") {
    *out = AddressType::kIPv4;
  } else if (type == "IPv6") {
    *out = AddressType::kIPv6;
  } else if (type == "FQDN") {
    return field.Error("FQDN is not supported (proxies need IP addresses)");
  } else {
    return field.Error("must be IPv4, IPv6 or FQDN, got " + Quoted(type));
  }
  return "";
}

std::string DecodePort(const JsonField& field, EndpointSlicePort* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  if (std::string e = field.Member("name").GetString(&out->name); !e.empty()) return e;
  JsonField port = field.Member("port");
  if (port.present()) {
    int32_t number = 0;
    if (std::string e = port.GetRequiredIntIn(1, 65535, &number); !e.empty()) return e;
    out->port = number;
  }
  JsonField protocol = field.Member("protocol");
  if (std::string e = protocol.GetString(&out->protocol); !e.empty()) return e;
  if (out->protocol.empty()) out->protocol = "TCP";
  if (out->protocol != "TCP" && out->protocol != "UDP" && out->protocol != "SCTP") {
    return protocol.Error("must be TCP, UDP or SCTP, got " + Quoted(out->protocol));
  }
  return "";
}

std::string DecodeConditions(const JsonField& field, EndpointConditions* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  if (std::string e = field.Member("ready").GetBool(&out->ready); !e.empty()) return e;
  out->serving = out->ready;
  if (std::string e = field.Member("serving").GetBool(&out->serving); !e.empty()) return e;
  return field.Member("terminating").GetBool(&out->terminating);
}

std::string DecodeEndpoint(const JsonField& field, AddressType type, SliceEndpoint* out) {
  if (std::string e = field.ExpectObject(); !e.empty()) return e;
  JsonField addresses = field.Member("addresses");
  if (std::string e = addresses.ExpectList(); !e.empty()) return e;
  if (addresses.size() == 0) return addresses.Error("required");
  int family = type == AddressType::kIPv4 ? 4 : 6;
  for (size_t i = 0; i < addresses.size(); ++i) {
    std::string text, canonical;
    if (std::string e = addresses.Index(i).GetRequiredString(&text); !e.empty()) return e;
    if (!ParseIpLiteral(text, family, &canonical)) {
      return addresses.Index(i).Error("must be an IPv" + std::to_string(family) + " address, got " +
                                      Quoted(text));
    }
    out->addresses.push_back(std::move(canonical));
  }
  return DecodeConditions(field.Member("conditions"), &out->conditions);
}

}  // namespace

std::string DecodeEndpointSlice(const JsonField& object, EndpointSlice* out) {
  auto label = out->meta.labels.find(kServiceNameLabel);
  if (label == out->meta.labels.end() || label->second.empty()) {
    return "metadata.labels[\"kubernetes.io/service-name\"]: required to tie the slice to its "
           "Service";
  }
  out->service_name = label->second;
  if (std::string e = DecodeAddressType(object.Member("addressType"), &out->address_type);
      !e.empty()) {
    return e;
  }
  JsonField ports = object.Member("ports");
  if (std::string e = ports.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < ports.size(); ++i) {
    EndpointSlicePort port;
    if (std::string e = DecodePort(ports.Index(i), &port); !e.empty()) return e;
    out->ports.push_back(std::move(port));
  }
  JsonField endpoints = object.Member("endpoints");
  if (std::string e = endpoints.ExpectList(); !e.empty()) return e;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    SliceEndpoint endpoint;
    if (std::string e = DecodeEndpoint(endpoints.Index(i), out->address_type, &endpoint);
        !e.empty()) {
      return e;
    }
    out->endpoints.push_back(std::move(endpoint));
  }
  return "";
}

}  // namespace portico::controlplane
