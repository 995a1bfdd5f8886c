// Small builders for the JSON the Kubernetes API answers with, written out
// literally so that tests never build their expectations with the code
// under test.
#pragma once

#include <string>
#include <vector>

namespace portico::controlplane::testing {

// {"metadata":{"name":..,"namespace":..,"resourceVersion":..}} + extra
// members ("\"spec\":{...}") when given.
inline std::string Object(const std::string& ns, const std::string& name, const std::string& rv,
                          const std::string& extra = "") {
  std::string meta = "\"name\":\"" + name + "\"";
  if (!ns.empty()) meta += ",\"namespace\":\"" + ns + "\"";
  return "{\"metadata\":{" + meta + ",\"resourceVersion\":\"" + rv + "\"}" +
         (extra.empty() ? "" : "," + extra) + "}";
}

inline std::string ListBody(const std::string& rv, const std::string& continue_token,
                            const std::vector<std::string>& items) {
  std::string body = "{\"kind\":\"List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" +
                     rv + "\"";
  if (!continue_token.empty()) body += ",\"continue\":\"" + continue_token + "\"";
  body += "},\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) body += (i ? "," : "") + items[i];
  return body + "]}";
}

inline std::string Event(const std::string& type, const std::string& object) {
  return "{\"type\":\"" + type + "\",\"object\":" + object + "}\n";
}

inline std::string Bookmark(const std::string& rv) {
  return Event("BOOKMARK", "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"
                           "{\"resourceVersion\":\"" + rv + "\"}}");
}

inline std::string ExpiredStatus() {
  return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
         "\"message\":\"too old resource version: 10 (30)\",\"reason\":\"Expired\",\"code\":410}";
}

}  // namespace portico::controlplane::testing
