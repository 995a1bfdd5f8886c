// Pruning after a compile: of everything compiled, only what the winning
// routes use (directly, or through weighted and mirroring services) goes
// into the result, sorted by name. Used by Compile and the incremental
// compile.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controlplane/compiler/compile_result.h"

namespace portico::controlplane {

// The services the routes use, children included, sorted by name. Moves
// them out of `compiled`.
std::vector<BackendService> UsedServices(const std::vector<Route>& routes,
                                         std::map<std::string, BackendService>& compiled);

// The clusters `result`'s routes (HTTP, TCP, UDP) and services use.
std::vector<Cluster> UsedClusters(const CompileResult& result,
                                  std::map<std::string, Cluster> resolved);

// The Middlewares the routes name.
std::vector<Middleware> UsedMiddlewares(const std::vector<Route>& routes,
                                        std::map<std::string, Middleware>& compiled);

// The MiddlewareTCPs and ServersTransportTCPs the TCP routes name.
std::vector<TcpMiddleware> UsedTcpMiddlewares(const std::vector<TcpRoute>& routes,
                                              std::map<std::string, TcpMiddleware>& compiled);
std::vector<ServersTransportTcp> UsedTcpServersTransports(
    const std::vector<TcpRoute>& routes, std::map<std::string, ServersTransportTcp>& compiled);

// The ServersTransports the services name.
std::vector<ServersTransport> UsedServersTransports(
    const std::vector<BackendService>& services,
    std::map<std::string, ServersTransport>& compiled);

}  // namespace portico::controlplane
