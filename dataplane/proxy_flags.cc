#include "dataplane/proxy_flags.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/admin_server.h"

namespace portico::dataplane {

const char kProxyUsage[] =
    R"(usage: portico-proxy --controller=HOST:PORT (--grpc-cert=F --grpc-key=F --grpc-ca=F | --grpc-insecure) [flags]

  --controller=HOST:PORT[,...] portico-controller's snapshot (gRPC) address (required); with
                               several, a proxy whose stream ends moves on to the next (a DNS
                               name with several addresses is also tried address by address)
  --grpc-cert=FILE             this proxy's certificate (PEM, with its chain) for the mutually
                               authenticated channel to the controller
  --grpc-key=FILE              its private key (PEM)
  --grpc-ca=FILE               CA certificates (PEM) the controller's certificate must chain to
  --grpc-server-name=NAME      name the controller's certificate must hold (default: the host
                               of --controller)
  --grpc-insecure              plaintext snapshot channel instead; meant for loopback
  --entrypoint=NAME=HOST:PORT[/tcp|/udp]  a traffic listener; repeat for several (default
                               web=0.0.0.0:8080); /udp: a UDP entrypoint (IngressRouteUDP)
  --admin-listen=HOST:PORT     /ping /ready /metrics /config (default 127.0.0.1:9001)
  --workers=N                  worker threads, each with its own event loop (default: CPUs)
  --node=NAME                  this proxy's name towards the controller (default host-pid)
  --trusted-ips=NAME=CIDRS     peers whose X-Forwarded-*, X-Real-Ip and Forwarded headers
                               entrypoint NAME keeps, e.g. web=10.0.0.0/8,fd00::/8 (default:
                               none; everyone else's are replaced); TCP entrypoints only, as
                               --max-connections and --tls
  --max-connections=[NAME=]N   open client connections per entrypoint, all workers together;
                               more are closed at once (default 20000)
  --tls=[NAME=]on|off          terminate TLS on the entrypoint's port: a connection that opens
                               with a ClientHello is TLS, any other is plaintext (default on)
  --drain-delay=DURATION       on SIGTERM, /ready turns 503 at once and listeners stay open
                               this long so load balancers stop sending (default 0s)
  --grace-period=DURATION      then, time for requests in flight to finish (default 10s)
  --connect-timeout=DURATION   upstream connect, then 502 (default 5s)
  --response-timeout=DURATION  upstream response head, then 504 (default 60s)
  --header-timeout=DURATION    client request head, then 408 (default 30s)
  --idle-timeout=DURATION      idle keep-alive client connection, or one that stops
                               reading its response or a TCP route's last bytes (default 60s)
  --tunnel-idle-timeout=DURATION  upgraded (WebSocket) connection without traffic (default 1h)
  --tcp-peek-timeout=DURATION  on an entrypoint with TLS TCP routes, the time a new connection
                               has to send its ClientHello (and, on a terminating route,
                               finish its handshake) before it is closed (default 10s, >= 100ms)
  --udp-timeout=DURATION       a UDP session without datagrams either way is closed (default 3s,
                               >= 100ms)
  --udp-max-sessions=N         UDP sessions per UDP entrypoint and worker; datagrams from more
                               clients are dropped (default 10000)
  --upstream-idle-timeout=DURATION  pooled backend connection unused this long is closed (30s)
  --max-header-bytes=SIZE      request line and headers, else 431 (default 32KiB)
  --max-headers=N              header fields in a request, else 431 (default 100)
  --max-uri-bytes=SIZE         request-target, else 414 (default 8KiB)
  --max-idle-per-endpoint=N    pooled backend connections per endpoint and worker (default 64)
  --passive-health-failures=N  failures in a row (connect, reset, timeout, 5xx) that take an
                               endpoint out of rotation; 0: off (default 5)
  --passive-health-ejection=DURATION  first time out; each later one lasts that much longer,
                               up to 5m (default 10s)
  --log-level=LEVEL            debug, info, warn or error (default info)
  --help                       this text
Durations take a unit: 250ms, 5s, 2m, 1h. Sizes are bytes, or with KiB or MiB.
Port 0 picks a free port.
)";

