// What the media tests share (media_test.cpp: tiny-llama with the LLaVA and Ultravox projectors;
// media_families_test.cpp: the Qwen2-VL and Gemma 3 pairs): the load configuration, the
// generated media, one turn with media inputs, and llama.cpp's own llama-mtmd-cli as reference.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/core_helpers.h"

namespace wasi_nn::test {

// Greedy, 16 tokens, two sequences, with the projector file `mmproj` of the model directory.
inline std::string media_load_config(const char* mmproj) {
  return R"({"ctx_size": 1024, "threads": 2, "n_parallel": 2, "n_predict": 16, "temperature": 0, "mmproj": ")" +
         model_file(mmproj) + "\"}";
}

// The bytes of a generated media file (test-gradient.bmp, test-tone-440.wav, ...).
inline std::string media(const char* name) { return read_file(model_file(name)); }

// One turn with `files` as inputs 2, 3, ...
inline Output ask(Backend& b, uint32_t ctx, const std::string& prompt, const std::vector<std::string>& files,
                  const std::string& request = "") {
  for (size_t i = 0; i < files.size(); ++i) b.set_input(ctx, static_cast<uint32_t>(2 + i), files[i]);
  return generate(b, ctx, prompt, request);
}

// llama-mtmd-cli, greedy, single turn (it renders the chat template around the prompt, which
// holds the marker), with the engine's threads, context and attention.
inline std::string mtmd_cli(const char* model, const char* mmproj, const char* flag, const char* file,
                            const std::string& prompt) {
  // It prints one newline after evaluating the prompt, before the generated text. --jinja: the
  // model's own template, as the backend renders it (without it, Qwen2-VL's template would be
  // replaced by llama.cpp's built-in ChatML, which drops the template's default system turn).
  std::string text =
      run_to_blank_line(mtmd_cli_tool(), {"-m",          model_file(model),
                                          "--mmproj",    model_file(mmproj),
                                          flag,          file[0] == '/' ? std::string(file) : model_file(file),
                                          "-p",          prompt,
                                          "-n",          "16",
                                          "--temp",      "0",
                                          "--seed",      "1",
                                          "-t",          "2",
                                          "-c",          "1024",
                                          "-fa",         "off",
                                          "--no-warmup", "--jinja"});
  if (!text.empty() && text[0] == '\n') text.erase(0, 1);
  return text;
}

// Chat mode on graph `g`: the conversation keeps the image; turn two (text only) reuses turn
// one's KV, image included, and answers as a run that recomputes everything (cache_prompt
// false) does.
inline void expect_turn_two_reuses_image_kv(Backend& b, uint32_t g, const std::string& prompt,
                                            const std::string& image) {
  const uint32_t warm = b.init_execution_context(g);
  const Output one = ask(b, warm, prompt, {image});
  const Output two = ask(b, warm, "And its colours?", {});
  EXPECT_GE(two.meta["cached_tokens"].get<uint32_t>(), one.meta["input_tokens"].get<uint32_t>()) << two.meta.dump();
  const uint32_t other = b.init_execution_context(g);
  ask(b, other, prompt, {image});
  const Output cold = ask(b, other, "And its colours?", {}, R"({"cache_prompt": false})");
  EXPECT_EQ(cold.meta["cached_tokens"], 0) << cold.meta.dump();
  EXPECT_EQ(two.text, cold.text);
}

// The text of a turn streamed piece by piece (compute_single / get_output_single until the end
// of the sequence) on a fresh context of graph `g`.
inline std::string streamed_turn(Backend& b, uint32_t g, const std::string& prompt, const std::string& file) {
  const uint32_t s = b.init_execution_context(g);
  b.set_input(s, 0, prompt);
  b.set_input(s, 2, file);
  std::string streamed, buf(1 << 16, '\0');
  for (int i = 0; i < 1000; ++i) {
    try {
      b.compute_single(s);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::EndOfSequence) << e.what();
      break;
    }
    streamed.append(buf.data(), b.get_output_single(s, 0, buf.data(), buf.size()));
  }
  b.fini_single(s);
  return streamed;
}

}  // namespace wasi_nn::test
