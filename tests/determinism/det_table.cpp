// det-table: runs the determinism harness over every condition and request for the given models
// and prints the divergence table (condition x model: tokens identical? probabilities
// bit-identical? largest absolute probability difference), then one line per divergent request.
//
//   det-table [--mode normal|deterministic] [--conditions a,b,...] [--requests a,b,...]
//             [--load JSON] [--json FILE] NAME=MODEL.gguf ...
//
// --load: keys merged into every load of the baseline (e.g. {"n_gpu_layers": 99} to measure a
// GPU: bench/gpu.sh's determinism stage).
//
// Exit status: 0 when every cell is bit-identical, 1 when some differ, 2 on an error (a condition
// that could not be created is an error, not a pass).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "conditions.h"

namespace {

using json = nlohmann::json;

struct Args {
  std::string mode = "normal", json_out;
  json load = json::object();
  std::vector<std::string> conditions, requests;
  std::vector<std::pair<std::string, std::string>> models;  // name, path
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(s + ": missing value");
      return argv[++i];
    };
    if (s == "--mode")
      a.mode = next();
    else if (s == "--conditions")
      a.conditions = split(next());
    else if (s == "--requests")
      a.requests = split(next());
    else if (s == "--json")
      a.json_out = next();
    else if (s == "--load")
      a.load = json::parse(next());
    else if (s.find('=') != std::string::npos)
      a.models.emplace_back(s.substr(0, s.find('=')), s.substr(s.find('=') + 1));
    else
      throw std::runtime_error("unexpected argument '" + s + "' (models are NAME=PATH)");
  }
  if (a.models.empty()) throw std::runtime_error("usage: det-table [--mode normal|deterministic] NAME=MODEL.gguf ...");
  if (a.mode != "normal" && a.mode != "deterministic") throw std::runtime_error("--mode: normal or deterministic");
  return a;
}

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
  if (filter.empty()) return true;
  for (const auto& f : filter) {
    if (f == name) return true;
  }
  return false;
}

std::string cell(const det::Divergence& d) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s / %s / %.3g", d.tokens_identical ? "yes" : "NO", d.probs_identical ? "yes" : "NO",
                d.max_abs_diff);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse(argc, argv);
    std::vector<det::Condition> conditions;
    for (det::Condition c : det::all_conditions()) {
      if (wanted(args.conditions, det::condition_name(c))) conditions.push_back(c);
    }
    json table = json::object();
    std::vector<std::string> details;
    bool all_identical = true;
    for (const auto& [name, path] : args.models) {
      json load = det::baseline_settings(args.mode == "deterministic");
      load.update(args.load);
      det::Harness h(path, load);
      const std::vector<det::RequestSpec> requests = det::standard_requests(h.prompt_with_tail_of_one(90));
      for (det::Condition c : conditions) {
        det::Divergence cell_d;
        std::string notes;
        for (const auto& r : requests) {
          if (!wanted(args.requests, r.name)) continue;
          const auto t0 = std::chrono::steady_clock::now();
          const det::Outcome o = h.run(c, r);
          const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          std::fprintf(stderr, "[%s] %-14s %-14s %s %s (%.1f s)\n", name.c_str(), det::condition_name(c),
                       r.name.c_str(), o.applicable ? cell(o.divergence).c_str() : "n/a", o.note.c_str(), secs);
          if (!o.applicable) continue;
          cell_d = det::worst(cell_d, o.divergence);
          if (!o.divergence.identical()) {
            details.push_back(name + " " + det::condition_name(c) + " " + r.name + ": first token diff at step " +
                              std::to_string(o.divergence.first_token_diff) + ", " + cell(o.divergence));
          }
        }
        all_identical = all_identical && cell_d.identical();
        table[det::condition_name(c)][name] = {{"tokens_identical", cell_d.tokens_identical},
                                               {"probs_identical", cell_d.probs_identical},
                                               {"max_abs_diff", cell_d.max_abs_diff}};
      }
    }
    std::printf("mode: %s; each cell: tokens identical / probabilities bit-identical / max |dp|\n\n",
                args.mode.c_str());
    std::printf("| condition |");
    for (const auto& m : args.models) std::printf(" %s |", m.first.c_str());
    std::printf("\n|---|");
    for (size_t i = 0; i < args.models.size(); ++i) std::printf("---|");
    std::printf("\n");
    for (det::Condition c : conditions) {
      std::printf("| %s |", det::condition_name(c));
      for (const auto& m : args.models) {
        const json& v = table[det::condition_name(c)][m.first];
        det::Divergence d;
        d.tokens_identical = v["tokens_identical"];
        d.probs_identical = v["probs_identical"];
        d.max_abs_diff = v["max_abs_diff"];
        std::printf(" %s |", cell(d).c_str());
      }
      std::printf("\n");
    }
    for (const auto& line : details) std::printf("- %s\n", line.c_str());
    if (!args.json_out.empty())
      std::ofstream(args.json_out) << json{{"mode", args.mode}, {"table", table}}.dump(2) << "\n";
    return all_identical ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "det-table: %s\n", e.what());
    return 2;
  }
}
