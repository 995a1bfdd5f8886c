#include "controlplane/validate/validate_command.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "controlplane/admin/controller_admin.h"
#include "controlplane/compiler/compiler.h"
#include "controlplane/controller_flags.h"
#include "controlplane/model/cluster_state.h"
#include "controlplane/model/kind_registry.h"
#include "controlplane/snapshot_pipeline.h"
#include "controlplane/source/manifest_folder.h"
#include "controlplane/translate/snapshot_translator.h"
#include "google/protobuf/util/json_util.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace portico::controlplane {

const char kValidateUsage[] =
    R"(usage: portico-controller validate [flags] PATH...

Reads Kubernetes manifests (*.yaml and *.yml in folders, recursively; files;
"-" for standard input), compiles them as portico-controller would, and
prints one line per object. Exit status: 0 all ok, 1 any error, 2 usage.

  --traefik-compat           read traefik.io/v1alpha1 objects too (as the controller flag)
  --allow-cross-namespace    IngressRoutes may use Services of other namespaces
  --ingress-class=NAME       the class the controller serves (default portico); Ingresses
                             and IngressRoutes of other classes are listed as ignored
  --output=text|json         json: every object with its errors, and the compiled snapshot
                             (private keys redacted)
  --help                     this text
)";

namespace {

struct ValidateFlags {
  PipelineOptions options;
  bool json = false;
  std::vector<std::string> paths;
  bool help = false;
};

std::string ParseFlags(const std::vector<std::string>& args, ValidateFlags* flags) {
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      flags->help = true;
    } else if (arg == "--traefik-compat") {
      flags->options.traefik_compat = true;
    } else if (arg == "--allow-cross-namespace") {
      flags->options.compile.allow_cross_namespace = true;
    } else if (arg.starts_with("--ingress-class=")) {
      std::string name = arg.substr(sizeof("--ingress-class=") - 1);
      if (std::string e = CheckIngressClassName(name); !e.empty()) return "--ingress-class: " + e;
      flags->options.compile.ingress_class = name;
    } else if (arg == "--output=json" || arg == "--output=text") {
      flags->json = arg == "--output=json";
    } else if (arg.starts_with("--output")) {
      return "--output: expected text or json, got '" + arg + "'";
    } else if (arg.starts_with("-") && arg != "-") {
      return "unknown flag '" + arg + "'";
    } else {
      flags->paths.push_back(arg);
    }
  }
  if (!flags->help && flags->paths.empty()) return "no PATH given (a file, a folder or -)";
  return "";
}

// Every manifest file under `paths`, named by the path given plus, for
// folders, the file's path inside.
ManifestFolder ReadPaths(const std::vector<std::string>& paths, std::FILE* in,
                         const ManifestFolderOptions& options) {
  ManifestFolder all;
  for (const std::string& path : paths) {
    if (path == "-") {
      std::string content;
      char buffer[65536];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) content.append(buffer, n);
      all.files.push_back({"-", std::move(content)});
      continue;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      all.issues.push_back({path, "cannot be read"});
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      ManifestFolder folder = ReadManifestFolder(path, options);
      if (!folder.root_error.empty()) all.issues.push_back({path, folder.root_error});
      std::string prefix = path.ends_with("/") ? path : path + "/";
      for (ManifestFile& file : folder.files) {
        all.files.push_back(file);
        all.files.back().path = prefix + file.path;
      }
      for (SourceIssue& issue : folder.issues) {
        all.issues.push_back({prefix + issue.origin, std::move(issue.message)});
      }
      continue;
    }
    std::ifstream file(path, std::ios::binary);
    std::ostringstream content;
    content << file.rdbuf();
    if (!file) {
      all.issues.push_back({path, "cannot be read"});
      continue;
    }
    all.files.push_back({path, content.str()});
  }
  return all;
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

