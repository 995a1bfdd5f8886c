// Kubeconfig and in-cluster configuration: every field, and precise errors.
#include "controlplane/kube/kube_config.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

namespace portico::controlplane {
namespace {

// base64 of small PEM-looking texts, written out literally.
constexpr char kCaPem[] = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
constexpr char kCaB64[] =
    "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClEwRT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=";
constexpr char kKeyPem[] = "-----BEGIN PRIVATE KEY-----\nSw==\n-----END PRIVATE KEY-----\n";
constexpr char kKeyB64[] =
    "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tClN3PT0KLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo=";

class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/kubeconfig-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Config(const std::string& cluster, const std::string& user,
                   const std::string& context_extra = "") {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "contexts:\n- name: other\n  context: {cluster: nope, user: nope}\n"
         "- name: dev\n  context:\n    cluster: c1\n    user: u1\n" + context_extra +
         "clusters:\n- name: c1\n  cluster:\n" + cluster +
         "users:\n- name: u1\n  user:\n" + user;
}

TEST_CASE("kubeconfig with inline data", "[kube][config]") {
  KubeConfig c;
  std::string text = Config(
      "    server: https://10.0.0.1:6443/\n    certificate-authority-data: " + std::string(kCaB64) +
          "\n",
      "    client-certificate-data: " + std::string(kCaB64) +
          "\n    client-key-data: " + kKeyB64 + "\n",
      "    namespace: team-a\n");
  REQUIRE(ParseKubeconfig(text, "/etc/kube.yaml", &c) == "");
  CHECK(c.server == "https://10.0.0.1:6443");
  CHECK(c.ca_pem == kCaPem);
  CHECK(c.ca_file.empty());
  CHECK(c.client_cert_pem == kCaPem);
  CHECK(c.client_key_pem == kKeyPem);
  CHECK(c.namespace_ == "team-a");
  CHECK_FALSE(c.insecure_skip_tls_verify);
  CHECK(c.origin == "kubeconfig /etc/kube.yaml (context dev)");
}

TEST_CASE("kubeconfig with files relative to its folder, a token, insecure", "[kube][config]") {
  TempDir dir;
  dir.Write("ca.crt", kCaPem);
  dir.Write("client.crt", kCaPem);
  dir.Write("client.key", kKeyPem);
  std::filesystem::create_directory(dir.path() + "/sub");
  dir.Write("sub/token", "tok\n");
  std::string path = dir.Write(
      "config", Config("    server: http://127.0.0.1:8080\n    certificate-authority: ca.crt\n"
                       "    insecure-skip-tls-verify: true\n",
                       "    token: secret-token\n    client-certificate: client.crt\n"
                       "    client-key: " + dir.path() + "/client.key\n"));
  KubeConfig c;
  REQUIRE(LoadKubeconfig(path, &c) == "");
  CHECK(c.server == "http://127.0.0.1:8080");
  CHECK(c.ca_file == dir.path() + "/ca.crt");
  CHECK(c.insecure_skip_tls_verify);
  CHECK(c.token == "secret-token");
  CHECK(c.client_cert_file == dir.path() + "/client.crt");
  CHECK(c.client_key_file == dir.path() + "/client.key");
  CHECK(c.namespace_ == "default");

  std::string with_file = dir.Write(
      "config2", Config("    server: https://k\n", "    tokenFile: sub/token\n"));
  KubeConfig d;
  REQUIRE(LoadKubeconfig(with_file, &d) == "");
  CHECK(d.token.empty());
  CHECK(d.token_file == dir.path() + "/sub/token");
}

TEST_CASE("bad kubeconfigs are refused with the field and position", "[kube][config]") {
  const std::string ok_cluster = "    server: https://k\n";
  struct Case {
    std::string text;
    std::string error;
  };
  for (const Case& c : {
           Case{"current-context: [", "kubeconfig k.yaml: line 1, column 1: end of sequence flow not found"},
           Case{"- a\n- b\n",
                "kubeconfig k.yaml: line 1, column 1: (document): expected a mapping (kind: Config)"},
           Case{"kind: Config\n", "kubeconfig k.yaml: line 1, column 1: current-context: not set"},
           Case{"current-context: x\ncontexts: []\n",
                "kubeconfig k.yaml: current-context \"x\" is not defined (no entry named \"x\" "
                "in contexts)"},
           Case{Config("    server: ftp://k\n", ""),
                "kubeconfig k.yaml: line 14, column 13: clusters[0].cluster.server: expected an "
                "https:// or http:// URL, got \"ftp://k\""},
           Case{Config("    insecure-skip-tls-verify: true\n", ""),
                "kubeconfig k.yaml: line 14, column 5: clusters[0].cluster.server: missing"},
           Case{Config(ok_cluster + "    certificate-authority-data: not*base64\n", ""),
                "kubeconfig k.yaml: line 15, column 33: "
                "clusters[0].cluster.certificate-authority-data: not valid base64"},
           Case{Config(ok_cluster + "    certificate-authority-data: aGVsbG8=\n", ""),
                "kubeconfig k.yaml: line 15, column 33: "
                "clusters[0].cluster.certificate-authority-data: does not hold a PEM certificate"},
           Case{Config(ok_cluster + "    certificate-authority: /nonexistent/ca.crt\n", ""),
                "kubeconfig k.yaml: line 15, column 28: clusters[0].cluster.certificate-authority: "
                "cannot read /nonexistent/ca.crt: No such file or directory"},
           Case{Config(ok_cluster + "    insecure-skip-tls-verify: maybe\n", ""),
                "kubeconfig k.yaml: line 15, column 31: "
                "clusters[0].cluster.insecure-skip-tls-verify: expected true or false"},
           Case{Config(ok_cluster, "    client-key-data: " + std::string(kKeyB64) + "\n"),
                "kubeconfig k.yaml: line 18, column 5: users[0].user: client-key is set but "
                "client-certificate is not"},
           Case{Config(ok_cluster, "    client-certificate-data: " + std::string(kCaB64) +
                                       "\n    client-key-data: " + kCaB64 + "\n"),
                "kubeconfig k.yaml: line 19, column 22: users[0].user.client-key-data: does not "
                "hold a PEM private key"},
           Case{Config(ok_cluster, "    exec:\n      command: aws\n"),
                "kubeconfig k.yaml: line 19, column 7: users[0].user.exec: credential plugins "
                "are not supported; use token, tokenFile or a client certificate"},
           Case{Config(ok_cluster, "    token: [a]\n"),
                "kubeconfig k.yaml: line 18, column 12: users[0].user.token: expected a string"},
           Case{Config(ok_cluster, "    username: admin\n"),
                "kubeconfig k.yaml: line 18, column 5: users[0].user.username: basic "
                "authentication is not supported; use a token or a client certificate"},
           Case{"current-context: dev\ncontexts:\n- name: dev\n  context: {user: u}\n",
                "kubeconfig k.yaml: line 4, column 12: contexts[0].context.cluster: missing"},
           Case{"current-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c}\n"
                "clusters: {}\n",
                "kubeconfig k.yaml: line 5, column 11: clusters: expected a list"},
           Case{"current-context: dev\ncontexts:\n- name: dev\n  context: {cluster: c}\n"
                "clusters:\n- name: d\n  cluster: {server: https://k}\n",
                "kubeconfig k.yaml: line 6, column 1: clusters: no entry named \"c\""},
           Case{"current-context: dev\ncontexts:\n- dev\n",
                "kubeconfig k.yaml: current-context \"dev\" is not defined (expected a mapping "
                "with name and context in contexts)"},
       }) {
    KubeConfig config;
    INFO(c.text);
    CHECK(ParseKubeconfig(c.text, "k.yaml", &config) == c.error);
  }
}

TEST_CASE("a missing kubeconfig file", "[kube][config]") {
  KubeConfig c;
  CHECK(LoadKubeconfig("/nonexistent/kubeconfig", &c) ==
        "kubeconfig: cannot read /nonexistent/kubeconfig: No such file or directory");
}

TEST_CASE("in cluster: service-account files and the service address", "[kube][config]") {
  TempDir dir;
  dir.Write("token", "sa-token\n");
  dir.Write("ca.crt", kCaPem);
  dir.Write("namespace", "portico-system\n");
  std::map<std::string, std::string> env = {{"KUBERNETES_SERVICE_HOST", "fd00::1"},
                                            {"KUBERNETES_SERVICE_PORT", "443"}};
  InClusterEnvironment in{.getenv = [&](const char* name) -> std::optional<std::string> {
                            auto it = env.find(name);
                            if (it == env.end()) return std::nullopt;
                            return it->second;
                          },
                          .account_dir = dir.path()};
  CHECK(RunningInCluster(in));
  KubeConfig c;
  REQUIRE(LoadInClusterConfig(in, &c) == "");
  CHECK(c.server == "https://[fd00::1]:443");
  CHECK(c.token_file == dir.path() + "/token");
  CHECK(c.token.empty());  // re-read by TokenSource, never cached here
  CHECK(c.ca_file == dir.path() + "/ca.crt");
  CHECK(c.namespace_ == "portico-system");

  // ResolveKubeConfig prefers KUBECONFIG to the service account.
  std::string kubeconfig = dir.Write("kc", Config("    server: https://k\n", "    token: t\n"));
  env["KUBECONFIG"] = kubeconfig + ":/other";
  KubeConfig r;
  REQUIRE(ResolveKubeConfig("", in, &r) == "");
  CHECK(r.server == "https://k");
  env.erase("KUBECONFIG");
  REQUIRE(ResolveKubeConfig("", in, &r) == "");
  CHECK(r.server == "https://[fd00::1]:443");

  std::filesystem::remove(dir.path() + "/token");
  CHECK(LoadInClusterConfig(in, &c) ==
        "in-cluster: cannot read " + dir.path() + "/token: No such file or directory");
  env.erase("KUBERNETES_SERVICE_PORT");
  CHECK_FALSE(RunningInCluster(in));
  CHECK(LoadInClusterConfig(in, &c) ==
        "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set");
  env["HOME"] = dir.path();
  CHECK(ResolveKubeConfig("", in, &c) ==
        "no Kubernetes configuration: pass --kubeconfig=PATH or set KUBECONFIG, or run in a "
        "pod (KUBERNETES_SERVICE_HOST/_PORT unset)");
}

}  // namespace
}  // namespace portico::controlplane
