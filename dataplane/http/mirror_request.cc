#include "dataplane/http/mirror_request.h"

#include "dataplane/http/upstream_connection.h"
#include "dataplane/worker/worker.h"

namespace portico::dataplane {

void MirrorRequest::Start(Worker* worker, Picked picked, std::string request,
                          std::string_view host, bool head_request) {
  picked.set_cookies.clear();  // a mirror's cookies reach nobody
  picked.mirrors.clear();      // mirrors of a mirror are not followed
  auto* mirror = new MirrorRequest(worker, std::move(picked));
  const Endpoint& endpoint = *mirror->picked_.endpoint;
  UpstreamConnection* upstream =
      UpstreamConnection::Acquire(worker, endpoint, mirror->picked_.tls, host, mirror);
  mirror->upstream_ = upstream;
  worker->AddMirror(mirror);
  upstream->ExpectResponse(head_request, false);
  upstream->Write(request);
}

void MirrorRequest::OnUpstreamHead(const ResponseHead& head) {
  verdict_ = head.status >= 500 ? PickOutcome::kFailure : PickOutcome::kSuccess;
}

void MirrorRequest::OnUpstreamComplete(bool reusable, const HeaderList&) {
  UpstreamConnection* upstream = upstream_;
  upstream_ = nullptr;
  upstream->Release(reusable);
  Finish(verdict_);
}

void MirrorRequest::OnUpstreamUpgraded() {
  // Never asked for: a mirror does not carry upgrades.
  UpstreamConnection* upstream = upstream_;
  upstream_ = nullptr;
  upstream->Close();
  Finish(PickOutcome::kUnjudged);
}

void MirrorRequest::OnUpstreamFailed(UpstreamError error, bool reused) {
  upstream_ = nullptr;
  Finish(CountsAgainstEndpoint(error, reused) ? PickOutcome::kFailure : PickOutcome::kUnjudged);
}

void MirrorRequest::Abandon() {
  if (upstream_ != nullptr) {
    upstream_->Close();
    upstream_ = nullptr;
  }
  depth_ = 0;
  Finish(PickOutcome::kUnjudged);
}

void MirrorRequest::Finish(PickOutcome outcome) {
  if (done_) return;
  done_ = true;
  worker_->EndPick(picked_, outcome);
  worker_->CountMirror(outcome != PickOutcome::kFailure);
  worker_->RemoveMirror(this);
  if (depth_ == 0) delete this;
}

void MirrorRequest::Uncork() {
  if (--depth_ == 0 && done_) delete this;
}

}  // namespace portico::dataplane