namespace {

// The shortest --tcp-peek-timeout and --udp-timeout: below it a ClientHello
// or a backend's answer has no chance to arrive.
constexpr uint64_t kMinL4TimeoutMs = 100;

std::string ParseEntrypoint(const std::string& value, EntrypointSpec* ep) {
  size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::StrCat("--entrypoint: expected NAME=HOST:PORT, got '", value, "'");
  }
  ep->name = value.substr(0, eq);
  for (char c : ep->name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return absl::StrCat("--entrypoint: name '", ep->name, "' may hold letters, digits, - and _");
    }
  }
  std::string address = value.substr(eq + 1);
  std::string suffix =
      address.size() > 4 ? absl::AsciiStrToLower(address.substr(address.size() - 4)) : "";
  if (suffix == "/udp" || suffix == "/tcp") {
    ep->udp = suffix == "/udp";
    address.resize(address.size() - 4);
  }
  if (!SplitHostPort(address, &ep->host, &ep->port)) {
    return absl::StrCat("--entrypoint ", ep->name, ": expected HOST:PORT, got '",
                        value.substr(eq + 1), "'");
  }
  return "";
}

EntrypointSpec* FindEntrypoint(ProxyFlags* flags, const std::string& name) {
  for (EntrypointSpec& ep : flags->entrypoints) {
    if (ep.name == name) return &ep;
  }
  return nullptr;
}

// A TCP entrypoint named by a per-entrypoint flag, else *error says why.
EntrypointSpec* FindTcpEntrypoint(ProxyFlags* flags, const std::string& name, const char* flag,
                                  std::string* error) {
  EntrypointSpec* ep = FindEntrypoint(flags, name);
  if (ep == nullptr) {
    *error = absl::StrCat("--", flag, ": no entrypoint named '", name, "'");
  } else if (ep->udp) {
    *error = absl::StrCat("--", flag, ": '", name,
                          "' is a UDP entrypoint (this setting is for TCP entrypoints)");
    ep = nullptr;
  }
  return ep;
}

// A setting without a name applies to every entrypoint; a named one
// overrides it for that entrypoint.
template <typename T>
std::string ApplyToEntrypoints(ProxyFlags* flags,
                               const std::vector<std::pair<std::string, T>>& settings,
                               const char* flag, void (*set)(EntrypointSpec*, T)) {
  for (const auto& [name, value] : settings) {
    if (!name.empty()) continue;
    for (EntrypointSpec& ep : flags->entrypoints) set(&ep, value);
  }
  for (const auto& [name, value] : settings) {
    if (name.empty()) continue;
    std::string error;
    EntrypointSpec* ep = FindTcpEntrypoint(flags, name, flag, &error);
    if (ep == nullptr) return error;
    set(ep, value);
  }
  return "";
}

std::string ApplyEntrypointSettings(ProxyFlags* flags) {
  for (const auto& [name, list] : flags->trusted_ips) {
    std::string error;
    EntrypointSpec* ep = FindTcpEntrypoint(flags, name, "trusted-ips", &error);
    if (ep == nullptr) return error;
    std::string err = ep->trusted_ips.Parse(list);
    if (!err.empty()) return absl::StrCat("--trusted-ips ", name, ": ", err);
  }
  if (std::string e = ApplyToEntrypoints<int>(
          flags, flags->max_connections, "max-connections",
          [](EntrypointSpec* ep, int limit) { ep->max_connections = limit; });
      !e.empty()) {
    return e;
  }
  return ApplyToEntrypoints<bool>(flags, flags->tls, "tls",
                                  [](EntrypointSpec* ep, bool on) { ep->tls = on; });
}

using Setter = std::function<std::string(const std::string&, ProxyFlags*)>;

Setter Size(const char* name, size_t ProxyLimits::*field, size_t min, size_t max) {
  return [name, field, min, max](const std::string& v, ProxyFlags* f) -> std::string {
    size_t bytes = 0;
    if (!ParseSize(v, &bytes) || bytes < min || bytes > max) {
      return absl::StrCat("--", name, ": expected a size from ", min, " to ", max,
                          " bytes (e.g. 16KiB), got '", v, "'");
    }
    f->limits.*field = bytes;
    return "";
  };
}

