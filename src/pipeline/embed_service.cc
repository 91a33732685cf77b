#include "pipeline/embed_service.h"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "base/cpu_time.h"

namespace trawl {

BatchPlan PlanBatches(BatchFill open, const std::vector<size_t>& tokens, const BatchLimits& limits) {
  BatchPlan plan;
  plan.fill = open;
  bool in_batch = false;  // the last batch carries some of the items
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (plan.fill.items > 0 &&
        (plan.fill.items >= limits.max_items || plan.fill.tokens + tokens[i] > limits.max_tokens)) {
      plan.breaks.push_back(i);
      plan.fill = BatchFill{};
      in_batch = false;
    }
    if (!in_batch) {
      ++plan.batches;
      in_batch = true;
    }
    ++plan.fill.items;
    plan.fill.tokens += tokens[i];
  }
  plan.full = plan.fill.items >= limits.max_items;
  return plan;
}

EmbedService::EmbedService(Embedder& embedder, Store* cache, BatchLimits limits, RunControl& control,
                           RunCounters& counters, std::function<void(std::unique_ptr<FileWork>)> done)
    : embedder_(embedder), cache_(cache), limits_(limits), control_(control), counters_(counters),
      done_(std::move(done)) {}

void EmbedService::RunBatcher(WorkQueue<std::unique_ptr<FileWork>>& in) {
  Batch batch;
  BatchFill fill;
  auto dispatch = [&] {
    if (batch.items.empty()) return;
    batches_.Push(std::move(batch));
    batch = Batch{};
    fill = BatchFill{};
  };
  for (;;) {
    std::optional<std::unique_ptr<FileWork>> next = in.PopFor(std::chrono::milliseconds(20));
    if (!next) {
      if (in.closed()) break;
      dispatch();
      continue;
    }
    std::unique_ptr<FileWork> file = std::move(*next);
    if (cache_ != nullptr && !file->need_vectors.empty()) DropCachedChunks(file.get());
    if (file->need_vectors.empty()) {
      done_(std::move(file));
      continue;
    }
    std::vector<size_t> tokens;
    tokens.reserve(file->need_vectors.size());
    for (int idx : file->need_vectors) tokens.push_back(EstimatedTokens(file->embed_texts[static_cast<size_t>(idx)]));
    const BatchPlan plan = PlanBatches(fill, tokens, limits_);
    // The file counts its batches before any of them can come back.
    FileWork* raw = file.release();
    raw->pending.store(plan.batches);
    size_t next_break = 0;
    for (size_t i = 0; i < raw->need_vectors.size(); ++i) {
      if (next_break < plan.breaks.size() && plan.breaks[next_break] == i) {
        ++next_break;
        batches_.Push(std::move(batch));
        batch = Batch{};
      }
      batch.items.push_back({raw, raw->need_vectors[i]});
    }
    fill = plan.fill;
    if (plan.full) dispatch();
  }
  dispatch();
  batches_.Close();
}

// Chunks whose vector the index already holds (same text, same embedder) need no
// request: renamed, copied and unchanged code costs nothing.
void EmbedService::DropCachedChunks(FileWork* file) {
  std::vector<std::string> hashes;
  hashes.reserve(file->need_vectors.size());
  for (int idx : file->need_vectors) hashes.push_back(file->write.chunks[static_cast<size_t>(idx)].content_hash);
  Result<std::unordered_map<std::string, std::vector<float>>> found = cache_->LookupVectors(hashes);
  if (!found.ok() || found->empty()) return;
  std::vector<int> still;
  for (int idx : file->need_vectors) {
    auto& chunk = file->write.chunks[static_cast<size_t>(idx)];
    auto it = found->find(chunk.content_hash);
    if (it == found->end()) {
      still.push_back(idx);
    } else {
      chunk.vector = it->second;
      counters_.vectors_cached.fetch_add(1, std::memory_order_relaxed);
    }
  }
  file->need_vectors = std::move(still);
}

void EmbedService::FinishBatchOf(FileWork* file) {
  if (file->pending.fetch_sub(1) == 1) done_(std::unique_ptr<FileWork>(file));
}

void EmbedService::RunExecutor() {
  while (std::optional<Batch> batch = batches_.Pop()) {
    std::vector<std::string_view> texts;
    texts.reserve(batch->items.size());
    for (const auto& it : batch->items) texts.push_back(it.file->embed_texts[static_cast<size_t>(it.chunk)]);
    auto t0 = std::chrono::steady_clock::now();
    const int64_t c0 = ThreadCpuNanos();
    Result<std::vector<Vector>> vectors = control_.Stopping()
                                              ? Result<std::vector<Vector>>(Status::Cancelled("stopping"))
                                              : embedder_.Embed(texts, control_.stop_flag());
    counters_.stage(Stage::kEmbed).Add(std::chrono::steady_clock::now() - t0, static_cast<int64_t>(texts.size()),
                                       ThreadCpuNanos() - c0);
    counters_.embed_requests.fetch_add(1, std::memory_order_relaxed);
    // FileWork::pending counts batches; this batch may hold several chunks of a file.
    std::vector<FileWork*> touched;
    if (vectors.ok() && vectors->size() == texts.size()) {
      counters_.vectors_embedded.fetch_add(static_cast<int64_t>(texts.size()), std::memory_order_relaxed);
      for (size_t i = 0; i < texts.size(); ++i) {
        const Item& it = batch->items[i];
        it.file->write.chunks[static_cast<size_t>(it.chunk)].vector = std::move((*vectors)[i]);
        if (touched.empty() || touched.back() != it.file) touched.push_back(it.file);
      }
    } else {
      Status st = vectors.ok() ? Status::Internal("embedder returned a wrong number of vectors")
                               : vectors.status();
      if (st.code() == StatusCode::kPermissionDenied || st.code() == StatusCode::kFailedPrecondition) {
        control_.Fail(st);  // a fault of the whole run, not of these files
      }
      for (const auto& it : batch->items) {
        {
          MutexLock lock(&it.file->mu);
          if (it.file->embed_error.empty()) it.file->embed_error = "embedding failed: " + st.message();
        }
        if (touched.empty() || touched.back() != it.file) touched.push_back(it.file);
      }
    }
    for (FileWork* f : touched) FinishBatchOf(f);
  }
}

}  // namespace trawl
