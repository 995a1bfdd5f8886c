// The proxy's command line, parsed into one options struct. Pure; errors are
// returned as precise messages, never thrown or exited on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/flag_values.h"
#include "dataplane/worker/proxy_options.h"

namespace portico::dataplane {

struct ProxyFlags {
  std::string controller;                // as given: one or more HOST:PORT, comma-separated
  std::vector<std::string> controllers;  // each HOST:PORT, tried in turn
  bool grpc_insecure = false;
  // Mutual TLS to the controller (all three, or --grpc-insecure).
  std::string grpc_cert, grpc_key, grpc_ca;
  std::string grpc_server_name;  // name the controller's certificate must hold
  std::vector<EntrypointSpec> entrypoints;
  std::string admin_host = "127.0.0.1";
  int admin_port = 9001;
  int workers = 0;   // 0: one per CPU
  std::string node;  // default: hostname-pid
  std::string log_level = "info";
  uint64_t grace_period_ms = 10'000;
  uint64_t drain_delay_ms = 0;  // after SIGTERM, keep accepting this long (/ready is 503)
  // Per-entrypoint settings named before their --entrypoint; applied at the end.
  std::vector<std::pair<std::string, std::string>> trusted_ips;  // name, list
  std::vector<std::pair<std::string, int>> max_connections;      // name ("" = all), limit
  std::vector<std::pair<std::string, bool>> tls;                 // name ("" = all), on
  ProxyLimits limits;
  bool help = false;
};

// Parses argv (without argv[0]). Returns "" or the error.
std::string ParseProxyFlags(const std::vector<std::string>& args, ProxyFlags* flags);

// Flag values (durations, sizes): common/flag_values.h.
using portico::ParseDurationMs;
using portico::ParseSize;

extern const char kProxyUsage[];

}  // namespace portico::dataplane
