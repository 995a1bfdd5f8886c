// Listening sockets that several worker loops share through SO_REUSEPORT,
// so the kernel spreads new connections over the workers. (libuv 1.44 has
// no UV_TCP_REUSEPORT; the sockets are made here and handed to uv_tcp_open.)
#pragma once

#include <sys/socket.h>

#include <string>
#include <vector>

namespace portico::dataplane {

// Opens `count` sockets bound to host:port with SO_REUSEPORT, not yet
// listening (the worker listens once it has a config).
// Port 0 picks a free port once, shared by all `count` sockets; *bound_port
// receives it. On failure closes what it opened and returns an error.
// `type` SOCK_DGRAM: UDP sockets (the kernel keeps one client's datagrams
// on one socket while the set of sockets does not change).
std::string OpenReusePortListeners(const std::string& host, int port, int count,
                                   std::vector<int>* fds, int* bound_port,
                                   int type = SOCK_STREAM);

}  // namespace portico::dataplane
