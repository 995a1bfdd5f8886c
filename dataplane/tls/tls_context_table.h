// TlsContextTable: the TLS server contexts of one config, one per TLSOption,
// and which one a server name uses, as Traefik binds TLS options to the
// hosts of its TLS routers: the option of the routes for that exact host,
// then for the single-label wildcard ("*.example.com"), else the default
// option. Hosts whose routes name different options use the default (the
// constructor reports them). Immutable once built; lookups are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dataplane/tls/tls_server_context.h"

namespace portico::dataplane {

class TlsContextTable {
 public:
  // A TLS route's host ("a.example.com", "*.example.com") and the option
  // name its route uses ("" or "default": the default option).
  struct HostOption {
    std::string host;
    std::string option;
    bool operator==(const HostOption&) const = default;
  };

  // `contexts` by option name must hold "default". Every HostOption must
  // name one of `contexts` (the caller checks). Hosts claimed by different
  // options are appended to *conflicts as messages.
  TlsContextTable(std::map<std::string, std::shared_ptr<const TlsServerContext>> contexts,
                  const std::vector<HostOption>& hosts, std::vector<std::string>* conflicts);

  // The context for a ClientHello's server name, or a Host header value
  // (lowercase, without port). "" gets the default.
  const std::shared_ptr<const TlsServerContext>& ForServerName(std::string_view name) const;
  const std::shared_ptr<const TlsServerContext>& default_context() const { return *default_; }
  // The context of TLS option `name` ("default" for the default); null if
  // there is none (TCP routes name their option directly).
  std::shared_ptr<const TlsServerContext> ForOption(const std::string& name) const {
    auto it = contexts_.find(name);
    return it == contexts_.end() ? nullptr : it->second;
  }
  size_t size() const { return contexts_.size(); }

 private:
  using Slot = const std::shared_ptr<const TlsServerContext>*;
  std::map<std::string, std::shared_ptr<const TlsServerContext>> contexts_;
  Slot default_ = nullptr;
  std::unordered_map<std::string, Slot> exact_;
  std::unordered_map<std::string, Slot> wildcard_;  // keyed by the suffix after "*."
};

}  // namespace portico::dataplane
