#include "controlplane/kube/api_objects.h"

#include "rapidjson/error/en.h"

namespace portico::controlplane {
std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

const rapidjson::Value* ObjectMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

namespace {

std::string ParseError(const rapidjson::Document& doc) {
  return std::string("not JSON at offset ") + std::to_string(doc.GetErrorOffset()) + ": " +
         rapidjson::GetParseError_En(doc.GetParseError());
}

void SetString(rapidjson::Document* doc, const char* name, const std::string& value) {
  auto& a = doc->GetAllocator();
  rapidjson::Value v(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), a);
  if (auto it = doc->FindMember(name); it != doc->MemberEnd()) {
    it->value = v;
  } else {
    doc->AddMember(rapidjson::StringRef(name), v, a);
  }
}

}  // namespace

std::string TakeObject(const rapidjson::Value& item, const ResourceKind& kind, KeyedObject* out) {
  if (!item.IsObject()) return "expected an object";
  auto meta = item.FindMember("metadata");
  if (meta == item.MemberEnd() || !meta->value.IsObject()) return "metadata: missing";
  std::string name = StringMember(meta->value, "name");
  if (name.empty()) return "metadata.name: missing";
  std::string ns = StringMember(meta->value, "namespace");
  if (kind.namespaced && ns.empty()) return "metadata.namespace: missing (" + name + ")";
  auto doc = std::make_shared<rapidjson::Document>();
  doc->CopyFrom(item, doc->GetAllocator());
  SetString(doc.get(), "apiVersion", kind.api_version());
  SetString(doc.get(), "kind", kind.kind);
  rapidjson::Value& m = (*doc)["metadata"];
  m.RemoveMember("managedFields");
  if (auto annotations = m.FindMember("annotations");
      annotations != m.MemberEnd() && annotations->value.IsObject()) {
    annotations->value.RemoveMember("kubectl.kubernetes.io/last-applied-configuration");
  }
  out->key = kind.namespaced ? ns + "/" + name : name;
  out->resource_version = StringMember(m, "resourceVersion");
  out->object = std::move(doc);
  return "";
}

std::string ParseListPage(std::string_view body, const ResourceKind& kind, ListPage* page) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) return "list body " + ParseError(doc);
  if (!doc.IsObject()) return "list body: expected an object";
  auto meta = doc.FindMember("metadata");
  if (meta != doc.MemberEnd()) {
    page->resource_version = StringMember(meta->value, "resourceVersion");
    page->continue_token = StringMember(meta->value, "continue");
  }
  if (page->resource_version.empty()) return "list body: metadata.resourceVersion missing";
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd() || items->value.IsNull()) return "";  // an empty list
  if (!items->value.IsArray()) return "list body: items: expected an array";
  for (rapidjson::SizeType i = 0; i < items->value.Size(); ++i) {
    KeyedObject object;
    if (std::string e = TakeObject(items->value[i], kind, &object); !e.empty()) {
      return "list body: items[" + std::to_string(i) + "]: " + e;
    }
    page->items.push_back(std::move(object));
  }
  return "";
}

std::string ParseWatchEvent(std::string_view line, const ResourceKind& kind, WatchEvent* event) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError()) return "watch event " + ParseError(doc);
  event->type_name = StringMember(doc, "type");
  auto object = doc.IsObject() ? doc.FindMember("object") : doc.MemberEnd();
  if (event->type_name.empty() || object == doc.MemberEnd() || !object->value.IsObject()) {
    return "watch event: expected {\"type\": ..., \"object\": {...}}";
  }
  const std::string& type = event->type_name;
  const rapidjson::Value& o = object->value;
  if (type == "ERROR") {
    event->type = WatchEventType::kError;
    auto code = o.FindMember("code");
    event->error_code = code != o.MemberEnd() && code->value.IsInt() ? code->value.GetInt() : 0;
    event->error_reason = StringMember(o, "reason");
    event->error_message = StringMember(o, "message");
    return "";
  }
  if (type == "BOOKMARK") {
    event->type = WatchEventType::kBookmark;
    auto meta = o.FindMember("metadata");
    if (meta != o.MemberEnd()) {
      event->object.resource_version = StringMember(meta->value, "resourceVersion");
    }
    if (event->object.resource_version.empty()) {
      return "BOOKMARK event: metadata.resourceVersion missing";
    }
    return "";
  }
  if (type == "ADDED") {
    event->type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    event->type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    event->type = WatchEventType::kDeleted;
  } else {
    event->type = WatchEventType::kOther;
    return "";
  }
  if (std::string e = TakeObject(o, kind, &event->object); !e.empty()) {
    return type + " event: " + e;
  }
  if (event->object.resource_version.empty()) {
    return type + " event: metadata.resourceVersion missing (" + event->object.key + ")";
  }
  return "";
}

std::string StatusText(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || StringMember(doc, "kind") != "Status") return "";
  std::string reason = StringMember(doc, "reason");
  std::string message = StringMember(doc, "message");
  if (reason.empty()) return message;
  return message.empty() ? reason : reason + ": " + message;
}

}  // namespace portico::controlplane
