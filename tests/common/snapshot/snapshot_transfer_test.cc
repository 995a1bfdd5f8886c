#include "common/snapshot/snapshot_transfer.h"

#include <catch2/catch.hpp>

namespace portico {
namespace {

using Step = TransferAssembler::Step;

v1::SnapshotBegin Begin(v1::SnapshotBegin::Mode mode = v1::SnapshotBegin::FULL) {
  v1::SnapshotBegin b;
  b.set_mode(mode);
  b.set_version("v2");
  b.set_nonce(7);
  if (mode == v1::SnapshotBegin::DELTA) b.set_base_version("v1");
  return b;
}

// Feeds messages up to the first error; returns the last step.
Step FeedAll(TransferAssembler* a, const std::vector<v1::ControllerMessage>& messages) {
  Step step = Step::kInProgress;
  for (const auto& m : messages) {
    step = a->Feed(m);
    if (step == Step::kError) break;
  }
  return step;
}

TEST_CASE("a payload is cut into bounded chunks and reassembled exactly", "[transfer]") {
  std::string payload;
  for (int i = 0; i < 10'000; ++i) payload += static_cast<char>(i * 7);
  auto messages = BuildTransfer(Begin(), payload, 1000);
  REQUIRE(messages.size() == 12);  // begin, 10 chunks, commit
  CHECK(messages[0].begin().chunk_count() == 10);
  CHECK(messages[0].begin().total_bytes() == 10'000);
  for (size_t i = 1; i <= 10; ++i) CHECK(messages[i].chunk().data().size() == 1000);
  CHECK(messages[11].commit().version() == "v2");

  TransferAssembler a;
  CHECK(FeedAll(&a, messages) == Step::kCommitted);
  CHECK(a.TakePayload() == payload);
  CHECK(a.begin().version() == "v2");
  CHECK_FALSE(a.in_transfer());
  // The next transfer starts clean.
  CHECK(FeedAll(&a, BuildTransfer(Begin(), "xyz", 2)) == Step::kCommitted);
  CHECK(a.TakePayload() == "xyz");
}

TEST_CASE("default chunks stay under 1 MiB", "[transfer]") {
  std::string payload(3u << 20, 'x');
  for (const auto& m : BuildTransfer(Begin(), payload)) {
    CHECK(m.ByteSizeLong() <= kSnapshotChunkBytes + 64);
  }
  TransferAssembler a;
  CHECK(FeedAll(&a, BuildTransfer(Begin(), payload, kMaxSnapshotChunkBytes)) == Step::kCommitted);
  CHECK(FeedAll(&a, BuildTransfer(Begin(), payload, kMaxSnapshotChunkBytes + 1)) == Step::kError);
}

TEST_CASE("UP_TO_DATE is a lone begin", "[transfer]") {
  auto messages = BuildTransfer(Begin(v1::SnapshotBegin::UP_TO_DATE), "ignored");
  REQUIRE(messages.size() == 1);
  TransferAssembler a;
  CHECK(a.Feed(messages[0]) == Step::kUpToDate);
  CHECK_FALSE(a.in_transfer());
}

TEST_CASE("nothing is handed over before the commit", "[transfer]") {
  auto messages = BuildTransfer(Begin(), std::string(5000, 'a'), 1000);
  TransferAssembler a;
  for (size_t i = 0; i + 1 < messages.size(); ++i) CHECK(a.Feed(messages[i]) == Step::kInProgress);
  CHECK(a.in_transfer());
}

TEST_CASE("every malformed sequence is refused with a reason", "[transfer]") {
  auto good = BuildTransfer(Begin(), std::string(3000, 'a'), 1000);
  struct Case {
    const char* name;
    std::function<void(std::vector<v1::ControllerMessage>*)> mangle;
    const char* error;
  };
  std::vector<Case> cases = {
      {"chunk out of order", [](auto* m) { std::swap((*m)[1], (*m)[2]); },
       "chunk 1 where 0 was expected"},
      {"chunk of another transfer", [](auto* m) { (*m)[2].mutable_chunk()->set_nonce(99); },
       "a chunk of another transfer"},
      {"missing chunk", [](auto* m) { m->erase(m->begin() + 3); }, "commit after 2 of 3 chunks"},
      {"oversized chunk",
       [](auto* m) { (*m)[1].mutable_chunk()->set_data(std::string(3001, 'b')); },
       "chunk 0 overflows the announced size"},
      {"commit of another version", [](auto* m) { m->back().mutable_commit()->set_version("v9"); },
       "the commit does not match its begin"},
      {"second begin", [](auto* m) { (*m)[2] = (*m)[0]; },
       "a new transfer began before the previous one committed"},
      {"no version", [](auto* m) { (*m)[0].mutable_begin()->clear_version(); },
       "the transfer has no version"},
      {"size inconsistent with chunk count",
       [](auto* m) { (*m)[0].mutable_begin()->set_total_bytes(uint64_t{1} << 40); },
       "the transfer announces 1099511627776 bytes, over the limit of 1073741824"},
      {"unknown mode", [](auto* m) { (*m)[0].mutable_begin()->set_mode(v1::SnapshotBegin::Mode(9)); },
       "unknown transfer mode 9"},
      {"empty message", [](auto* m) { (*m)[1].Clear(); },
       "an unknown message on the snapshot stream"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto messages = good;
    c.mangle(&messages);
    TransferAssembler a;
    CHECK(FeedAll(&a, messages) == Step::kError);
    CHECK(a.error() == c.error);
  }
  TransferAssembler delta;
  v1::SnapshotBegin no_base = Begin(v1::SnapshotBegin::DELTA);
  no_base.clear_base_version();
  CHECK(FeedAll(&delta, BuildTransfer(no_base, "x")) == Step::kError);
  CHECK(delta.error() == "a delta without base version");
  TransferAssembler stray;
  CHECK(stray.Feed(good[1]) == Step::kError);
  CHECK(stray.error() == "a chunk outside a transfer");
}

}  // namespace
}  // namespace portico
