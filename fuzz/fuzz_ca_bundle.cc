// libFuzzer target for ParseCaBundle, which reads the CA bundles of
// TLSOption clientAuth Secrets (controller) and snapshots (proxy). Beyond
// "no crash": success means at least one certificate, every one non-null;
// failure always says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/tls/client_ca.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace portico::dataplane;
  X509ChainPtr cas;
  std::string why =
      ParseCaBundle(std::string_view(reinterpret_cast<const char*>(data), size), &cas);
  if (!why.empty()) return 0;
  int count = sk_X509_num(cas.get());
  if (count <= 0) std::abort();
  for (int i = 0; i < count; ++i) {
    if (sk_X509_value(cas.get(), i) == nullptr) std::abort();
  }
  return 0;
}
