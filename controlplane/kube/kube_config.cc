#include "controlplane/kube/kube_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"

namespace portico::controlplane {
namespace {

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  *out = text.str();
  return true;
}

// Walks the parsed kubeconfig; every error names the file, the position and
// the field path ("users[0].user.client-key-data").
class KubeconfigReader {
 public:
  explicit KubeconfigReader(std::string path) : path_(std::move(path)) {
    base_dir_ = std::filesystem::path(path_).parent_path().string();
  }

  std::string Error(const YAML::Node& at, const std::string& field, const std::string& message) {
    std::string where = "kubeconfig " + path_ + ": ";
    if (at.IsDefined() && at.Mark().line >= 0) {
      where += "line " + std::to_string(at.Mark().line + 1) + ", column " +
               std::to_string(at.Mark().column + 1) + ": ";
    }
    return where + field + ": " + message;
  }

  // A string field; "" when absent. False (and `error`) when not a scalar.
  bool String(const YAML::Node& parent, const std::string& parent_path, const char* key,
              std::string* out, std::string* error) {
    YAML::Node node = parent[key];
    out->clear();
    if (!node.IsDefined() || node.IsNull()) return true;
    if (!node.IsScalar()) {
      *error = Error(node, parent_path + "." + key, "expected a string");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  bool Bool(const YAML::Node& parent, const std::string& parent_path, const char* key, bool* out,
            std::string* error) {
    YAML::Node node = parent[key];
    if (!node.IsDefined() || node.IsNull()) return true;
    std::string text = node.IsScalar() ? node.Scalar() : "";
    if (text == "true") {
      *out = true;
    } else if (text == "false") {
      *out = false;
    } else {
      *error = Error(node, parent_path + "." + key, "expected true or false");
      return false;
    }
    return true;
  }

  // The kubeconfig's base64 fields; whitespace is allowed (wrapped lines).
  bool Base64(const YAML::Node& parent, const std::string& parent_path, const char* key,
              std::string* out, std::string* error) {
    std::string text;
    if (!String(parent, parent_path, key, &text, error)) return false;
    if (text.empty()) return true;
    std::string compact;
    for (char c : text) {
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') compact.push_back(c);
    }
    if (compact.size() % 4 != 0 || !absl::Base64Unescape(compact, out)) {
      *error = Error(parent[key], parent_path + "." + key, "not valid base64");
      return false;
    }
    return true;
  }

  // A file path field, made absolute against the kubeconfig's folder and
  // checked to be readable now (the contents are read later, when used).
  bool File(const YAML::Node& parent, const std::string& parent_path, const char* key,
            std::string* out, std::string* error) {
    if (!String(parent, parent_path, key, out, error)) return false;
    if (out->empty()) return true;
    std::filesystem::path p(*out);
    if (p.is_relative() && !base_dir_.empty()) p = std::filesystem::path(base_dir_) / p;
    *out = p.lexically_normal().string();
    std::ifstream in(*out);
    if (!in) {
      *error = Error(parent[key], parent_path + "." + key,
                     "cannot read " + *out + ": " + std::strerror(errno));
      return false;
    }
    return true;
  }

  // The entry of list `section` whose name is `name`, and its index.
  bool Find(const YAML::Node& root, const char* section, const std::string& name,
            YAML::Node* entry, std::string* entry_path, std::string* error) {
    YAML::Node list = root[section];
    if (list.IsDefined() && !list.IsNull() && !list.IsSequence()) {
      *error = Error(list, section, "expected a list");
      return false;
    }
    for (size_t i = 0; list.IsSequence() && i < list.size(); ++i) {
      YAML::Node item = list[i];
      std::string item_path = std::string(section) + "[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        *error = Error(item, item_path, "expected a mapping with name and " +
                                            std::string(section).substr(0, strlen(section) - 1));
        return false;
      }
      std::string item_name;
      if (!String(item, item_path, "name", &item_name, error)) return false;
      if (item_name != name) continue;
      std::string body = std::string(section).substr(0, strlen(section) - 1);
      *entry = item[body];
      *entry_path = item_path + "." + body;
      if (!entry->IsMap()) {
        *error = Error(entry->IsDefined() ? *entry : item, *entry_path, "expected a mapping");
        return false;
      }
      return true;
    }
    *error = Error(root[section], section, "no entry named \"" + name + "\"");
    return false;
  }

