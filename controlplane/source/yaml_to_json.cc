#include "controlplane/source/yaml_to_json.h"

#include <map>
#include <sstream>
#include <unordered_set>

#include "controlplane/source/yaml_scalar.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/exceptions.h"
#include "yaml-cpp/parser.h"

namespace portico::controlplane {
namespace {

// A document is first built as a small tree in which an alias is a second
// reference to the anchored node; the JSON DOM is then produced from it with
// the expansion counted, so aliases cannot multiply memory unchecked.
struct TreeNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string tag;
  std::string value;
  YAML::Mark mark;
  std::vector<int> children;  // a map holds key, value, key, value, ...
  bool complete = false;
};

class TreeBuilder : public YAML::EventHandler {
 public:
  explicit TreeBuilder(size_t max_nodes) : max_nodes_(max_nodes) {}

  std::vector<TreeNode> nodes;
  int root = -1;

  YAML::Mark start;  // where the document begins

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(TreeNode{.kind = TreeNode::Kind::kNull, .mark = mark, .complete = true}, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) throw YAML::ParserException(mark, "unknown alias");
    if (!nodes[static_cast<size_t>(it->second)].complete) {
      throw YAML::ParserException(mark, "alias refers to a node that contains it");
    }
    Attach(it->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Add(TreeNode{.kind = TreeNode::Kind::kScalar,
                 .tag = tag,
                 .value = value,
                 .mark = mark,
                 .complete = true},
        anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open_.push_back(Add(TreeNode{.kind = TreeNode::Kind::kSequence, .mark = mark}, anchor));
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open_.push_back(Add(TreeNode{.kind = TreeNode::Kind::kMap, .mark = mark}, anchor));
  }
  void OnMapEnd() override { Close(); }

 private:
  int Add(TreeNode node, YAML::anchor_t anchor) {
    // The JSON cap also bounds the tree: an 8 MiB "[a,a,a,...]" must not
    // cost hundreds of megabytes before conversion even starts.
    if (nodes.size() >= max_nodes_) {
      throw YAML::ParserException(
          node.mark, "document has more than " + std::to_string(max_nodes_) + " nodes");
    }
    nodes.push_back(std::move(node));
    int id = static_cast<int>(nodes.size() - 1);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = id;
    Attach(id);
    return id;
  }
  void Attach(int id) {
    if (open_.empty()) {
      root = id;
    } else {
      nodes[static_cast<size_t>(open_.back())].children.push_back(id);
    }
  }
  void Close() {
    nodes[static_cast<size_t>(open_.back())].complete = true;
    open_.pop_back();
  }

  size_t max_nodes_;
  std::map<YAML::anchor_t, int> anchors_;
  std::vector<int> open_;
};

struct ConversionError {
  YAML::Mark mark;
  std::string reason;
};

class JsonWriter {
 public:
  JsonWriter(const std::vector<TreeNode>& nodes, rapidjson::Document::AllocatorType& alloc,
             const YamlLimits& limits)
      : nodes_(nodes), alloc_(alloc), limits_(limits) {}

  void Convert(int id, int depth, rapidjson::Value* out) {
    const TreeNode& node = nodes_[static_cast<size_t>(id)];
    if (++produced_ > limits_.max_nodes) {
      throw ConversionError{node.mark, "document expands to more than " +
                                           std::to_string(limits_.max_nodes) +
                                           " nodes (alias expansion?)"};
    }
    if (depth > limits_.max_depth) {
      throw ConversionError{node.mark,
                            "nesting deeper than " + std::to_string(limits_.max_depth) + " levels"};
    }
    switch (node.kind) {
      case TreeNode::Kind::kNull:
        out->SetNull();
        return;
      case TreeNode::Kind::kScalar:
        ConvertScalar(node, out);
        return;
      case TreeNode::Kind::kSequence:
        out->SetArray();
        for (int child : node.children) {
          rapidjson::Value item;
          Convert(child, depth + 1, &item);
          out->PushBack(item, alloc_);
        }
        return;
      case TreeNode::Kind::kMap:
        ConvertMap(node, depth, out);
        return;
    }
  }

 private:
  static YamlScalar Resolve(const TreeNode& node) {
    return node.tag == "?" ? ResolvePlainScalar(node.value)
                           : ResolveTaggedScalar(node.tag, node.value);
  }

  void ConvertScalar(const TreeNode& node, rapidjson::Value* out) {
    YamlScalar s = Resolve(node);
    using Type = YamlScalar::Type;
    switch (s.type) {
      case Type::kNull:
        out->SetNull();
        return;
      case Type::kBool:
        out->SetBool(s.boolean);
        return;
      case Type::kInt:
        out->SetInt64(s.int_value);
        return;
      case Type::kUint:
        out->SetUint64(s.uint_value);
        return;
      case Type::kFloat:
        out->SetDouble(s.float_value);
        return;
      case Type::kString:
        out->SetString(node.value, alloc_);
        return;
      case Type::kInvalid:
        throw ConversionError{node.mark, s.error};
    }
  }

  // Keys are always strings in JSON; like sigs.k8s.io/yaml, a plain `on:`
  // becomes "true" and `1:` becomes "1", and a null key is refused.
  std::string KeyText(const TreeNode& key) {
    if (key.kind == TreeNode::Kind::kNull) {
      throw ConversionError{key.mark, "a null mapping key is not supported"};
    }
    if (key.kind != TreeNode::Kind::kScalar) {
      throw ConversionError{key.mark, "mapping keys must be scalars"};
    }
    YamlScalar s = Resolve(key);
    using Type = YamlScalar::Type;
    switch (s.type) {
      case Type::kNull:
        throw ConversionError{key.mark, "a null mapping key is not supported"};
      case Type::kBool:
        return s.boolean ? "true" : "false";
      case Type::kInt:
        return std::to_string(s.int_value);
      case Type::kUint:
        return std::to_string(s.uint_value);
      case Type::kInvalid:
        throw ConversionError{key.mark, s.error};
      default:
        return key.value;
    }
  }