struct ObjectReport {
  std::string kind, namespace_name, name, origin;
  bool known = true;        // a kind the controller reads
  bool ignored = false;     // a traefik.io object without --traefik-compat
  std::string other_class;  // why an Ingress or IngressRoute is another class's
  std::vector<std::string> errors;
};

void WriteJson(const std::vector<ObjectReport>& objects, const std::vector<std::string>& other,
               const v1::Snapshot& snapshot, bool ok, std::FILE* out) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("ok");
  w.Bool(ok);
  w.Key("objects");
  w.StartArray();
  for (const ObjectReport& o : objects) {
    w.StartObject();
    w.Key("kind");
    w.String(o.kind);
    w.Key("namespace");
    w.String(o.namespace_name);
    w.Key("name");
    w.String(o.name);
    w.Key("origin");
    w.String(o.origin);
    w.Key("status");
    bool ignored = o.ignored || !o.other_class.empty();
    w.String(!o.errors.empty() ? "error" : ignored ? "ignored" : !o.known ? "unknown-kind" : "ok");
    w.Key("errors");
    w.StartArray();
    for (const std::string& e : o.errors) w.String(e);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("errors");
  w.StartArray();
  for (const std::string& e : other) w.String(e);
  w.EndArray();
  w.EndObject();
  std::string json = buffer.GetString();
  // The snapshot goes in as protobuf's JSON, private keys redacted.
  std::string snapshot_json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(RedactSecrets(snapshot), &snapshot_json,
                                                    options);
  json.pop_back();  // the closing brace
  json += ",\"snapshot\":" + (snapshot_json.empty() ? std::string("null") : snapshot_json) + "}\n";
  std::fputs(json.c_str(), out);
}

// Marks the Ingresses and IngressRoutes the controller would leave to
// another controller, with the reason ("class nginx, not portico").
void NoteOtherClasses(const ClusterState& state, const CompileOptions& options,
                      const std::map<std::string, size_t>& by_key,
                      std::vector<ObjectReport>* reports) {
  auto note = [&](const std::string& key, std::string reason) {
    auto it = by_key.find(key);
    if (reason.empty() || it == by_key.end()) return;
    (*reports)[it->second].other_class = std::move(reason);
  };
  for (const auto& [key, ingress] : state.ingresses) {
    note("Ingress/" + key.str(),
         IngressClassMismatch(ingress.class_ref, state.ingress_classes, options.ingress_class));
  }
  auto note_routes = [&](const auto& objects, const std::string& kind) {
    for (const auto& [key, route] : objects) {
      note(kind + "/" + key.str(),
           IngressRouteClassMismatch(route.spec.ingress_class_name, options.ingress_class));
    }
  };
  note_routes(state.crds.ingress_routes, "IngressRoute");
  note_routes(state.crds.ingress_routes_tcp, "IngressRouteTCP");
  note_routes(state.crds.ingress_routes_udp, "IngressRouteUDP");
}

}  // namespace