  std::string ReadCluster(const YAML::Node& cluster, const std::string& at, KubeConfig* c) {
    std::string error;
    if (!String(cluster, at, "server", &c->server, &error)) return error;
    if (c->server.empty()) return Error(cluster, at + ".server", "missing");
    if (!c->server.starts_with("https://") && !c->server.starts_with("http://")) {
      return Error(cluster["server"], at + ".server",
                   "expected an https:// or http:// URL, got \"" + c->server + "\"");
    }
    while (c->server.ends_with("/")) c->server.pop_back();
    if (!Base64(cluster, at, "certificate-authority-data", &c->ca_pem, &error) ||
        !Bool(cluster, at, "insecure-skip-tls-verify", &c->insecure_skip_tls_verify, &error)) {
      return error;
    }
    // As client-go: inline data wins over a file.
    if (c->ca_pem.empty() && !File(cluster, at, "certificate-authority", &c->ca_file, &error)) {
      return error;
    }
    if (!c->ca_pem.empty() && c->ca_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Error(cluster["certificate-authority-data"], at + ".certificate-authority-data",
                   "does not hold a PEM certificate");
    }
    return "";
  }

  std::string ReadUser(const YAML::Node& user, const std::string& at, KubeConfig* c) {
    for (const char* plugin : {"exec", "auth-provider"}) {
      if (user[plugin].IsDefined()) {
        return Error(user[plugin], at + "." + plugin,
                     "credential plugins are not supported; use token, tokenFile or a client "
                     "certificate");
      }
    }
    if (user["username"].IsDefined() || user["password"].IsDefined()) {
      return Error(user, at + ".username",
                   "basic authentication is not supported; use a token or a client certificate");
    }
    std::string error;
    if (!String(user, at, "token", &c->token, &error)) return error;
    if (c->token.empty() && !File(user, at, "tokenFile", &c->token_file, &error)) return error;
    if (!Base64(user, at, "client-certificate-data", &c->client_cert_pem, &error) ||
        !Base64(user, at, "client-key-data", &c->client_key_pem, &error)) {
      return error;
    }
    if (c->client_cert_pem.empty() &&
        !File(user, at, "client-certificate", &c->client_cert_file, &error)) {
      return error;
    }
    if (c->client_key_pem.empty() && !File(user, at, "client-key", &c->client_key_file, &error)) {
      return error;
    }
    bool has_cert = !c->client_cert_pem.empty() || !c->client_cert_file.empty();
    bool has_key = !c->client_key_pem.empty() || !c->client_key_file.empty();
    if (has_cert != has_key) {
      return Error(user, at, has_cert ? "client-certificate is set but client-key is not"
                                      : "client-key is set but client-certificate is not");
    }
    if (!c->client_cert_pem.empty() &&
        c->client_cert_pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return Error(user["client-certificate-data"], at + ".client-certificate-data",
                   "does not hold a PEM certificate");
    }
    if (!c->client_key_pem.empty() &&
        c->client_key_pem.find("PRIVATE KEY-----") == std::string::npos) {
      return Error(user["client-key-data"], at + ".client-key-data",
                   "does not hold a PEM private key");
    }
    return "";
  }

