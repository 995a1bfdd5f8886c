// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
// 2) a TCP route sends to its backend first when its ServersTransportTCP
// asks: the client's address and the address it connected to. Pure.
#pragma once

#include <sys/socket.h>

#include <string>

namespace portico::dataplane {

// `version` 1 (text) or 2 (binary). Addresses of different families (or
// unknown ones) give "PROXY UNKNOWN" (v1) or the LOCAL command (v2).
std::string ProxyProtocolHeader(int version, const sockaddr_storage& source,
                                const sockaddr_storage& destination);

}  // namespace portico::dataplane