// `min_ms`: shorter values are refused (a zero timeout would end every
// connection or session at once).
Setter Duration(const char* name, uint64_t ProxyLimits::*field, uint64_t min_ms = 0) {
  return [name, field, min_ms](const std::string& v, ProxyFlags* f) -> std::string {
    uint64_t ms = 0;
    if (!ParseDurationMs(v, &ms)) {
      return absl::StrCat("--", name, ": invalid duration '", v, "' (use e.g. 500ms, 5s, 1m)");
    }
    if (ms < min_ms) {
      return absl::StrCat("--", name, ": expected at least ", min_ms, "ms, got '", v, "'");
    }
    f->limits.*field = ms;
    return "";
  };
}

const std::map<std::string, Setter>& Setters() {
  static const std::map<std::string, Setter> setters = {
      {"controller",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         f->controllers.clear();
         std::string_view rest = v;
         while (true) {
           size_t comma = rest.find(',');
           std::string address(rest.substr(0, comma));
           std::string host;
           int port = 0;
           if (!SplitHostPort(address, &host, &port) || port == 0) {
             return absl::StrCat("--controller: expected HOST:PORT[,HOST:PORT...], got '", v, "'");
           }
           f->controllers.push_back(address);
           if (comma == std::string_view::npos) break;
           rest.remove_prefix(comma + 1);
         }
         f->controller = v;
         return "";
       }},
      {"grpc-cert", [](const std::string& v, ProxyFlags* f) { return (f->grpc_cert = v, ""); }},
      {"grpc-key", [](const std::string& v, ProxyFlags* f) { return (f->grpc_key = v, ""); }},
      {"grpc-ca", [](const std::string& v, ProxyFlags* f) { return (f->grpc_ca = v, ""); }},
      {"grpc-server-name",
       [](const std::string& v, ProxyFlags* f) { return (f->grpc_server_name = v, ""); }},
      {"entrypoint",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         EntrypointSpec ep;
         std::string err = ParseEntrypoint(v, &ep);
         for (const EntrypointSpec& other : f->entrypoints) {
           if (err.empty() && other.name == ep.name)
             err = "--entrypoint: duplicate name " + ep.name;
         }
         if (err.empty()) f->entrypoints.push_back(ep);
         return err;
       }},
      {"admin-listen",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         if (!SplitHostPort(v, &f->admin_host, &f->admin_port)) {
           return absl::StrCat("--admin-listen: expected HOST:PORT, got '", v, "'");
         }
         return "";
       }},
      {"workers",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), f->workers);
         if (ec != std::errc() || end != v.data() + v.size() || f->workers < 1 ||
             f->workers > 256) {
           return absl::StrCat("--workers: expected a number from 1 to 256, got '", v, "'");
         }
         return "";
       }},
      {"node",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         f->node = v;
         return v.empty() ? "--node: empty name" : "";
       }},
      {"log-level",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         f->log_level = v;
         return "";
       }},
      {"grace-period",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         return ParseDurationMs(v, &f->grace_period_ms)
                    ? ""
                    : absl::StrCat("--grace-period: invalid duration '", v, "'");
       }},
      {"drain-delay",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         return ParseDurationMs(v, &f->drain_delay_ms)
                    ? ""
                    : absl::StrCat("--drain-delay: invalid duration '", v, "'");
       }},
      {"trusted-ips",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         size_t eq = v.find('=');
         if (eq == std::string::npos || eq == 0) {
           return absl::StrCat("--trusted-ips: expected NAME=CIDR[,CIDR...], got '", v, "'");
         }
         f->trusted_ips.emplace_back(v.substr(0, eq), v.substr(eq + 1));
         return "";
       }},
      {"max-connections",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         size_t eq = v.find('=');
         std::string name = eq == std::string::npos ? "" : v.substr(0, eq);
         std::string number = eq == std::string::npos ? v : v.substr(eq + 1);
         int limit = 0;
         auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), limit);
         if (ec != std::errc() || end != number.data() + number.size() || limit < 1) {
           return absl::StrCat("--max-connections: expected [NAME=]N with N >= 1, got '", v, "'");
         }
         f->max_connections.emplace_back(name, limit);
         return "";
       }},
      {"tls",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         size_t eq = v.find('=');
         std::string name = eq == std::string::npos ? "" : v.substr(0, eq);
         std::string value = eq == std::string::npos ? v : v.substr(eq + 1);
         if (value != "on" && value != "off") {
           return absl::StrCat("--tls: expected [NAME=]on or [NAME=]off, got '", v, "'");
         }
         f->tls.emplace_back(name, value == "on");
         return "";
       }},
      {"upstream-idle-timeout",
       Duration("upstream-idle-timeout", &ProxyLimits::upstream_idle_timeout_ms)},
      {"max-header-bytes", Size("max-header-bytes", &ProxyLimits::max_header_bytes, 1024, 1 << 20)},
      {"max-headers", Size("max-headers", &ProxyLimits::max_headers, 8, 10'000)},
      {"max-uri-bytes", Size("max-uri-bytes", &ProxyLimits::max_uri_bytes, 256, 1 << 20)},
      {"max-idle-per-endpoint",
       Size("max-idle-per-endpoint", &ProxyLimits::max_idle_per_endpoint, 0, 100'000)},
      {"passive-health-failures",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         int n = -1;
         auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || end != v.data() + v.size() || n < 0 || n > 1000) {
           return absl::StrCat("--passive-health-failures: expected 0 to 1000, got '", v, "'");
         }
         f->limits.passive_health.consecutive_failures = n;
         return "";
       }},
      {"passive-health-ejection",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         uint64_t ms = 0;
         if (!ParseDurationMs(v, &ms) || ms == 0) {
           return absl::StrCat("--passive-health-ejection: invalid duration '", v, "'");
         }
         f->limits.passive_health.base_ejection_ms = ms;
         f->limits.passive_health.max_ejection_ms = std::max<uint64_t>(ms, 300'000);
         return "";
       }},
      {"tunnel-idle-timeout",
       Duration("tunnel-idle-timeout", &ProxyLimits::tunnel_idle_timeout_ms)},
      {"tcp-peek-timeout",
       Duration("tcp-peek-timeout", &ProxyLimits::tcp_peek_timeout_ms, kMinL4TimeoutMs)},
      {"udp-timeout", Duration("udp-timeout", &ProxyLimits::udp_timeout_ms, kMinL4TimeoutMs)},
      {"udp-max-sessions",
       [](const std::string& v, ProxyFlags* f) -> std::string {
         size_t n = 0;
         auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
         if (ec != std::errc() || end != v.data() + v.size() || n < 1 || n > 1'000'000) {
           return absl::StrCat("--udp-max-sessions: expected 1 to 1000000, got '", v, "'");
         }
         f->limits.udp_max_sessions = n;
         return "";
       }},
      {"connect-timeout", Duration("connect-timeout", &ProxyLimits::connect_timeout_ms)},
      {"response-timeout", Duration("response-timeout", &ProxyLimits::response_timeout_ms)},
      {"header-timeout", Duration("header-timeout", &ProxyLimits::header_timeout_ms)},
      {"idle-timeout", Duration("idle-timeout", &ProxyLimits::idle_timeout_ms)},
  };
  return setters;
}

}  // namespace

