#include "dataplane/tls/client_hello.h"

namespace portico::dataplane {
namespace {

constexpr uint8_t kHandshakeRecord = 0x16;
constexpr uint8_t kClientHelloType = 1;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecordPayload = 16384 + 256;

// Bounds-checked reads from a byte range; any overrun sets `failed`.
struct Reader {
  std::string_view data;
  bool failed = false;

  bool Has(size_t n) const { return !failed && data.size() >= n; }
  uint32_t Number(size_t bytes) {
    if (!Has(bytes)) {
      failed = true;
      return 0;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<uint8_t>(data[i]);
    data.remove_prefix(bytes);
    return value;
  }
  std::string_view Bytes(size_t n) {
    if (!Has(n)) {
      failed = true;
      return {};
    }
    std::string_view out = data.substr(0, n);
    data.remove_prefix(n);
    return out;
  }
  // A block preceded by its length in `length_bytes` bytes.
  Reader Block(size_t length_bytes) { return Reader{Bytes(Number(length_bytes)), failed}; }
};

void ReadServerName(Reader ext, ClientHello* out) {
  Reader list = ext.Block(2);
  while (list.Has(1)) {
    uint32_t type = list.Number(1);
    std::string_view name = list.Block(2).data;
    if (type != 0 || list.failed) continue;  // host_name is type 0
    out->server_name.clear();
    for (char c : name) out->server_name.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (!out->server_name.empty() && out->server_name.back() == '.') out->server_name.pop_back();
    return;
  }
}

void ReadAlpn(Reader ext, ClientHello* out) {
  Reader list = ext.Block(2);
  while (list.Has(1)) {
    std::string_view protocol = list.Block(1).data;
    if (!list.failed && !protocol.empty()) out->alpn.emplace_back(protocol);
  }
}

void ReadUint16List(Reader list, std::vector<uint16_t>* out) {
  while (list.Has(2)) out->push_back(static_cast<uint16_t>(list.Number(2)));
}

bool ReadExtensions(Reader extensions, ClientHello* out) {
  while (extensions.Has(4)) {
    uint32_t type = extensions.Number(2);
    Reader ext = extensions.Block(2);
    if (extensions.failed) return false;
    switch (type) {
      case 0:  // server_name
        ReadServerName(ext, out);
        break;
      case 13:  // signature_algorithms
        ReadUint16List(ext.Block(2), &out->signature_schemes);
        break;
      case 16:  // application_layer_protocol_negotiation
        ReadAlpn(ext, out);
        break;
      case 43: {  // supported_versions
        std::vector<uint16_t> versions;
        ReadUint16List(ext.Block(1), &versions);
        for (uint16_t v : versions) out->offers_tls13 |= v == 0x0304;
        break;
      }
      default:
        break;
    }
  }
  return extensions.data.empty();
}

// A DNS host name: labels of [a-z0-9_-], none empty or over 63 bytes, at
// most 253 bytes in all (the trailing dot is already gone). Anything else in
// SNI is refused: it would only reach certificate lookup, routing and logs.
bool ValidServerName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

bool ReadHelloBody(std::string_view body, ClientHello* out, std::string* why) {
  Reader r{body};
  r.Number(2);  // legacy_version
  r.Bytes(32);  // random
  r.Block(1);   // legacy_session_id
  ReadUint16List(r.Block(2), &out->cipher_suites);
  r.Block(1);  // legacy_compression_methods
  if (r.failed) {
    *why = "truncated ClientHello";
    return false;
  }
  if (r.data.empty()) return true;  // no extensions (old clients)
  Reader extensions = r.Block(2);
  if (r.failed || !ReadExtensions(extensions, out)) {
    *why = "malformed ClientHello extensions";
    return false;
  }
  if (!out->server_name.empty() && !ValidServerName(out->server_name)) {
    *why = "the server name (SNI) is not a valid host name";
    out->server_name.clear();
    return false;
  }
  return true;
}

}  // namespace

HelloStatus ParseClientHello(std::string_view data, ClientHello* out, std::string* why) {
  // Gather the handshake bytes of the records, in order, until the message
  // header says how long it is and that many bytes are there.
  std::string gathered;
  std::string_view message;
  size_t offset = 0;
  for (;;) {
    if (data.size() - offset < kRecordHeader) return HelloStatus::kIncomplete;
    const auto* h = reinterpret_cast<const uint8_t*>(data.data() + offset);
    size_t length = (size_t{h[3]} << 8) | h[4];
    if (h[0] != kHandshakeRecord || h[1] != 3 || h[2] > 4 || length == 0 ||
        length > kMaxRecordPayload) {
      *why = offset == 0 ? "not a TLS handshake record"
                         : "a record inside the ClientHello is not a handshake record";
      return HelloStatus::kInvalid;
    }
    if (data.size() - offset - kRecordHeader < length) return HelloStatus::kIncomplete;
    std::string_view payload = data.substr(offset + kRecordHeader, length);
    offset += kRecordHeader + length;
    if (offset == kRecordHeader + length && message.empty() && gathered.empty()) {
      message = payload;  // the common case: one record, no copy
    } else {
      if (gathered.empty()) gathered.assign(message);
      gathered.append(payload);
      message = gathered;
    }
    if (message.size() < 4) continue;
    const auto* m = reinterpret_cast<const uint8_t*>(message.data());
    size_t hello_length = (size_t{m[1]} << 16) | (size_t{m[2]} << 8) | m[3];
    if (m[0] != kClientHelloType) {
      *why = "the first handshake message is not a ClientHello";
      return HelloStatus::kInvalid;
    }
    if (hello_length > kMaxClientHelloBytes) {
      *why = "ClientHello larger than " + std::to_string(kMaxClientHelloBytes) + " bytes";
      return HelloStatus::kInvalid;
    }
    if (message.size() - 4 < hello_length) continue;
    *out = ClientHello{};
    if (!ReadHelloBody(message.substr(4, hello_length), out, why)) return HelloStatus::kInvalid;
    return HelloStatus::kComplete;
  }
}

}  // namespace portico::dataplane
