// run_sandboxed and ChatTemplates: a guest's template renders in a child exactly as it would in
// this process; what no static check bounds (time, memory, recursion) is stopped there and
// answered with InvalidArgument, and this process goes on.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "core/input/chat_templates.h"
#include "core/input/template_sandbox.h"
#include "input_test_support.h"
#include "test_vocab.h"

namespace wasi_nn {
namespace {

InputLimits quick_limits() {
  InputLimits l;
  l.template_render_ms = 2000;
  l.template_memory_bytes = 256u << 20;
  return l;
}

common_chat_templates_inputs conversation() {
  common_chat_templates_inputs in;
  for (const char* role : {"system", "user", "assistant", "user"}) {
    common_chat_msg m;
    m.role = role;
    m.content = std::string("A ") + role + " message.";
    in.messages.push_back(m);
  }
  in.add_generation_prompt = true;
  return in;
}

// Recursion the optimiser cannot turn into a loop: each frame keeps a buffer alive.
int deep(int n) {
  volatile char frame[256];
  frame[0] = static_cast<char>(n);
  return n <= 0 ? 0 : deep(n - 1) + frame[0];
}

TEST(Sandbox, ReturnsTheResultAndCarriesExceptions) {
  EXPECT_EQ(run_sandboxed([] { return std::string("made in a child"); }, {}, "probe"), "made in a child");
  EXPECT_REFUSED(run_sandboxed([]() -> std::string { throw std::runtime_error("bad input"); }, {}, "probe"),
                 "probe failed: bad input");
}

TEST(Sandbox, StopsWhatRunsTooLongUsesTooMuchOrCrashes) {
  SandboxLimits l;
  l.wall_ms = 500;
  l.memory_bytes = 64u << 20;
  l.output_bytes = 1000;
  EXPECT_REFUSED(run_sandboxed(
                     []() -> std::string {
                       for (volatile int i = 0;; i = i + 1) {
                       }
                     },
                     l, "probe"),
                 "probe ran longer than 500 ms");
  EXPECT_REFUSED(run_sandboxed([] { return std::string(size_t(1) << 30, 'x'); }, l, "probe"),
                 "needed more than 64 MiB");
  EXPECT_REFUSED(run_sandboxed([] { return std::to_string(deep(100000000)); }, l, "probe"), "crashed (signal 11");
  EXPECT_REFUSED(run_sandboxed([] { return std::string(5000, 'y'); }, l, "probe"), "more than");
  EXPECT_REFUSED(run_sandboxed(
                     []() -> std::string {
                       std::raise(SIGABRT);
                       return "";
                     },
                     l, "probe"),
                 "aborted");
}

// Every template llama.cpp ships renders the same conversation to the same prompt whether it
// runs here (as an operator's) or in a child (as a guest's).
TEST(ChatTemplatesTest, GuestRenderingEqualsInProcessRendering) {
  const auto files = test::files_in(test::llama_dir() + "/models/templates", ".jinja");
  ASSERT_GE(files.size(), 50u);
  size_t rendered = 0;
  for (const auto& f : files) {
    const std::string src = test::read_file(f);
    common_chat_params here;
    try {
      here = ChatTemplates(test::tiny_model(), src, TemplateTrust::Operator, quick_limits()).apply(conversation());
    } catch (const std::exception&) {
      continue;  // a template that wants tools or other inputs; the guest path must fail too
    }
    const ChatTemplates guest(test::tiny_model(), src, TemplateTrust::Guest, quick_limits(), /*validate=*/false);
    const common_chat_params there = guest.apply(conversation());
    EXPECT_EQ(there.prompt, here.prompt) << f;
    EXPECT_EQ(there.additional_stops, here.additional_stops) << f;
    EXPECT_EQ(guest.source(), src) << f;
    ++rendered;
  }
  EXPECT_GE(rendered, 40u);
}

TEST(ChatTemplatesTest, GuestTemplatesThatNeverEndAreStopped) {
  const std::vector<std::pair<std::string, std::string>> bombs = {
      {"{{ 'x' * 100000000000 }}", ""},
      {"{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "ran longer than 2000 ms"},
      {"{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}", ""},
      {"{% set a = [1] %}{% for i in range(64) %}{% set a = a + a %}{% endfor %}{{ a | length }}", ""},
  };
  for (const auto& [text, expected] : bombs) {
    // Building it runs it (llama.cpp detects a template's capabilities by rendering it, and
    // swallows exceptions there, so a bomb that ends in bad_alloc may build): refused when
    // built, or else when rendered.
    EXPECT_REFUSED(ChatTemplates(test::tiny_model(), text, TemplateTrust::Guest, quick_limits()).apply(conversation()),
                   "chat_template", expected.c_str());
    const ChatTemplates unvalidated(test::tiny_model(), text, TemplateTrust::Guest, quick_limits(), false);
    EXPECT_REFUSED(unvalidated.apply(conversation()), "chat_template", expected.c_str());
  }
  // And this process is fine: a normal guest template renders.
  const ChatTemplates ok(test::tiny_model(), "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}",
                         TemplateTrust::Guest, quick_limits());
  EXPECT_EQ(ok.apply(conversation()).prompt,
            "<system>A system message.<user>A user message.<assistant>A assistant message.<user>A user message.");
}

TEST(ChatTemplatesTest, StaticChecksComeFirst) {
  EXPECT_REFUSED(ChatTemplates(test::tiny_model(), "{{ " + test::nested(100, "(", ")", "1") + " }}",
                               TemplateTrust::Guest, quick_limits()),
                 "max_template_bracket_depth");
  EXPECT_REFUSED(ChatTemplates(test::tiny_model(), "{{ " + test::nested(100, "(", ")", "1") + " }}",
                               TemplateTrust::Operator, quick_limits()),
                 "max_template_bracket_depth");
}

TEST(ChatTemplatesTest, WhoSuppliedTheTemplate) {
  // A granted file's own template and built-in names are the operator's; Jinja text in
  // chat_template and the template of model bytes a guest sent are the guest's.
  EXPECT_EQ(template_trust(/*model_from_guest_bytes=*/false, ""), TemplateTrust::Operator);
  EXPECT_EQ(template_trust(false, "chatml"), TemplateTrust::Operator);
  EXPECT_EQ(template_trust(false, "{{ messages }}"), TemplateTrust::Guest);
  EXPECT_EQ(template_trust(true, ""), TemplateTrust::Guest);
  EXPECT_EQ(template_trust(true, "chatml"), TemplateTrust::Operator);
}

// llama.cpp's std::localtime calls go to a per-thread buffer, so renders need no lock.
TEST(ChatTemplatesTest, LocaltimeIsPerThread) {
  const time_t now = time(nullptr);
  const struct tm* main_tm = localtime(&now);
  const struct tm* other_tm = nullptr;
  std::thread([&] { other_tm = localtime(&now); }).join();
  EXPECT_NE(main_tm, other_tm);
  // Many threads render an operator's template at once (TSan builds check the race is gone).
  const ChatTemplates t(test::tiny_model(), "{{ strftime_now('%Y') }}{{ messages[0].content }}",
                        TemplateTrust::Operator, quick_limits());
  std::vector<std::thread> threads;
  std::vector<std::string> out(8);
  for (size_t i = 0; i < out.size(); ++i) threads.emplace_back([&, i] { out[i] = t.apply(conversation()).prompt; });
  for (auto& th : threads) th.join();
  for (const auto& o : out) EXPECT_EQ(o, out[0]);
}

// A {% filter %} block writes to the shared program while it runs; its template renders one
// thread at a time, others in parallel.
TEST(ChatTemplatesTest, FilterBlocksRenderSafelyFromManyThreads) {
  const ChatTemplates t(test::tiny_model(), "{% filter upper %}{{ messages[0].content }}{% endfilter %}",
                        TemplateTrust::Operator, quick_limits());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 200; ++k) wrong += t.apply(conversation()).prompt != "A SYSTEM MESSAGE.";
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace wasi_nn
