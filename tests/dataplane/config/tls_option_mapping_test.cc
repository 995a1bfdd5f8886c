// Snapshot TLS options onto the proxy's TLS contexts: name mapping and the
// binding of options to the hosts of TLS routes.
#include "dataplane/config/tls_option_mapping.h"

#include <catch2/catch.hpp>

#include "dataplane/config/runtime_config.h"

namespace portico::dataplane {
namespace {

TEST_CASE("TLS option mapping: IANA suites to OpenSSL names, versions, flags", "[config][tls]") {
  v1::TlsOption option;
  option.set_name("shop/modern");
  option.set_min_version(v1::TLS_1_3);
  option.add_cipher_suites("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  option.add_cipher_suites("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
  option.add_curve_preferences("P-384");
  option.add_curve_preferences("X25519");
  option.add_alpn_protocols("h2");
  option.add_alpn_protocols("http/1.1");
  option.set_sni_strict(true);
  option.set_disable_session_tickets(true);
  option.mutable_client_auth()->set_type(v1::REQUIRE_ANY_CLIENT_CERT);
  TlsServerOptions out;
  std::vector<std::string> warnings;
  REQUIRE(MapTlsOption(option, &out, &warnings) == "");
  CHECK(out.name == "shop/modern");
  CHECK(out.min_version == TLS1_3_VERSION);
  CHECK(out.max_version == TLS1_3_VERSION);
  CHECK(out.tls12_ciphers == "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305");
  CHECK(out.groups == "P-384:X25519");
  CHECK(out.alpn == std::vector<std::string>{"http/1.1"});
  CHECK(out.sni_strict);
  CHECK_FALSE(out.session_tickets);
  CHECK(out.client_auth == ClientAuth::kRequireAny);
  CHECK(warnings == std::vector<std::string>{
                        "TLS option shop/modern: ALPN protocol h2 is not served by this proxy; "
                        "left out"});
}

TEST_CASE("TLS option mapping: unset values are the defaults", "[config][tls]") {
  v1::TlsOption option;
  option.set_name("default");
  TlsServerOptions out;
  std::vector<std::string> warnings;
  REQUIRE(MapTlsOption(option, &out, &warnings) == "");
  TlsServerOptions defaults;
  CHECK(out.min_version == TLS1_2_VERSION);
  CHECK(out.max_version == TLS1_3_VERSION);
  CHECK(out.tls12_ciphers == defaults.tls12_ciphers);
  CHECK(out.groups == defaults.groups);
  CHECK(out.alpn == defaults.alpn);
  CHECK(out.session_tickets);
  CHECK(out.client_auth == ClientAuth::kNone);
  CHECK(warnings.empty());
}

TEST_CASE("TLS option mapping: what a proxy cannot serve", "[config][tls]") {
  v1::TlsOption option;
  option.set_name("ns/o");
  TlsServerOptions out;
  std::vector<std::string> warnings;
  option.add_curve_preferences("P-999");
  option.add_curve_preferences("P-256");
  REQUIRE(MapTlsOption(option, &out, &warnings) == "");
  CHECK(out.groups == "P-256");
  CHECK(warnings == std::vector<std::string>{
                        "TLS option ns/o: curve P-999 is not supported by this proxy's TLS "
                        "library; left out"});

  option.add_cipher_suites("TLS_AES_128_GCM_SHA256");  // TLS 1.3: never sent
  CHECK(MapTlsOption(option, &out, &warnings) ==
        "unknown TLS 1.2 cipher suite TLS_AES_128_GCM_SHA256");
  option.clear_cipher_suites();
  option.set_min_version(v1::TLS_1_3);
  option.set_max_version(v1::TLS_1_2);
  CHECK(MapTlsOption(option, &out, &warnings) == "minVersion is above maxVersion");
  option.clear_max_version();
  option.mutable_client_auth()->set_type(v1::REQUIRE_AND_VERIFY_CLIENT_CERT);
  CHECK(MapTlsOption(option, &out, &warnings) ==
        "client authentication verifies certificates but the option has no CA bundle");
}

v1::Snapshot TlsSnapshot() {
  v1::Snapshot s;
  s.set_version("v1");
  auto* strict = s.add_tls_options();
  strict->set_name("shop/strict");
  strict->set_sni_strict(true);
  auto* route = s.add_routes();
  route->set_name("shop/web/r0");
  route->add_hosts("shop.test");
  route->add_hosts("*.shop.test");
  route->mutable_path()->set_path("/");
  route->mutable_tls()->set_options("shop/strict");
  auto* plain = s.add_routes();
  plain->set_name("other/web/r0/p0");
  plain->set_host("other.test");
  plain->mutable_path()->set_path("/");
  plain->mutable_tls();
  return s;
}

TEST_CASE("a config binds each TLS option to the hosts of its routes", "[config][tls]") {
  std::string error;
  auto config = RuntimeConfig::Build(TlsSnapshot(), &error);
  INFO(error);
  REQUIRE(config != nullptr);
  CHECK(config->tls().size() == 2);  // the snapshot's option and the built-in default
  CHECK(config->tls().ForServerName("shop.test")->name() == "shop/strict");
  CHECK(config->tls().ForServerName("a.shop.test")->sni_strict());
  CHECK(config->tls().ForServerName("other.test")->name() == "default");
  CHECK_FALSE(config->tls().ForServerName("nowhere.test")->sni_strict());

  v1::Snapshot s = TlsSnapshot();
  s.mutable_routes(0)->mutable_tls()->set_options("shop/missing");
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "route shop/web/r0: unknown TLS option shop/missing");

  s = TlsSnapshot();
  *s.add_tls_options() = s.tls_options(0);
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "duplicate TLS option shop/strict");

  s = TlsSnapshot();
  s.mutable_tls_options(0)->set_min_version(static_cast<v1::TlsVersion>(9));
  CHECK(RuntimeConfig::Build(s, &error) == nullptr);
  CHECK(error == "TLS option shop/strict: unknown TLS version");
}

}  // namespace
}  // namespace portico::dataplane