int RunValidate(const std::vector<std::string>& args, std::FILE* in, std::FILE* out,
                std::FILE* err) {
  ValidateFlags flags;
  if (std::string e = ParseFlags(args, &flags); !e.empty()) {
    std::fprintf(err, "portico-controller validate: %s\n(see validate --help)\n", e.c_str());
    return 2;
  }
  if (flags.help) {
    std::fputs(kValidateUsage, out);
    return 0;
  }
  ManifestFolderOptions read_options;
  ManifestFolder files = ReadPaths(flags.paths, in, read_options);
  SourceLoad load = ParseManifests(files, read_options);
  std::vector<std::string> other_errors;
  for (const SourceIssue& issue : files.issues)
    other_errors.push_back(issue.origin + ": " + issue.message);
  for (const SourceIssue& issue : load.issues)
    other_errors.push_back(issue.origin + ": " + issue.message);

  // One report per object, in file order; then the traefik.io filter, the
  // decode and the compile attach their findings.
  std::vector<ObjectReport> reports;
  std::map<std::string, size_t> by_origin, by_key;
  for (const SourceObject& object : load.objects) {
    ObjectReport r;
    r.kind = StringMember(object.json, "kind");
    r.origin = object.origin;
    std::string api_version = StringMember(object.json, "apiVersion");
    if (object.json.IsObject() && object.json.HasMember("metadata")) {
      r.name = StringMember(object.json["metadata"], "name");
      r.namespace_name = StringMember(object.json["metadata"], "namespace");
    }
    if (r.namespace_name.empty()) r.namespace_name = "default";
    if (r.kind == "IngressClass") r.namespace_name.clear();  // cluster-scoped
    r.known = FindKind(api_version, r.kind) != nullptr || r.kind == "List";
    r.ignored = !flags.options.traefik_compat && api_version.starts_with("traefik.io/");
    by_origin[r.origin] = reports.size();
    by_key[(r.kind == "TraefikService" ? "WeightedService" : r.kind) + "/" + r.namespace_name +
           "/" + r.name] = reports.size();
    reports.push_back(std::move(r));
  }
  FilterCompatObjects(flags.options, &load.objects);
  ClusterStateBuild build = BuildClusterState(load.objects);
  for (const SourceIssue& issue : build.issues) {
    // List items have origins "<file>#<n>/items[i]": charged to the List.
    std::string origin = issue.origin.substr(0, issue.origin.find('/', issue.origin.find('#')));
    auto it = by_origin.find(origin);
    if (it == by_origin.end()) {
      other_errors.push_back(issue.origin + ": " + issue.message);
    } else {
      reports[it->second].errors.push_back(issue.message);
    }
  }
  NoteOtherClasses(build.state, flags.options.compile, by_key, &reports);
  CompileResult result = Compile(build.state, flags.options.compile);
  for (const Diagnostic& d : result.diagnostics) {
    auto it = by_key.find(d.object);
    std::string text = d.reason + ": " + d.message;
    if (it == by_key.end()) {
      other_errors.push_back(d.object + ": " + text);
    } else {
      reports[it->second].errors.push_back(text);
    }
  }

  bool ok = other_errors.empty();
  for (const ObjectReport& r : reports) ok &= r.errors.empty();
  if (flags.json) {
    WriteJson(reports, other_errors, TranslateSnapshot(result), ok, out);
    return ok ? 0 : 1;
  }
  for (const ObjectReport& r : reports) {
    std::string name = r.namespace_name.empty() ? r.name : r.namespace_name + "/" + r.name;
    std::string what = r.kind + " " + name + " (" + r.origin + ")";
    if (!r.errors.empty()) {
      for (const std::string& e : r.errors)
        std::fprintf(out, "error   %s: %s\n", what.c_str(), e.c_str());
    } else if (r.ignored) {
      std::fprintf(out, "ignored %s: a traefik.io object; pass --traefik-compat to read it\n",
                   what.c_str());
    } else if (!r.other_class.empty()) {
      std::fprintf(out, "ignored %s: %s\n", what.c_str(), r.other_class.c_str());
    } else if (!r.known) {
      std::fprintf(out, "ignored %s: not a kind portico reads\n", what.c_str());
    } else {
      std::fprintf(out, "ok      %s\n", what.c_str());
    }
  }
  for (const std::string& e : other_errors) std::fprintf(out, "error   %s\n", e.c_str());
  // TCP and UDP routes are counted only when there are some.
  std::string l4;
  if (!result.tcp_routes.empty())
    l4 += ", " + std::to_string(result.tcp_routes.size()) + " TCP routes";
  if (!result.udp_routes.empty())
    l4 += ", " + std::to_string(result.udp_routes.size()) + " UDP routes";
  std::fprintf(out, "%zu objects, %zu routes%s; %s\n", reports.size(), result.routes.size(),
               l4.c_str(), ok ? "no errors" : "errors found");
  return ok ? 0 : 1;
}

}  // namespace portico::controlplane
