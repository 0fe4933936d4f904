// wasi-nn-input-bench: what bounding guest input costs.
//   1. A chat template rendered in this process (an operator's) and in a child (a guest's,
//      core/input/template_sandbox.h), with the process holding 0, 1 and 4 GiB of touched
//      anonymous memory (a model's KV cache or CPU weights): fork() copies page tables, so the
//      child's cost grows with the resident size.
//   2. What llama.cpp's lazy grammar costs per generated token while it waits for a trigger:
//      one search of all text so far per word or pattern trigger (core/input/trigger_watch.h).
// Usage: wasi-nn-input-bench MODEL.gguf TEMPLATE.jinja [MiB ...]
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common.h"
#include "core/input/chat_templates.h"

using namespace wasi_nn;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

common_chat_templates_inputs conversation() {
  common_chat_templates_inputs in;
  for (const char* role : {"system", "user", "assistant", "user"}) {
    common_chat_msg m;
    m.role = role;
    m.content = std::string("A ") + role + " message of a few words.";
    in.messages.push_back(m);
  }
  in.add_generation_prompt = true;
  return in;
}

double render_ms(const ChatTemplates& t, int n) {
  const auto in = conversation();
  t.apply(in);  // warm
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) t.apply(in);
  return ms_since(start) / n;
}

void bench_templates(const llama_model* model, const std::string& src, const std::vector<size_t>& ballast_mib) {
  setvbuf(stdout, nullptr, _IONBF, 0);
  std::printf("template render (%zu bytes of Jinja), ms per render:\n", src.size());
  std::printf("  %-10s %-12s %-12s\n", "resident", "in-process", "in a child");
  const InputLimits limits;
  for (size_t mib : ballast_mib) {
    char* ballast = nullptr;
    if (mib) {
      ballast =
          static_cast<char*>(mmap(nullptr, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
      madvise(ballast, mib << 20, MADV_NOHUGEPAGE);
      std::memset(ballast, 1, mib << 20);
    }
    const ChatTemplates op(model, src, TemplateTrust::Operator, limits);
    const ChatTemplates guest(model, src, TemplateTrust::Guest, limits, false);
    std::printf("  +%-5zu MiB %-12.2f %-12.2f\n", mib, render_ms(op, 20), render_ms(guest, 10));
    if (ballast) munmap(ballast, mib << 20);
  }
}

// Per-token cost of llama.cpp's trigger search with `waited` bytes of text already generated.
void bench_trigger(const llama_vocab* vocab, const char* pattern, const std::string& piece, size_t waited) {
  const char* patterns[] = {pattern};
  llama_sampler* s = llama_sampler_init_grammar_lazy_patterns(vocab, "root ::= \"z\"", "root", patterns, 1, nullptr, 0);
  const auto ids = common_tokenize(vocab, piece, false, false);
  size_t text = 0;
  while (text + piece.size() <= waited) {
    for (llama_token t : ids) llama_sampler_accept(s, t);
    text += piece.size();
  }
  const auto start = Clock::now();
  int n = 0;
  for (; n < 20; ++n) llama_sampler_accept(s, ids[0]);
  std::printf("  %-34s text %7zu B of \"%s\": %8.3f ms per token\n", pattern, text, piece.c_str(), ms_since(start) / n);
  llama_sampler_free(s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL.gguf TEMPLATE.jinja [MiB ...]\n", argv[0]);
    return 2;
  }
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.vocab_only = true;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (!model) return 1;
  std::ifstream f(argv[2]);
  std::stringstream src;
  src << f.rdbuf();
  std::vector<size_t> ballast = {0};
  for (int i = 3; i < argc; ++i) ballast.push_back(std::strtoul(argv[i], nullptr, 10));
  bench_templates(model, src.str(), ballast);

  // Filling the buffer token by token is itself quadratic (that is the point), so the costly
  // cases use short texts and long pieces.
  std::printf("lazy-grammar trigger search while waiting, per generated token:\n");
  setvbuf(stdout, nullptr, _IONBF, 0);
  const llama_vocab* vocab = llama_model_get_vocab(model);
  for (size_t waited : {4096, 16384, 65536}) bench_trigger(vocab, "<tool_call>", "The quick brown fox. ", waited);
  for (size_t waited : {4096, 16384}) bench_trigger(vocab, "<tool_call>", "<tool_cal", waited);
  for (size_t waited : {1024, 4096}) bench_trigger(vocab, "a{0,16}a{0,16}b", "aaaaaaaa", waited);
  llama_model_free(model);
  return 0;
}
