// IndexedHeap: a 4-ary min-heap of slots ordered by a 64-bit key that
// knows where each slot sits, so a slot's key can change or the slot can
// leave in O(log n). Least requests keeps endpoint loads in it (the key
// packs the load and a tie-break). Four children per node make the heap
// half as deep as a binary one (1 000 slots: 5 levels), and the keys sit in
// their own array, so a node's four children are one 32-byte read compared
// without branches. Not thread-safe (worker-owned).
#pragma once

#include <cstdint>
#include <vector>

namespace portico::dataplane {

class IndexedHeap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Empties the heap and admits slots [0, slots).
  void Reset(uint32_t slots) {
    keys_.clear();
    slots_.clear();
    position_.assign(slots, kAbsent);
  }
  bool empty() const { return keys_.empty(); }
  uint32_t size() const { return static_cast<uint32_t>(keys_.size()); }
  bool Contains(uint32_t slot) const {
    return slot < position_.size() && position_[slot] != kAbsent;
  }
  uint32_t Top() const { return slots_.front(); }

  void Push(uint32_t slot, uint64_t key) {
    keys_.push_back(key);
    slots_.push_back(slot);
    position_[slot] = size() - 1;
    SiftUp(size() - 1, key, slot);
  }
  // Gives a slot in the heap a new key.
  void Update(uint32_t slot, uint64_t key) {
    uint32_t at = position_[slot];
    if (key < keys_[at]) {
      SiftUp(at, key, slot);
    } else {
      SiftDown(at, key, slot);
    }
  }
  void Remove(uint32_t slot) {
    uint32_t at = position_[slot];
    position_[slot] = kAbsent;
    uint64_t last_key = keys_.back();
    uint32_t last_slot = slots_.back();
    keys_.pop_back();
    slots_.pop_back();
    if (at == size()) return;
    if (at > 0 && last_key < keys_[(at - 1) / kArity]) {
      SiftUp(at, last_key, last_slot);
    } else {
      SiftDown(at, last_key, last_slot);
    }
  }

 private:
  static constexpr uint32_t kArity = 4;

  void Place(uint32_t at, uint64_t key, uint32_t slot) {
    keys_[at] = key;
    slots_[at] = slot;
    position_[slot] = at;
  }
  // Moves (key, slot), bound for `at`, up to where it belongs.
  void SiftUp(uint32_t at, uint64_t key, uint32_t slot) {
    while (at > 0) {
      uint32_t parent = (at - 1) / kArity;
      if (key >= keys_[parent]) break;
      Place(at, keys_[parent], slots_[parent]);
      at = parent;
    }
    Place(at, key, slot);
  }
  void SiftDown(uint32_t at, uint64_t key, uint32_t slot) {
    uint32_t n = size();
    while (true) {
      uint32_t first = kArity * at + 1;
      if (first >= n) break;
      uint32_t best = first;
      if (first + kArity <= n) {
        // All four children: pick the least without branches.
        uint32_t a = keys_[first + 1] < keys_[first] ? first + 1 : first;
        uint32_t b = keys_[first + 3] < keys_[first + 2] ? first + 3 : first + 2;
        best = keys_[b] < keys_[a] ? b : a;
      } else {
        for (uint32_t child = first + 1; child < n; ++child) {
          best = keys_[child] < keys_[best] ? child : best;
        }
      }
      if (keys_[best] >= key) break;
      Place(at, keys_[best], slots_[best]);
      at = best;
    }
    Place(at, key, slot);
  }

  std::vector<uint64_t> keys_;
  std::vector<uint32_t> slots_;
  std::vector<uint32_t> position_;  // slot → index in keys_/slots_, or kAbsent
};

}  // namespace portico::dataplane
