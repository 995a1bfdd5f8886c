// The JSON the Kubernetes API answers with, taken apart for the reflector:
// list pages, watch events and Status errors. Objects are copied into
// documents of their own, with apiVersion and kind filled in (list items
// lack them) and what no compile needs dropped (managedFields, kubectl's
// last-applied annotation). Pure functions; no threading.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controlplane/kube/resource_kind.h"
#include "rapidjson/document.h"

namespace portico::controlplane {

using KubeObject = std::shared_ptr<const rapidjson::Document>;

// "namespace/name", or "name" for cluster-scoped objects.
struct KeyedObject {
  std::string key;
  std::string resource_version;
  KubeObject object;
};

// Copies `item` as an object of `kind`. Returns "" or what is wrong with it.
std::string TakeObject(const rapidjson::Value& item, const ResourceKind& kind, KeyedObject* out);

struct ListPage {
  std::vector<KeyedObject> items;
  std::string resource_version;  // metadata.resourceVersion
  std::string continue_token;    // metadata.continue; "" on the last page
};
std::string ParseListPage(std::string_view body, const ResourceKind& kind, ListPage* page);

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError, kOther };

struct WatchEvent {
  WatchEventType type = WatchEventType::kOther;
  std::string type_name;
  KeyedObject object;  // ADDED, MODIFIED, DELETED; BOOKMARK: resource_version only
  int error_code = 0;  // ERROR: the Status code (410 when expired)
  std::string error_reason;
  std::string error_message;
};
std::string ParseWatchEvent(std::string_view line, const ResourceKind& kind, WatchEvent* event);

// object[name] when it is a string (else ""), or an object (else null).
std::string StringMember(const rapidjson::Value& object, const char* name);
const rapidjson::Value* ObjectMember(const rapidjson::Value& object, const char* name);

// The message and reason of a Status body ("" when the body is not one).
std::string StatusText(std::string_view body);

}  // namespace portico::controlplane