  std::string Read(const YAML::Node& root, KubeConfig* c) {
    if (!root.IsMap()) return Error(root, "(document)", "expected a mapping (kind: Config)");
    std::string error, context_name;
    if (!String(root, "", "current-context", &context_name, &error)) return error;
    if (context_name.empty()) return Error(root, "current-context", "not set");
    YAML::Node context;
    std::string context_path;
    if (!Find(root, "contexts", context_name, &context, &context_path, &error)) {
      return "kubeconfig " + path_ + ": current-context \"" + context_name +
             "\" is not defined (" + error.substr(error.rfind(": ") + 2) + " in contexts)";
    }
    std::string cluster_name, user_name;
    if (!String(context, context_path, "cluster", &cluster_name, &error) ||
        !String(context, context_path, "user", &user_name, &error) ||
        !String(context, context_path, "namespace", &c->namespace_, &error)) {
      return error;
    }
    if (cluster_name.empty()) return Error(context, context_path + ".cluster", "missing");
    YAML::Node cluster, user;
    std::string cluster_path, user_path;
    if (!Find(root, "clusters", cluster_name, &cluster, &cluster_path, &error)) return error;
    if (std::string e = ReadCluster(cluster, cluster_path, c); !e.empty()) return e;
    if (!user_name.empty()) {
      if (!Find(root, "users", user_name, &user, &user_path, &error)) return error;
      if (std::string e = ReadUser(user, user_path, c); !e.empty()) return e;
    }
    if (c->namespace_.empty()) c->namespace_ = "default";
    c->origin = "kubeconfig " + path_ + " (context " + context_name + ")";
    return "";
  }

 private:
  std::string path_;
  std::string base_dir_;
};

}  // namespace

std::string ParseKubeconfig(const std::string& text, const std::string& path, KubeConfig* config) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return "kubeconfig " + path + ": line " + std::to_string(e.mark.line + 1) + ", column " +
           std::to_string(e.mark.column + 1) + ": " + e.msg;
  }
  KubeConfig parsed;
  try {
    if (std::string e = KubeconfigReader(path).Read(root, &parsed); !e.empty()) return e;
  } catch (const YAML::Exception& e) {
    return "kubeconfig " + path + ": " + e.msg;
  }
  *config = std::move(parsed);
  return "";
}

std::string LoadKubeconfig(const std::string& path, KubeConfig* config) {
  std::string text, error;
  if (!ReadFile(path, &text, &error)) return "kubeconfig: " + error;
  return ParseKubeconfig(text, path, config);
}

bool RunningInCluster(const InClusterEnvironment& env) {
  return env.getenv("KUBERNETES_SERVICE_HOST").has_value() &&
         env.getenv("KUBERNETES_SERVICE_PORT").has_value();
}

std::string LoadInClusterConfig(const InClusterEnvironment& env, KubeConfig* config) {
  std::optional<std::string> host = env.getenv("KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = env.getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty()) {
    return "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set";
  }
  KubeConfig c;
  bool v6 = host->find(':') != std::string::npos;
  c.server = "https://" + (v6 ? "[" + *host + "]" : *host) + ":" + *port;
  c.token_file = env.account_dir + "/token";
  c.ca_file = env.account_dir + "/ca.crt";
  std::string text, error;
  for (const std::string& file : {c.token_file, c.ca_file}) {
    if (!ReadFile(file, &text, &error)) return "in-cluster: " + error;
  }
  if (ReadFile(env.account_dir + "/namespace", &text, &error)) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    c.namespace_ = text;
  }
  if (c.namespace_.empty()) c.namespace_ = "default";
  c.origin = "in-cluster (" + c.server + ")";
  *config = std::move(c);
  return "";
}

std::string ResolveKubeConfig(const std::string& kubeconfig_flag, const InClusterEnvironment& env,
                              KubeConfig* config) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag, config);
  if (std::optional<std::string> list = env.getenv("KUBECONFIG"); list && !list->empty()) {
    return LoadKubeconfig(list->substr(0, list->find(':')), config);
  }
  if (RunningInCluster(env)) return LoadInClusterConfig(env, config);
  std::optional<std::string> home = env.getenv("HOME");
  if (home && std::filesystem::exists(*home + "/.kube/config")) {
    return LoadKubeconfig(*home + "/.kube/config", config);
  }
  return "no Kubernetes configuration: pass --kubeconfig=PATH or set KUBECONFIG, or run in a "
         "pod (KUBERNETES_SERVICE_HOST/_PORT unset)";
}

InClusterEnvironment ProcessEnvironment() {
  return {.getenv = [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }};
}

}  // namespace portico::controlplane