std::string ParseProxyFlags(const std::vector<std::string>& args, ProxyFlags* flags) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) return absl::StrCat("unexpected argument '", arg, "'");
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "help" || name == "grpc-insecure") {
      if (has_value) return absl::StrCat("--", name, " takes no value");
      (name == "help" ? flags->help : flags->grpc_insecure) = true;
      continue;
    }
    auto it = Setters().find(name);
    if (it == Setters().end()) return absl::StrCat("unknown flag --", name, " (see --help)");
    if (!has_value) {
      if (i + 1 >= args.size()) return absl::StrCat("--", name, " needs a value");
      value = args[++i];
    }
    std::string err = it->second(value, flags);
    if (!err.empty()) return err;
  }
  if (flags->help) return "";
  if (flags->controller.empty()) return "--controller=HOST:PORT is required";
  bool any_tls = !flags->grpc_cert.empty() || !flags->grpc_key.empty() || !flags->grpc_ca.empty() ||
                 !flags->grpc_server_name.empty();
  if (flags->grpc_insecure && any_tls) {
    return "--grpc-insecure excludes --grpc-cert, --grpc-key, --grpc-ca and --grpc-server-name";
  }
  if (!flags->grpc_insecure &&
      (flags->grpc_cert.empty() || flags->grpc_key.empty() || flags->grpc_ca.empty())) {
    return "the channel to the controller needs --grpc-cert, --grpc-key and --grpc-ca (mutual "
           "TLS), or --grpc-insecure (plaintext, meant for loopback)";
  }
  if (flags->entrypoints.empty()) flags->entrypoints.push_back({"web", "0.0.0.0", 8080});
  return ApplyEntrypointSettings(flags);
}

}  // namespace portico::dataplane