  static bool IsMergeKey(const TreeNode& key) {
    return key.kind == TreeNode::Kind::kScalar && key.tag == "?" && key.value == "<<";
  }

  void ConvertMap(const TreeNode& node, int depth, rapidjson::Value* out) {
    out->SetObject();
    std::unordered_set<std::string> seen;
    std::vector<int> merges;
    for (size_t i = 0; i + 1 < node.children.size(); i += 2) {
      const TreeNode& key = nodes_[static_cast<size_t>(node.children[i])];
      if (IsMergeKey(key)) {
        merges.push_back(node.children[i + 1]);
        continue;
      }
      std::string name = KeyText(key);
      if (!seen.insert(name).second) {
        throw ConversionError{key.mark, "duplicate key \"" + name + "\""};
      }
      AddMember(name, node.children[i + 1], depth, out);
    }
    for (int merge : merges) Merge(merge, depth, &seen, out);
  }

  // YAML 1.1 merge keys (`<<: *base`), which go-yaml v2 supports: keys set
  // explicitly win, then earlier merged maps win over later ones.
  void Merge(int id, int depth, std::unordered_set<std::string>* seen, rapidjson::Value* out) {
    const TreeNode& source = nodes_[static_cast<size_t>(id)];
    std::vector<int> maps;
    if (source.kind == TreeNode::Kind::kMap) maps.push_back(id);
    if (source.kind == TreeNode::Kind::kSequence) maps = source.children;
    if (maps.empty()) throw ConversionError{source.mark, "<< must merge a map or a list of maps"};
    for (int map_id : maps) {
      const TreeNode& map = nodes_[static_cast<size_t>(map_id)];
      if (map.kind != TreeNode::Kind::kMap) {
        throw ConversionError{map.mark, "<< must merge a map or a list of maps"};
      }
      for (size_t i = 0; i + 1 < map.children.size(); i += 2) {
        std::string name = KeyText(nodes_[static_cast<size_t>(map.children[i])]);
        if (seen->insert(name).second) AddMember(name, map.children[i + 1], depth, out);
      }
    }
  }

  void AddMember(const std::string& name, int value_id, int depth, rapidjson::Value* out) {
    rapidjson::Value key(name, alloc_);
    rapidjson::Value value;
    Convert(value_id, depth + 1, &value);
    out->AddMember(key, value, alloc_);
  }

  const std::vector<TreeNode>& nodes_;
  rapidjson::Document::AllocatorType& alloc_;
  const YamlLimits& limits_;
  size_t produced_ = 0;
};

// yaml-cpp 0.7 cannot get past some input (a ',' outside [] or {}, as in
// "#\n,"): it reports the same empty document at the same place forever.
std::string StuckReason(std::string_view text, const YAML::Mark& at) {
  std::string reason = "the YAML parser cannot get past this point";
  if (at.pos >= 0 && static_cast<size_t>(at.pos) < text.size() && text[at.pos] == ',') {
    reason = "',' outside [] or {}: " + reason;
  }
  return reason;
}

void FillPosition(const YAML::Mark& mark, YamlError* error) {
  if (mark.is_null()) return;
  error->line = mark.line + 1;
  error->column = mark.column + 1;
}

}  // namespace

bool YamlToJson(std::string_view text, std::vector<YamlDocument>* documents, YamlError* error,
                const YamlLimits& limits) {
  documents->clear();
  *error = YamlError{};
  std::istringstream input{std::string(text)};
  int index = 0;
  try {
    YAML::Parser parser(input);
    int previous_start = -1;
    for (;; ++index) {
      TreeBuilder builder(limits.max_nodes);
      if (!parser.HandleNextDocument(builder)) break;
      if (builder.start.pos <= previous_start) {  // every document starts further on
        // Named after the first document that started there.
        *error = YamlError{.document = index - 1, .reason = StuckReason(text, builder.start)};
        FillPosition(builder.start, error);
        break;
      }
      previous_start = builder.start.pos;
      if (index >= limits.max_documents) {
        *error = YamlError{.document = index,
                           .reason = "more than " + std::to_string(limits.max_documents) +
                                     " documents in one file"};
        break;
      }
      if (builder.root < 0 ||
          builder.nodes[static_cast<size_t>(builder.root)].kind == TreeNode::Kind::kNull) {
        continue;  // an empty document (comments only, or a lone ---)
      }
      YamlDocument doc{.index = index};
      JsonWriter writer(builder.nodes, doc.json.GetAllocator(), limits);
      writer.Convert(builder.root, 1, &doc.json);
      documents->push_back(std::move(doc));
    }
  } catch (const YAML::Exception& e) {
    *error = YamlError{.document = index, .reason = e.msg};
    FillPosition(e.mark, error);
  } catch (const ConversionError& e) {
    *error = YamlError{.document = index, .reason = e.reason};
    FillPosition(e.mark, error);
  } catch (const std::exception& e) {
    *error = YamlError{.document = index, .reason = e.what()};
  }
  if (!error->reason.empty()) {
    documents->clear();
    return false;
  }
  return true;
}

std::string DescribeYamlError(const YamlError& error) {
  std::string out;
  if (error.document >= 0) out += "document " + std::to_string(error.document) + ", ";
  if (error.line > 0) {
    out += "line " + std::to_string(error.line) + ", column " + std::to_string(error.column) + ", ";
  }
  if (!out.empty()) out.replace(out.size() - 2, 2, ": ");
  return out + error.reason;
}

}  // namespace portico::controlplane
