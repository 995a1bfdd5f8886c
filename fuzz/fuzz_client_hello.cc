// libFuzzer target for the ClientHello parser, which reads a TLS client's
// first bytes before OpenSSL does. Beyond "no crash": a complete parse names
// a lowercase server name without a trailing dot, an invalid verdict says
// why, and no prefix of a complete ClientHello is judged invalid (bytes
// arrive in pieces: a prefix must be "incomplete", never refused).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/tls/client_hello.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portico::dataplane;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ClientHello hello;
  std::string why;
  HelloStatus status = ParseClientHello(input, &hello, &why);
  if (status == HelloStatus::kComplete) {
    for (char c : hello.server_name) {
      if (c >= 'A' && c <= 'Z') std::abort();
    }
    if (!hello.server_name.empty() && hello.server_name.back() == '.') std::abort();
  }
  if (status == HelloStatus::kInvalid && why.empty()) std::abort();
  // Every prefix is a valid input too (bytes arrive in pieces).
  for (size_t cut : {size / 2, size / 3, size > 5 ? size_t{5} : size_t{0}}) {
    ClientHello partial;
    std::string partial_why;
    HelloStatus prefix = ParseClientHello(input.substr(0, cut), &partial, &partial_why);
    // A prefix of an input that parses completely is never "invalid".
    if (status == HelloStatus::kComplete && prefix == HelloStatus::kInvalid) std::abort();
  }
  return 0;
}
