// Reading requests: the head scanner, llhttp's callbacks, limits and the
// checks that refuse ambiguous framing.
#include "absl/strings/str_cat.h"
#include "dataplane/http/downstream_connection.h"
#include "dataplane/http/downstream_internal.h"
#include "dataplane/http/request_target.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

using namespace downstream;  // NOLINT: this class's own constants and helpers

const llhttp_settings_t& DownstreamConnection::Settings() {
  static const llhttp_settings_t settings = [] {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = &OnMessageBegin;
    s.on_url = &OnUrl;
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_header_value_complete = &OnHeaderValueComplete;
    s.on_headers_complete = &OnHeadersComplete;
    s.on_body = &OnBody;
    s.on_message_complete = &OnMessageComplete;
    return s;
  }();
  return settings;
}

void DownstreamConnection::Parse(const char* data, size_t len) {
  // What the callbacks send upstream goes out in one write when this read
  // has been parsed (head and body of a small request: one syscall).
  parsing_ = true;
  ParseBuffered(data, len);
  parsing_ = false;
  if (closing_) {
    worker_->upstream_out().clear();
    return;
  }
  FlushUpstream();
}

void DownstreamConnection::ParseBuffered(const char* data, size_t len) {
  if (const char* refused = scanner_.Feed(data, len)) {
    RefuseMalformed(refused);
    return;
  }
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  if (closing_ || err == HPE_OK) return;
  if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
    // A whole request was read; what follows waits for its response.
    const char* pos = llhttp_get_error_pos(&parser_);
    if (pos != nullptr && pos < data + len)
      unparsed_.append(pos, static_cast<size_t>(data + len - pos));
    parse_paused_ = true;
    if (unparsed_.size() > kMaxPipelinedBytes) PauseReading();
    if (response_complete_) FinishExchange(response_keep_alive_);
    return;
  }
  if (err == HPE_USER) return;  // a callback has answered already
  RefuseMalformed(llhttp_get_error_reason(&parser_));
}

void DownstreamConnection::RefuseMalformed(std::string_view why) {
  close_after_response_ = true;
  if (phase_ == Phase::kProxying && response_status_ != 0) {
    Close();  // the response is under way: nothing valid can be sent now
    return;
  }
  if (upstream_ != nullptr) {
    upstream_->Close();
    upstream_ = nullptr;
  }
  RespondLocally(400,
                 absl::StrCat("bad request: ", absl::string_view(why.data(), why.size()), "\n"));
}

int DownstreamConnection::OnMessageBegin(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->phase_ = Phase::kReadingHead;
  self->worker_->exchanges().Give(std::move(self->ex_));
  self->ex_ = self->worker_->exchanges().Take();
  self->ex_->head_bytes = 0;
  self->ex_->headers.Target(&self->ex_->request.headers);
  self->request_complete_ = false;
  self->response_complete_ = false;
  self->response_status_ = 0;
  self->ArmTimer(TimerRole::kHead, self->worker_->limits().header_timeout_ms);
  return 0;
}

int DownstreamConnection::CheckHeadLimits() {
  const ProxyLimits& limits = worker_->limits();
  if (phase_ == Phase::kProxying && response_status_ != 0) {
    // Trailers past the limits once the response has begun: no status left to send.
    if (ex_->head_bytes > limits.max_header_bytes ||
        ex_->request.trailers.size() > limits.max_headers) {
      Close();
      return -1;
    }
    return 0;
  }
  if (ex_->request.target.size() > limits.max_uri_bytes) {
    close_after_response_ = true;
    RespondLocally(414, "request-target too long\n");
    return -1;
  }
  if (ex_->head_bytes > limits.max_header_bytes ||
      ex_->request.headers.size() > limits.max_headers ||
      ex_->request.trailers.size() > limits.max_headers) {
    close_after_response_ = true;
    RespondLocally(431, "request header fields too large\n");
    return -1;
  }
  return 0;
}

