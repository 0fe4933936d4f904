// Rows of the parameter table: LoRA adapters ("lora") and reranking ("reranking").
// docs/ADAPTERS.md describes both features; this file only reads and checks the values.
#include <cmath>
#include <set>

#include "core/base/error.h"
#include "core/config/param_rows.h"
#include "core/input/input_error.h"
#include "core/input/input_limits.h"

namespace wasi_nn::param_rows {
namespace {

// Beyond this an adapter's delta swamps the model's own weights; llama.cpp sets no bound, but
// scales of 1e30 would only make every logit inf or NaN.
constexpr double kMaxLoraScale = 100.0;

float lora_scale(const V& entry, size_t i, bool required) {
  if (!entry.contains("scale")) {
    if (required) fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) + " has no \"scale\"");
    return 1.0f;
  }
  const V& s = entry["scale"];
  if (!s.is_number() || !std::isfinite(s.get<double>()) || std::fabs(s.get<double>()) > kMaxLoraScale) {
    fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) + " has \"scale\" " + shown_text(s.dump()) +
                                         "; give a number from -100 to 100 (1 = as trained, 0 = off)");
  }
  return s.get<float>();
}

void only_keys(const V& entry, size_t i, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : entry.items()) {
    (void)value;
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) + " has unknown key " + shown_text(key));
  }
}

// {"path": name} or {"alias": name}, optional "scale": an adapter file the host granted.
LoraFile lora_file(const V& entry, size_t i) {
  only_keys(entry, i, {"path", "alias", "scale"});
  if (entry.contains("path") == entry.contains("alias")) {
    fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) +
                                         " must name its adapter by exactly one "
                                         "of \"path\" (a file in a granted directory) or \"alias\" (a preloaded name)");
  }
  const V& name = entry.contains("path") ? entry["path"] : entry["alias"];
  if (!name.is_string() || name.get<std::string>().empty()) {
    fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) + " names its adapter with " +
                                         shown_text(name.dump()) + "; give a non-empty string");
  }
  return LoraFile{name.get<std::string>(), lora_scale(entry, i, false)};
}

// {"id": i, "scale": s}: a request's scale for the load's adapter i.
LoraScale lora_override(const V& entry, size_t i, size_t max) {
  only_keys(entry, i, {"id", "scale"});
  const V& id = entry["id"];
  if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<uint64_t>() >= max) {
    fail(ErrorKind::InvalidArgument, "entry " + std::to_string(i) + " has \"id\" " + shown_text(id.dump()) +
                                         "; give the index of one of the load's adapters (0 to " +
                                         std::to_string(max - 1) + ")");
  }
  return LoraScale{id.get<uint32_t>(), lora_scale(entry, i, true)};
}

// A load names adapter files; a request gives scales by id. One list holds one kind.
void apply_lora(const V& v, Settings& s) {
  const size_t max = active_input_limits().max_lora_adapters;
  if (v.size() > max) {
    refuse_over_limit("", "names " + std::to_string(v.size()) + " adapters", max, "max_lora_adapters",
                      "Apply fewer adapters at once");
  }
  if (v.empty()) {
    s.request.lora_scales.clear();
    return;
  }
  const bool by_id = v[0].contains("id");
  std::vector<LoraFile> files;
  std::vector<LoraScale> scales;
  std::set<uint32_t> ids;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i].contains("id") != by_id) {
      fail(ErrorKind::InvalidArgument,
           "mixes adapter files ({\"path\"|\"alias\", \"scale\"}, at load) with "
           "scales by id ({\"id\", \"scale\"}, per request); give one kind");
    }
    if (!by_id) {
      files.push_back(lora_file(v[i], i));
      continue;
    }
    scales.push_back(lora_override(v[i], i, max));
    if (!ids.insert(scales.back().id).second) {
      fail(ErrorKind::InvalidArgument, "gives adapter id " + std::to_string(scales.back().id) + " twice; give it once");
    }
  }
  if (by_id) {
    s.request.lora_scales = std::move(scales);
  } else {
    s.lora = std::move(files);
  }
}

void apply_reranking(const V& v, Settings& s) {
  if (!v.get<bool>()) return;  // false: the load's kind is left as the other keys make it
  s.context.embedding = true;
  s.context.pooling = Pooling::Rank;
  s.request.embd.input = EmbdInput::Rerank;
}

}  // namespace

std::vector<ParamSpec> adapter_rows() {
  const unsigned LOAD = kScopeLoad;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"lora", "adapters", {"lora_adapters"}, ParamType::ObjectList, kScopeAll, 0, 0, {}, "[]",
       "LoRA adapters. At load: [{\"path\": \"adapter.gguf\", \"scale\": 1.0}, {\"alias\": \"name\"}, "
       "...]: files the host granted, named as models are (a path in a granted directory, or a "
       "preloaded alias; never any other host path), applied with `scale` (default 1) to every "
       "request; the adapters' ids are their indexes in this list. Per request: [{\"id\": 0, "
       "\"scale\": 0.5}, ...] overrides the scales of this request only (0 = that adapter off; "
       "ids not listed keep the load's scale). Scales from -100 to 100; at most max_lora_adapters "
       "entries. Every tenant loading the same adapter file for the same model shares one copy. "
       "Not with embedding or reranking loads.",
       apply_lora},
      {"reranking", "adapters", {}, ParamType::Bool, LOAD, 0, 0, {}, "",
       "Load a reranker (a model with a classification head): embedding mode with rank pooling, "
       "and input 0 of each request is {\"query\": \"...\", \"documents\": [\"...\", ...], "
       "\"top_n\": N} (top_n optional); output 0 is {\"results\": [{\"index\": i, "
       "\"relevance_score\": s}, ...]}, best first, as llama-server's /rerank answers.",
       apply_reranking},
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
