// Internal to the parameter table's files (param_table.cpp and the param_*_rows.cpp files):
// the helpers every row uses and the row groups the table is assembled from. A new group of
// keys (a feature's) goes in a file of its own with a function declared here and one line in
// build_table(). Not part of config's interface: include param_table.h instead.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/param_table.h"

namespace wasi_nn::param_rows {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kI32 = 2147483647.0;

using V = ParamValue;

// Every apply function has the same shape; the macro keeps each table row to its one statement.
#define APPLY(stmt)             \
  [](const V& v, Settings& s) { \
    (void)v;                    \
    (void)s;                    \
    stmt;                       \
  }
// An enum key: the table's choices are the enum's names, so the lookup cannot miss.
#define APPLY_ENUM(field) [](const V& v, Settings& s) { enum_from_name(v.get_ref<const std::string&>(), &s.field); }
// Sampling fields llama.cpp also reads from a model's metadata: the flag tells it the user chose.
#define APPLY_SAMPLING(field, type, flag)                                            \
  [](const V& v, Settings& s) {                                                      \
    s.request.sampling.field = v.get<type>();                                        \
    s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_##flag; \
  }

// A number as the reference prints a default: integers in full, floats with %g.
std::string num(double d);

// Keys the original project documented but this backend does not implement. A value equal to
// `accepted` describes what the backend does anyway and is accepted; any other is an error.
ParamSpec unsupported(const char* name, const char* section, std::vector<std::string> aliases, std::string accepted,
                      std::string why);

// The row groups, in reference order.
std::vector<ParamSpec> host_rows();         // backend, model, context, serving (param_table.cpp)
std::vector<ParamSpec> sampling_rows();     // sampling, stopping (param_sampling_rows.cpp)
std::vector<ParamSpec> session_rows();      // session, embeddings (param_session_rows.cpp)
std::vector<ParamSpec> agent_rows();        // tools, reasoning, messages, tokens, forks (param_agent_rows.cpp)
std::vector<ParamSpec> adapter_rows();      // LoRA adapters, reranking (param_adapter_rows.cpp)
std::vector<ParamSpec> speculative_rows();  // draft model, n-gram lookup (param_speculative_rows.cpp)
std::vector<ParamSpec> wasmedge_rows();     // profile, tenant logs, stream_stdout (param_wasmedge_rows.cpp)
std::vector<ParamSpec> media_rows();        // mmproj, media_marker (param_media_rows.cpp)
std::vector<ParamSpec> unsupported_rows();  // recognised, not supported (param_session_rows.cpp)

}  // namespace wasi_nn::param_rows
