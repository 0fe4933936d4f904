#include "core/input/json_schema_check.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/input/input_error.h"

namespace wasi_nn {
namespace {

using Json = nlohmann::ordered_json;  // common_json, as the converter reads it
constexpr size_t kHuge = std::numeric_limits<size_t>::max() / 4;
size_t sat_add(size_t a, size_t b) { return std::min(kHuge, a + b); }
size_t sat_mul(size_t a, size_t b) { return (a != 0 && b > kHuge / a) ? kHuge : a * b; }

class SchemaWalk {
 public:
  SchemaWalk(const Json& root, const InputLimits& limits, const std::string& key)
      : root_(root), limits_(limits), key_(key) {
    count_sizes();
  }

  void run(SchemaStats& stats);

 private:
  void count_sizes();
  size_t size_of(const Json* j) const { return sizes_.at(j); }
  const Json* resolve(const std::string& ref, size_t* copies) const;
  void collect_refs();
  void visit(const Json& node, size_t mult);
  void all_of_component(const Json& comp, size_t mult);
  void properties(const Json& props, size_t mult, bool extra);
  void check_counts(const Json& node);
  void charge_visits(size_t n);
  void charge_copies(size_t n);
  void push(const Json& node, size_t mult) { todo_.push_back({&node, mult}); }

