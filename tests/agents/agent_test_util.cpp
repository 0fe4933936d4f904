#include "agent_test_util.h"

namespace wasi_nn::agents {
namespace {

std::string read_output(Backend& b, uint32_t ctx, uint32_t index, bool single) {
  std::string buf(1 << 20, '\0');
  const size_t n = single ? b.get_output_single(ctx, index, buf.data(), buf.size())
                          : b.get_output(ctx, index, buf.data(), buf.size());
  return buf.substr(0, n);
}

void set_inputs(Backend& b, uint32_t ctx, const std::string& input, const json& settings) {
  b.set_input(ctx, 0, input);
  if (!settings.empty()) b.set_input(ctx, 1, settings.dump());
}

}  // namespace

std::string model_path(const std::string& name) { return std::string(WASI_NN_TEST_MODEL_DIR) + "/" + name + ".gguf"; }

Agent::Agent(const std::string& model, const json& load, const std::string& backend_config)
    : backend_(BackendOptions{ModelAccess::Mode::Open}, backend_config) {
  // No prefix sharing between contexts: a reused prefix decodes the last prompt token alone, which
  // can move its logits in the last bits and flip a near tie of a random model.
  json config = {{"ctx_size", 1024}, {"threads", 2}, {"n_predict", 48}, {"temperature", 0}, {"prefix_sharing", false}};
  config.update(load);
  graph_ = backend_.load_by_name(model_path(model), config.dump());
}

uint32_t Agent::context() { return backend_.init_execution_context(graph_); }

uint32_t Agent::session(const std::string& id) { return backend_.init_session(id); }

Reply Agent::ask(uint32_t ctx, const std::string& input, const json& settings) {
  set_inputs(backend_, ctx, input, settings);
  backend_.compute(ctx);
  return Reply{read_output(backend_, ctx, 0, false), json::parse(read_output(backend_, ctx, 1, false))};
}

Error Agent::refuse(uint32_t ctx, const std::string& input, const json& settings) {
  try {
    set_inputs(backend_, ctx, input, settings);
    backend_.compute(ctx);
  } catch (const Error& e) {
    return e;
  }
  throw std::runtime_error("the request was expected to fail but succeeded");
}

std::vector<Piece> Agent::stream(uint32_t ctx, const std::string& input, const json& settings, Reply* last) {
  set_inputs(backend_, ctx, input, settings);
  std::vector<Piece> pieces;
  for (;;) {
    try {
      backend_.compute_single(ctx);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::EndOfSequence) throw;
      break;
    }
    pieces.push_back(Piece{read_output(backend_, ctx, 0, true), json::parse(read_output(backend_, ctx, 1, true))});
  }
  if (last) *last = Reply{read_output(backend_, ctx, 0, false), json::parse(read_output(backend_, ctx, 1, false))};
  backend_.fini_single(ctx);
  return pieces;
}

json test_tools() {
  return json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather of a city",
     "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "maxLength": 10},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
      "required": ["city", "unit"], "additionalProperties": false}}},
    {"type": "function", "function": {"name": "add", "description": "Add two integers",
     "parameters": {"type": "object", "properties": {
        "a": {"type": "integer", "minimum": 0, "maximum": 999},
        "b": {"type": "integer", "minimum": 0, "maximum": 999}},
      "required": ["a", "b"], "additionalProperties": false}}}])");
}

std::string user_messages(const std::string& text) {
  return json::array({{{"role", "user"}, {"content", text}}}).dump();
}

}  // namespace wasi_nn::agents
