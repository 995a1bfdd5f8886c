// Maps a snapshot TlsOption (Traefik's TLSOption, checked by the
// controller) onto the proxy's TlsServerOptions: IANA cipher-suite names to
// OpenSSL's, version enums, groups, ALPN, client authentication. Used off
// the worker loops while a RuntimeConfig is built; pure apart from asking
// OpenSSL which groups it knows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dataplane/tls/tls_server_context.h"
#include "dataplane/tls/upstream_tls.h"
#include "portico/v1/tls.pb.h"

namespace portico::dataplane {

// OpenSSL's name for a TLS 1.2 cipher suite's IANA name
// ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" → "ECDHE-ECDSA-AES128-GCM-SHA256"),
// or "" for a name this proxy does not map.
std::string_view OpenSslCipherName(std::string_view iana_name);

// Returns "" or why the option cannot be served (a cipher suite or version
// no controller sends). Things this proxy's OpenSSL lacks but can do
// without (a group newer than it, an ALPN protocol the proxy does not
// speak) are left out with a message in *warnings.
std::string MapTlsOption(const v1::TlsOption& option, TlsServerOptions* out,
                         std::vector<std::string>* warnings);

// Maps a snapshot ServersTransport onto UpstreamTlsOptions (the first
// client certificate is the one presented). Returns "" or why it cannot be
// applied.
std::string MapServersTransport(const v1::ServersTransport& transport, UpstreamTlsOptions* out);

}  // namespace portico::dataplane
