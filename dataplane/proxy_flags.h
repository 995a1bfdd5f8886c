// The proxy's command line, parsed into one options struct. Pure; errors are
// returned as precise messages, never thrown or exited on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

struct ProxyFlags {
  std::string controller;  // host:port of portico-controller
  bool grpc_insecure = false;
  std::vector<EntrypointSpec> entrypoints;
  std::string admin_host = "127.0.0.1";
  int admin_port = 9001;
  int workers = 0;   // 0: one per CPU
  std::string node;  // default: hostname-pid
  std::string log_level = "info";
  uint64_t grace_period_ms = 10'000;
  ProxyLimits limits;
  bool help = false;
};

// Parses argv (without argv[0]). Returns "" or the error.
std::string ParseProxyFlags(const std::vector<std::string>& args, ProxyFlags* flags);

// "250ms", "5s", "2m", "1h" → milliseconds. False if malformed.
bool ParseDurationMs(const std::string& text, uint64_t* ms);

extern const char kProxyUsage[];

}  // namespace portico::dataplane