int DownstreamConnection::OnUrl(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->request.target.append(at, len);
  self->ex_->head_bytes += len;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderField(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->headers.Field(at, len);
  self->ex_->head_bytes += len + 4;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderValue(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  self->ex_->headers.Value(at, len);
  self->ex_->head_bytes += len;
  return self->CheckHeadLimits();
}

int DownstreamConnection::OnHeaderValueComplete(llhttp_t* p) {
  Self(p)->ex_->headers.ValueComplete();
  return 0;
}

int DownstreamConnection::OnHeadersComplete(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->timer_.Disarm();
  self->timer_role_ = TimerRole::kNone;
  self->ex_->headers.Target(&self->ex_->request.trailers);
  return self->CompleteHead();
}

int DownstreamConnection::CompleteHead() {
  RequestHead& r = ex_->request;
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(parser_.method));
  r.http_minor = parser_.http_minor;
  r.chunked = (parser_.flags & F_CHUNKED) != 0;
  r.has_body = r.chunked || ((parser_.flags & F_CONTENT_LENGTH) && parser_.content_length > 0);
  r.keep_alive = llhttp_should_keep_alive(&parser_) != 0;
  // Connection: upgrade with an Upgrade header. If the backend switches
  // protocols the connection becomes a tunnel; if not, it closes after the
  // response, since the client may already be speaking the new protocol.
  r.upgrade = parser_.upgrade && parser_.method != HTTP_CONNECT && r.http_minor >= 1;
  if (r.upgrade) close_after_response_ = true;
  if (parser_.method == HTTP_CONNECT) {
    close_after_response_ = true;
    RespondLocally(405, "CONNECT is not supported\n");
    return 0;
  }
  std::string authority;
  if (!ParseRequestTarget(r.target, &r.path, &authority)) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: unsupported request-target form\n");
    return 0;
  }
  if (std::string_view why = PathRefusal(r.path); !why.empty()) {
    close_after_response_ = true;
    RespondLocally(400, absl::StrCat("bad request: ", std::string(why), "\n"));
    return 0;
  }
  int host_count = 0;
  int transfer_encodings = 0;
  for (const HeaderField& h : r.headers) {
    if (HeaderNameEquals(h.name, "host")) {
      ++host_count;
      if (authority.empty()) authority = h.value;
    } else if (HeaderNameEquals(h.name, "transfer-encoding")) {
      // Only a single, plain "chunked" frames a request unambiguously; any
      // other coding, list or repetition is read differently by some server.
      ++transfer_encodings;
      if (!HeaderNameEquals(TrimOws(h.value), "chunked")) transfer_encodings = 2;
    }
  }
  if (transfer_encodings > 1 || (transfer_encodings == 1 && r.http_minor == 0)) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: Transfer-Encoding other than a single chunked\n");
    return 0;
  }
  if (host_count > 1 || (host_count == 0 && r.http_minor >= 1) ||
      (!authority.empty() && !NormalizeHost(authority, &r.host))) {
    close_after_response_ = true;
    RespondLocally(400, "bad request: missing, repeated or invalid Host\n");
    return 0;
  }
  StartRequest();
  return 0;
}

int DownstreamConnection::OnBody(llhttp_t* p, const char* at, size_t len) {
  DownstreamConnection* self = Self(p);
  if (self->phase_ != Phase::kProxying || self->upstream_ == nullptr) return 0;  // discarded
  if (self->ex_->request.chunked) {
    std::string size;
    ChunkHeader(len, &size);
    self->SendBodyToUpstream(size, std::string_view(at, len), "\r\n");
  } else {
    self->SendBodyToUpstream("", std::string_view(at, len), "");
  }
  return 0;
}

int DownstreamConnection::OnMessageComplete(llhttp_t* p) {
  DownstreamConnection* self = Self(p);
  self->scanner_.Reset();
  self->request_complete_ = true;
  self->ex_->request.keep_alive = llhttp_should_keep_alive(p) != 0;
  if (self->phase_ == Phase::kProxying && self->upstream_ != nullptr &&
      self->ex_->request.chunked) {
    std::string last;
    LastChunk(self->ex_->request.trailers, &last);
    self->SendBodyToUpstream("", last, "");
  }
  if (self->phase_ == Phase::kProxying && !self->ex_->mirrors.empty()) self->SendMirrors();
  return HPE_PAUSED;
}

}  // namespace portico::dataplane
