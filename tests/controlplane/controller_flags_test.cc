#include "controlplane/controller_flags.h"

#include <catch2/catch.hpp>

namespace portico::controlplane {
namespace {

std::string Parse(std::vector<std::string> args, ControllerFlags* flags) {
  return ParseControllerFlags(args, flags);
}

TEST_CASE("defaults and both flag forms", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--source=file:/etc/portico", "--grpc-insecure"}, &f) == "");
  CHECK(f.source_dir == "/etc/portico");
  CHECK(f.grpc_host == "0.0.0.0");
  CHECK(f.grpc_port == 18000);
  CHECK(f.admin_host == "127.0.0.1");
  CHECK(f.admin_port == 9000);
  CHECK(f.log_level == "info");

  ControllerFlags g;
  CHECK(Parse({"--source", "file:dir", "--grpc-listen", "127.0.0.1:0", "--admin-listen=[::1]:9100",
               "--log-level", "debug", "--grpc-insecure"},
              &g) == "");
  CHECK(g.source_dir == "dir");
  CHECK(g.grpc_host == "127.0.0.1");
  CHECK(g.grpc_port == 0);
  CHECK(g.admin_host == "::1");
  CHECK(g.admin_port == 9100);
  CHECK(g.log_level == "debug");
}

TEST_CASE("the channel certificates' refresh interval", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--grpc-insecure"}, &f) == "");
  CHECK(f.grpc_cert_refresh_ms == 60'000);
  CHECK(Parse({"--grpc-insecure", "--grpc-cert-refresh=5m"}, &f) == "");
  CHECK(f.grpc_cert_refresh_ms == 300'000);
  for (const char* bad : {"500ms", "0s", "30", "2d", "25h"}) {
    INFO(bad);
    ControllerFlags g;
    CHECK(Parse({"--grpc-insecure", std::string("--grpc-cert-refresh=") + bad}, &g) ==
          std::string("--grpc-cert-refresh: expected a duration from 1s to 24h, got '") + bad +
              "'");
  }
}

TEST_CASE("the Kubernetes source is the default", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--grpc-insecure"}, &f) == "");
  CHECK(f.source_dir.empty());
  CHECK(f.kubeconfig.empty());
  CHECK(f.namespaces.empty());

  ControllerFlags g;
  CHECK(Parse({"--source=file:d", "--source=kube", "--kubeconfig", "/k/config",
               "--namespaces=shop,team-2", "--grpc-insecure"},
              &g) == "");
  CHECK(g.source_dir.empty());
  CHECK(g.kubeconfig == "/k/config");
  CHECK(g.namespaces == std::vector<std::string>{"shop", "team-2"});
}

TEST_CASE("help needs nothing else", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--bogus", "--help"}, &f) == "");
  CHECK(f.help);
}

TEST_CASE("mutual TLS flags replace --grpc-insecure", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--source=file:d", "--grpc-cert=c.pem", "--grpc-key", "k.pem", "--grpc-ca=ca.pem"},
              &f) == "");
  CHECK(f.grpc_cert == "c.pem");
  CHECK(f.grpc_key == "k.pem");
  CHECK(f.grpc_ca == "ca.pem");
  CHECK_FALSE(f.grpc_insecure);
}

TEST_CASE("the --ingress-class flag picks the class to serve", "[controller_flags]") {
  ControllerFlags f;
  CHECK(Parse({"--grpc-insecure"}, &f) == "");
  CHECK(f.compile.compile.ingress_class == "portico");
  ControllerFlags g;
  CHECK(Parse({"--grpc-insecure", "--ingress-class", "internal.example"}, &g) == "");
  CHECK(g.compile.compile.ingress_class == "internal.example");
}

TEST_CASE("every refusal is precise", "[controller_flags]") {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const Case& c : {
           Case{{"--source=kube"},
                "the snapshot channel needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), or "
                "--grpc-insecure (plaintext, meant for loopback)"},
           Case{{"--grpc-insecure", "--kubeconfig="}, "--kubeconfig: PATH is missing"},
           Case{{"--grpc-insecure", "--namespaces=a,,b"},
                "--namespaces: '' is not a namespace name (lowercase letters, digits and '-', at "
                "most 63)"},
           Case{{"--grpc-insecure", "--namespaces=Shop"},
                "--namespaces: 'Shop' is not a namespace name (lowercase letters, digits and '-', "
                "at most 63)"},
           Case{{"--grpc-insecure", "--namespaces=a-"},
                "--namespaces: 'a-' is not a namespace name (lowercase letters, digits and '-', "
                "at most 63)"},
           Case{{"--source=file:d", "--grpc-insecure", "--kubeconfig=k"},
                "--kubeconfig applies to --source=kube only"},
           Case{{"--source=file:d", "--grpc-insecure", "--namespaces=a"},
                "--namespaces applies to --source=kube only"},
           Case{{"--source=file:d"},
                "the snapshot channel needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), or "
                "--grpc-insecure (plaintext, meant for loopback)"},
           Case{{"--source=file:d", "--grpc-insecure", "--grpc-cert=c.pem"},
                "--grpc-insecure excludes --grpc-cert, --grpc-key and --grpc-ca"},
           Case{{"--source=file:d", "--grpc-cert=c.pem", "--grpc-key=k.pem"},
                "the snapshot channel needs --grpc-cert, --grpc-key and --grpc-ca (mutual TLS), or "
                "--grpc-insecure (plaintext, meant for loopback)"},
           Case{{"--source=file:", "--grpc-insecure"}, "--source=file:DIR: DIR is missing"},
           Case{{"--source=/etc", "--grpc-insecure"},
                "--source: expected kube or file:DIR, got '/etc'"},
           Case{{"--source=file:d", "--grpc-insecure", "--grpc-listen=nope"},
                "--grpc-listen: expected HOST:PORT, got 'nope'"},
           Case{{"--source=file:d", "--grpc-insecure", "--admin-listen=:99999"},
                "--admin-listen: expected HOST:PORT, got ':99999'"},
           Case{{"--source=file:d", "--grpc-insecure", "--log-level=loud"},
                "--log-level: expected debug, info, warn or error, got 'loud'"},
           Case{{"--source=file:d", "--grpc-insecure", "--log-level"},
                "--log-level: missing value"},
           Case{{"--source=file:d", "--grpc-insecure", "--ingress-class="},
                "--ingress-class: '' is not an IngressClass name (lowercase letters, digits, '-' "
                "and '.')"},
           Case{{"--source=file:d", "--grpc-insecure", "--ingress-class=Portico"},
                "--ingress-class: 'Portico' is not an IngressClass name (lowercase letters, "
                "digits, '-' and '.')"},
           Case{{"--source=file:d", "--grpc-insecure=yes"}, "--grpc-insecure takes no value"},
           Case{{"--source=file:d", "--grpc-insecure", "--workers=2"},
                "unknown flag '--workers=2' (see --help)"},
           Case{{"--source=file:d", "--grpc-insecure", "extra"}, "unexpected argument 'extra'"},
       }) {
    ControllerFlags f;
    INFO(c.args[0]);
    CHECK(Parse(c.args, &f) == c.error);
  }
}

}  // namespace
}  // namespace portico::controlplane

