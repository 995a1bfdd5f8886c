#include "common/snapshot/snapshot_digest.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

namespace portico {
namespace {

// Serializes every field but `version`, with map entries in key order.
void SerializeDeterministic(const v1::Snapshot& snapshot, std::string* bytes) {
  google::protobuf::io::StringOutputStream stream(bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  snapshot.SerializeToCodedStream(&coded);
}  // CodedOutputStream flushes into `bytes` when destroyed

// Serializes every field but `version`, with map entries in key order.
std::string DeterministicBytesWithoutVersion(const v1::Snapshot& snapshot) {
  std::string bytes;
  if (snapshot.version().empty()) {
    SerializeDeterministic(snapshot, &bytes);
  } else {
    v1::Snapshot copy = snapshot;
    copy.clear_version();
    SerializeDeterministic(copy, &bytes);
  }
  return bytes;
}

}  // namespace

std::string SnapshotDigest(const v1::Snapshot& snapshot) {
  std::string bytes = DeterministicBytesWithoutVersion(snapshot);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace portico
