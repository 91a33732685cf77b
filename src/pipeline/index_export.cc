#include "pipeline/index_export.h"

#include "base/utf8.h"
#include "pipeline/index_json.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace trawl {
namespace {

using Json = nlohmann::ordered_json;

std::string FormatFloat(float f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(f));
  return buf;
}

}  // namespace

Status WriteExport(Store* store, std::string* out, bool with_vectors) {
  TRAWL_ASSIGN_OR_RETURN(StoreStats stats, store->Stats());
  TRAWL_ASSIGN_OR_RETURN(std::unique_ptr<StoreScan> scan, store->Scan());
  out->clear();
  *out += DumpJson(Json{{"embedder", stats.embedder}, {"dimensions", stats.dimensions}, {"schema_version", kExportFormat}});
  *out += '\n';
  ScannedFile sf;
  for (;;) {
    TRAWL_ASSIGN_OR_RETURN(bool more, scan->Next(&sf));
    if (!more) break;
    const FileRecord& f = sf.file;
    Json fj;
    fj["path"] = f.path;
    // A name that is not UTF-8 shows with U+FFFD in "path": its bytes keep two such
    // names (caf\xe9.py, caf\xe8.py) distinct.
    if (!IsValidUtf8(f.path)) fj["path_hex"] = HexBytes(f.path);
    fj["language"] = f.language;
    fj["size"] = f.size;
    fj["content_hash"] = f.content_hash;
    fj["status"] = FileStatusName(f.status);
    fj["error"] = f.error;
    fj["git_commit"] = f.git_commit;
    fj["git_author"] = f.git_author;
    fj["git_time"] = f.git_time;
    fj["git_commits"] = f.git_commits;
    *out += DumpJson(fj);
    *out += '\n';
    for (const ChunkRecord& c : sf.chunks) {
      Json cj;
      cj["start_line"] = c.start_line;
      cj["end_line"] = c.end_line;
      cj["start_byte"] = c.start_byte;
      cj["end_byte"] = c.end_byte;
      cj["kind"] = c.kind;
      cj["symbol"] = c.symbol;
      cj["content"] = c.content;
      cj["context"] = c.context;
      cj["content_hash"] = c.content_hash;
      std::string line = DumpJson(cj);
      line.pop_back();  // '}': the vector is appended by hand for its "%.9g" floats
      line += ",\"vector\":[";
      for (size_t i = 0; with_vectors && i < c.vector.size(); ++i) {
        if (i) line += ',';
        line += FormatFloat(c.vector[i]);
      }
      line += "]}\n";
      *out += line;
    }
  }
  return Status::Ok();
}

}  // namespace trawl