  const Json& root_;
  const InputLimits& limits_;
  const std::string& key_;
  std::unordered_map<const Json*, size_t> sizes_;
  std::unordered_map<std::string, const Json*> refs_;  // distinct $ref -> target (or null)
  std::unordered_set<std::string> refs_visited_;
  std::vector<std::pair<const Json*, size_t>> todo_;
  SchemaStats* stats_ = nullptr;
};

// Values in each subtree (the cost of copying it), by an explicit post-order walk.
void SchemaWalk::count_sizes() {
  std::vector<std::pair<const Json*, bool>> st{{&root_, false}};
  while (!st.empty()) {
    auto [j, done] = st.back();
    st.pop_back();
    if (done) {
      size_t n = 1;
      if (j->is_structured()) {
        for (const auto& c : *j) n = sat_add(n, sizes_[&c]);
      }
      sizes_[j] = n;
      continue;
    }
    st.push_back({j, true});
    if (j->is_structured()) {
      for (const auto& c : *j) st.push_back({&c, false});
    }
  }
}

// resolve_refs: "#/a/b" starts from a copy of the whole schema and copies the subtree at each
// step; other refs are fetched (never, here) or refused. Returns the target or null.
const Json* SchemaWalk::resolve(const std::string& ref, size_t* copies) const {
  if (ref.rfind("#/", 0) != 0) return nullptr;
  const Json* target = &root_;
  *copies = sat_add(*copies, size_of(target));
  size_t start = 2;
  while (start <= ref.size()) {
    size_t end = ref.find('/', start);
    if (end == std::string::npos) end = ref.size();
    const std::string sel = ref.substr(start, end - start);
    if (target->is_object() && target->contains(sel)) {
      target = &(*target)[sel];
    } else if (target->is_array()) {
      char* stop = nullptr;
      const unsigned long long i = std::strtoull(sel.c_str(), &stop, 10);
      if (stop == sel.c_str() || i >= target->size()) return nullptr;
      target = &(*target)[static_cast<size_t>(i)];
    } else {
      return nullptr;
    }
    *copies = sat_add(*copies, size_of(target));
    start = end + 1;
  }
  *copies = sat_add(*copies, size_of(target));
  return target;
}

// Every object anywhere with a string "$ref" is resolved once per distinct string.
void SchemaWalk::collect_refs() {
  std::vector<const Json*> st{&root_};
  while (!st.empty()) {
    const Json* j = st.back();
    st.pop_back();
    if (j->is_object()) {
      auto it = j->find("$ref");
      if (it != j->end() && it->is_string()) {
        const std::string ref = it->get<std::string>();
        if (ref.size() > limits_.max_schema_name_bytes) {
          refuse_over_limit(key_, "has a $ref of " + std::to_string(ref.size()) + " bytes",
                            limits_.max_schema_name_bytes, "max_schema_name_bytes", "Use shorter definition names.");
        }
        if (!refs_.count(ref)) {
          if (refs_.size() >= limits_.max_schema_refs) {
            refuse_over_limit(key_,
                              "has more than " + std::to_string(limits_.max_schema_refs) +
                                  " distinct $ref values (each copies the whole schema)",
                              limits_.max_schema_refs, "max_schema_refs", "Reuse fewer definitions.");
          }
          size_t copies = 0;
          refs_[ref] = resolve(ref, &copies);
          charge_copies(copies);
        }
      }
    }
    if (j->is_structured()) {
      for (const auto& c : *j) st.push_back(&c);
    }
  }
  stats_->refs = refs_.size();
}

void SchemaWalk::charge_visits(size_t n) {
  stats_->visits = sat_add(stats_->visits, n);
  if (stats_->visits > limits_.max_schema_visits) {
    refuse_over_limit(key_,
                      "makes the grammar converter visit more than " + std::to_string(limits_.max_schema_visits) +
                          " subschemas (each \"type\" list entry and each allOf $ref "
                          "converts the subschema below it again)",
                      limits_.max_schema_visits, "max_schema_visits",
                      "Use fewer nested \"type\" lists and allOf references.");
  }
}

void SchemaWalk::charge_copies(size_t n) {
  stats_->copies = sat_add(stats_->copies, n);
  if (stats_->copies > limits_.max_schema_copies) {
    refuse_over_limit(key_,
                      "makes the grammar converter copy more than " + std::to_string(limits_.max_schema_copies) +
                          " JSON values (the whole schema per distinct $ref, a subschema "
                          "per \"type\" list entry, cubic work per object's properties)",
                      limits_.max_schema_copies, "max_schema_copies",
                      "Use a smaller schema, fewer $ref targets or fewer properties per object.");
  }
}

// Counts that become GBNF repetitions, and integer bounds that become digit grammars.
void SchemaWalk::check_counts(const Json& node) {
  for (const char* kw : {"minLength", "maxLength", "minItems", "maxItems"}) {
    auto it = node.find(kw);
    if (it == node.end() || !it->is_number()) continue;
    const double v = it->get<double>();
    if (v < 0 || v > static_cast<double>(limits_.max_grammar_repetition)) {
      refuse_over_limit(key_ + " " + kw, "is " + it->dump(), limits_.max_grammar_repetition, "max_grammar_repetition",
                        "It becomes a grammar repetition, which llama.cpp refuses (minimum) or "
                        "silently leaves unbounded (maximum) above 2000; use 0..the limit or drop it.");
    }
  }
  for (const char* kw : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
    auto it = node.find(kw);
    if (it == node.end() || !it->is_number()) continue;
    const double v = it->get<double>();
    if (!(std::fabs(v) <= 9007199254740992.0)) {  // 2^53: exact in a double, no int64 overflow
      refuse_input(key_ + " " + kw, "is " + it->dump() +
                                        "; integer bounds must lie within "
                                        "+-2^53 (llama.cpp negates and increments them as int64).");
    }
  }
}

void SchemaWalk::properties(const Json& props, size_t mult, bool extra) {
  if (!props.is_object()) return;
  if (props.size() > limits_.max_schema_properties) {
    refuse_over_limit(key_, "has an object with " + std::to_string(props.size()) + " properties",
                      limits_.max_schema_properties, "max_schema_properties", "Split the object into nested objects.");
  }
  for (auto it = props.begin(); it != props.end(); ++it) {
    if (it.key().size() > limits_.max_schema_name_bytes) {
      refuse_over_limit(key_, "has a property name of " + std::to_string(it.key().size()) + " bytes",
                        limits_.max_schema_name_bytes, "max_schema_name_bytes", "Use shorter property names.");
    }
    push(it.value(), mult);
  }
  // _build_object_rule: for each optional property i, a chain over the properties after it,
  // each link copying the rest of the list.
  const size_t k = props.size() + (extra ? 1 : 0);
  charge_copies(sat_mul(mult, k * k * k / 6 + k));
}

// allOf: a component's properties are converted in place, a $ref component through its target,
// following further $refs (llama.cpp's add_component recurses along them without a guard).
void SchemaWalk::all_of_component(const Json& comp, size_t mult) {
  const Json* c = &comp;
  std::vector<std::string> chain;
  while (c->is_object() && c->contains("$ref") && (*c)["$ref"].is_string()) {
    const std::string ref = (*c)["$ref"].get<std::string>();
    if (std::find(chain.begin(), chain.end(), ref) != chain.end()) {
      std::string path;
      for (const auto& r : chain) path += r + " -> ";
      refuse_input(key_, "has an allOf whose $ref chain returns to itself (" + path + ref +
                             "); llama.cpp's converter would follow it until the stack overflows.");
    }
    chain.push_back(ref);
    auto it = refs_.find(ref);
    if (it == refs_.end() || !it->second) return;
    c = it->second;
  }
  if (c->is_object() && c->contains("properties")) properties((*c)["properties"], mult, false);
}

void SchemaWalk::visit(const Json& node, size_t mult) {
  charge_visits(mult);
  if (!node.is_object()) return;
  check_counts(node);
  size_t types = 1;
  auto type = node.find("type");
  if (type != node.end() && type->is_array() && type->size() > 1) {
    types = type->size();
    charge_copies(sat_mul(mult, sat_mul(types, size_of(&node))));
  }
  const size_t inner = sat_mul(mult, types);
  auto ref = node.find("$ref");
  if (ref != node.end() && ref->is_string()) {
    const std::string r = ref->get<std::string>();
    auto it = refs_.find(r);
    if (refs_visited_.insert(r).second && it != refs_.end() && it->second) push(*it->second, 1);
  }
  for (const char* kw : {"anyOf", "oneOf", "prefixItems"}) {
    auto it = node.find(kw);
    if (it == node.end() || !it->is_array()) continue;
    for (const auto& alt : *it) {
      charge_copies(sat_mul(inner, size_of(&alt)));
      push(alt, inner);
    }
  }
  auto items = node.find("items");
  if (items != node.end()) {
    if (items->is_array()) {
      for (const auto& it : *items) push(it, inner);
    } else {
      push(*items, inner);
    }
  }
  auto extra = node.find("additionalProperties");
  const bool has_extra = extra != node.end() && (extra->is_object() || *extra == true);
  if (extra != node.end() && extra->is_object()) push(*extra, inner);
  auto props = node.find("properties");
  if (props != node.end()) properties(*props, inner, has_extra);
  auto all = node.find("allOf");
  if (all != node.end() && all->is_array()) {
    for (const auto& t : *all) {
      if (t.is_object() && t.contains("anyOf") && t["anyOf"].is_array()) {
        for (const auto& tt : t["anyOf"]) all_of_component(tt, inner);
      } else {
        all_of_component(t, inner);
      }
    }
  }
}

void SchemaWalk::run(SchemaStats& stats) {
  stats_ = &stats;
  collect_refs();
  // json_schema_to_grammar copies the schema once before resolving.
  charge_copies(size_of(&root_));
  push(root_, 1);
  while (!todo_.empty()) {
    auto [node, mult] = todo_.back();
    todo_.pop_back();
    visit(*node, mult);
  }
}

}  // namespace

size_t json_text_depth(const std::string& text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

SchemaStats check_json_schema(const std::string& text, const InputLimits& limits, const std::string& key) {
  SchemaStats stats;
  if (text.size() > limits.max_schema_bytes) {
    refuse_over_limit(key, "is " + std::to_string(text.size()) + " bytes", limits.max_schema_bytes, "max_schema_bytes",
                      "Send a smaller schema.");
  }
  stats.depth = json_text_depth(text);
  if (stats.depth > limits.max_schema_depth) {
    refuse_over_limit(
        key,
        "nests brackets " + std::to_string(stats.depth) + " deep (llama.cpp copies and converts schemas recursively)",
        limits.max_schema_depth, "max_schema_depth", "Flatten the schema, or move nested parts into $defs.");
  }
  Json root;
  try {
    root = Json::parse(text);
  } catch (const std::exception&) {
    stats.parse_error = true;
    return stats;
  }
  SchemaWalk(root, limits, key).run(stats);
  return stats;
}

}  // namespace wasi_nn
