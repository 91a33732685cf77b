// lru_cache.cc: a thread-compatible LRU cache with a byte budget.
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace store {
namespace cache {

constexpr size_t kDefaultBudget = 64 << 20;

struct Stats {
  size_t hits = 0;
  size_t misses = 0;
  size_t evictions = 0;
};

// Keeps the most recently used entries within `budget` bytes.
template <typename Value>
class LruCache {
 public:
  explicit LruCache(size_t budget = kDefaultBudget) : budget_(budget) {}

  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  std::optional<Value> Get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++stats_.misses;
      return std::nullopt;
    }
    ++stats_.hits;
    entries_.splice(entries_.begin(), entries_, it->second);
    return it->second->value;
  }

  void Put(const std::string& key, Value value, size_t bytes) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      used_ -= it->second->bytes;
      entries_.erase(it->second);
      index_.erase(it);
    }
    entries_.push_front(Entry{key, std::move(value), bytes});
    index_[key] = entries_.begin();
    used_ += bytes;
    EvictOverBudget();
  }

  bool Erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    used_ -= it->second->bytes;
    entries_.erase(it->second);
    index_.erase(it);
    return true;
  }

  size_t used() const { return used_; }
  const Stats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string key;
    Value value;
    size_t bytes;
  };

  void EvictOverBudget() {
    while (used_ > budget_ && !entries_.empty()) {
      Entry& last = entries_.back();
      used_ -= last.bytes;
      index_.erase(last.key);
      entries_.pop_back();
      ++stats_.evictions;
    }
  }

  size_t budget_;
  size_t used_ = 0;
  std::list<Entry> entries_;
  std::unordered_map<std::string, typename std::list<Entry>::iterator> index_;
  Stats stats_;
};

std::string FormatStats(const Stats& s) {
  return "hits=" + std::to_string(s.hits) + " misses=" + std::to_string(s.misses) +
         " evictions=" + std::to_string(s.evictions);
}

}  // namespace cache
}  // namespace store
