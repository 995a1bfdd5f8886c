#include "common/snapshot/snapshot_digest.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

namespace portico {
namespace {

void SerializeDeterministic(const v1::Snapshot& snapshot, std::string* bytes) {
  google::protobuf::io::StringOutputStream stream(bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  snapshot.SerializeToCodedStream(&coded);
}  // CodedOutputStream flushes into `bytes` when destroyed

// Serializes every field but `version`, with map entries in key order.
// Fields are written in field-number order, so `version` (field 1) leads:
// its bytes are cut off instead of serializing a copy without it.
std::string DeterministicBytesWithoutVersion(const v1::Snapshot& snapshot) {
  std::string bytes;
  SerializeDeterministic(snapshot, &bytes);
  if (!snapshot.version().empty()) {
    size_t size = snapshot.version().size();
    size_t header = 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size);
    bytes.erase(0, header + size);
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