namespace portico::controlplane {
namespace {

TEST_CASE("the --lease and --publish-address flags", "[controller_flags]") {
  ControllerFlags f;
  CHECK(ParseControllerFlags({"--grpc-insecure", "--lease=portico-system/portico-controller",
                              "--publish-address=203.0.113.7,lb.example.com"},
                             &f) == "");
  CHECK(f.lease == "portico-system/portico-controller");
  CHECK(f.publish_address == "203.0.113.7,lb.example.com");
  for (const char* bad : {"--lease=nonamespace", "--lease=Ns/name", "--lease=ns/", "--lease=ns/-x"}) {
    INFO(bad);
    ControllerFlags g;
    CHECK_THAT(ParseControllerFlags({"--grpc-insecure", bad}, &g),
               Catch::StartsWith("--lease: expected NAMESPACE/NAME"));
  }
  ControllerFlags h;
  CHECK(ParseControllerFlags({"--grpc-insecure", "--source=file:d", "--lease=a/b"}, &h) ==
        "--lease, --publish-address and --publish-service apply to --source=kube only");
  ControllerFlags i;
  CHECK_FALSE(ParseControllerFlags({"--grpc-insecure", "--publish-address=bad address"}, &i).empty());
}

TEST_CASE("the --publish-service flag", "[controller_flags]") {
  ControllerFlags f;
  CHECK(ParseControllerFlags({"--grpc-insecure", "--publish-service", "portico-system/portico"},
                             &f) == "");
  CHECK(f.publish_service == "portico-system/portico");
  CHECK(f.publish_address.empty());
  for (const char* bad :
       {"--publish-service=portico", "--publish-service=ns/", "--publish-service=/svc",
        "--publish-service=ns/1svc", "--publish-service=ns/svc.x", "--publish-service=Ns/svc",
        "--publish-service=ns/svc/x"}) {
    INFO(bad);
    ControllerFlags g;
    CHECK_THAT(ParseControllerFlags({"--grpc-insecure", bad}, &g),
               Catch::StartsWith("--publish-service: expected NAMESPACE/SERVICE"));
  }
  for (std::vector<std::string> both :
       {std::vector<std::string>{"--publish-address=10.0.0.1", "--publish-service=ns/svc"},
        std::vector<std::string>{"--publish-service=ns/svc", "--publish-address=10.0.0.1"}}) {
    both.push_back("--grpc-insecure");
    ControllerFlags g;
    CHECK(ParseControllerFlags(both, &g) ==
          "--publish-address and --publish-service exclude each other: publish fixed addresses "
          "or a Service's, not both");
  }
  ControllerFlags h;
  CHECK(ParseControllerFlags({"--grpc-insecure", "--source=file:d", "--publish-service=a/b"}, &h) ==
        "--lease, --publish-address and --publish-service apply to --source=kube only");
}

}  // namespace
}  // namespace portico::controlplane
