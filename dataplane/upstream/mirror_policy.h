// Mirroring decisions (Traefik's `mirroring` service): which requests a
// mirror receives (`percent`, spread evenly rather than at random, so that
// 10 % means exactly 1 request in every 10) and whether the body goes along
// (`mirrorBody`, `maxBodySize`). Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace portico::dataplane {

// Whether the `index`-th request (0, 1, 2, … per mirror) is mirrored at
// `percent` (0–100): exactly `percent` of any 100 consecutive requests.
inline bool MirrorsRequest(uint64_t index, int percent) {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  auto p = static_cast<uint64_t>(percent);
  return (index + 1) * p / 100 != index * p / 100;
}

enum class MirrorBody : uint8_t {
  kSkip,         // do not mirror this request: its body is known to be too large
  kWithoutBody,  // mirror the head only (mirrorBody: false)
  kWithBody,     // mirror with the whole body
  kBufferUpTo,   // length unknown: buffer up to max_body_size, drop the mirror beyond
};

// `content_length` is -1 when unknown (chunked); `max_body_size` -1 means no limit.
inline MirrorBody DecideMirrorBody(bool mirror_body, int64_t max_body_size,
                                   int64_t content_length) {
  if (!mirror_body) return MirrorBody::kWithoutBody;
  if (max_body_size < 0) return MirrorBody::kWithBody;
  if (content_length < 0) return MirrorBody::kBufferUpTo;
  return content_length <= max_body_size ? MirrorBody::kWithBody : MirrorBody::kSkip;
}

}  // namespace portico::dataplane
