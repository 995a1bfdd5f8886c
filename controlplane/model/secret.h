// A decoded core/v1 Secret: its type and the values of the keys Portico
// reads (TLS material), decoded from `data` (base64) and `stringData`.
// Values are secret: never log them or put them in a message. Plain values,
// built once per load and then only read.
#pragma once

#include <map>
#include <string>

#include "controlplane/model/json_field.h"
#include "controlplane/model/object_meta.h"

namespace portico::controlplane {

struct Secret {
  ObjectMeta meta;
  std::string type;  // "kubernetes.io/tls", "Opaque", ...
  // Only tls.crt, tls.key, ca.crt and tls.ca are kept; other keys are
  // skipped unread (a Secret may hold anything).
  std::map<std::string, std::string> data;
};

// Decodes the Secret-specific fields of `object`. Returns "" or a precise
// error naming the field ("data.tls.key: not valid base64"), never a value.
std::string DecodeSecret(const JsonField& object, Secret* out);

}  // namespace portico::controlplane
