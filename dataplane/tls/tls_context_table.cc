#include "dataplane/tls/tls_context_table.h"

#include <set>

namespace portico::dataplane {

TlsContextTable::TlsContextTable(
    std::map<std::string, std::shared_ptr<const TlsServerContext>> contexts,
    const std::vector<HostOption>& hosts, std::vector<std::string>* conflicts)
    : contexts_(std::move(contexts)) {
  default_ = &contexts_.at("default");
  // Every option each host is claimed by, then one slot per host.
  std::map<std::string, std::set<std::string>> claims;
  for (const HostOption& h : hosts) {
    claims[h.host].insert(h.option.empty() ? std::string("default") : h.option);
  }
  for (const auto& [host, options] : claims) {
    Slot slot = default_;
    if (options.size() == 1) {
      slot = &contexts_.at(*options.begin());
    } else {
      std::string names;
      for (const std::string& option : options) names += (names.empty() ? "" : ", ") + option;
      conflicts->push_back("host " + host + ": its TLS routes name different TLS options (" +
                           names + "); the default option is used");
    }
    if (host.starts_with("*.")) {
      wildcard_.emplace(host.substr(2), slot);
    } else {
      exact_.emplace(host, slot);
    }
  }
}

const std::shared_ptr<const TlsServerContext>& TlsContextTable::ForServerName(
    std::string_view name) const {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty()) return *default_;
  // Names are short; heterogeneous lookup would save these copies.
  if (auto it = exact_.find(std::string(name)); it != exact_.end()) return *it->second;
  size_t dot = name.find('.');
  if (dot != std::string_view::npos && dot > 0) {
    if (auto it = wildcard_.find(std::string(name.substr(dot + 1))); it != wildcard_.end()) {
      return *it->second;
    }
  }
  return *default_;
}

}  // namespace portico::dataplane
