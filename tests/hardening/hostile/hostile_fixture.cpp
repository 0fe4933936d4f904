#include "hostile/hostile_fixture.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <vector>

namespace hostile {

#if defined(WASI_NN_HOSTILE_SEED)
wasi_nn_error SetBytes(void* ctx, graph_execution_context e, uint32_t index, const std::string& bytes) {
  // With a dimension the seed ABI reads exactly its byte count (NUL bytes included).
  uint32_t dim = static_cast<uint32_t>(bytes.size());
  tensor_dimensions dims{&dim, 1};
  tensor t{&dims, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>(bytes.data()))};
  return set_input(ctx, e, index, &t);
}

wasi_nn_error GetBytes(void* ctx, graph_execution_context e, uint32_t index, std::string* out, uint32_t cap,
                       bool single) {
  std::string buf(cap, '\0');
  uint32_t size = cap;
  auto* p = reinterpret_cast<uint8_t*>(buf.data());
  const wasi_nn_error rc = single ? get_output_single(ctx, e, index, p, &size) : get_output(ctx, e, index, p, &size);
  *out = rc == success ? buf.substr(0, size) : std::string();
  return rc;
}

void* NewBackend(const std::string& limits, const std::string& config) {
  json host = config.empty() ? json::object() : json::parse(config);
  if (!limits.empty()) host["limits"] = json::parse(limits);
  const std::string text = host.dump();
  void* ctx = nullptr;
  EXPECT_EQ(init_backend_with_config(&ctx, text.c_str(), text.size()), success) << LastError(nullptr);
  return ctx;
}
#else
wasi_nn_error SetBytes(void* ctx, graph_execution_context e, uint32_t index, const std::string& bytes) {
  wamr_test::Input in(bytes);
  return set_input(ctx, e, index, &in.t);
}

wasi_nn_error GetBytes(void* ctx, graph_execution_context e, uint32_t index, std::string* out, uint32_t cap,
                       bool single) {
  std::string buf(cap, '\0');
  tensor_data data{reinterpret_cast<uint8_t*>(buf.data()), cap};
  uint32_t size = 0;
  const wasi_nn_error rc =
      single ? get_output_single(ctx, e, index, &data, &size) : get_output(ctx, e, index, &data, &size);
  *out = rc == success ? buf.substr(0, size) : std::string();
  return rc;
}

// WAMR's library reads the host's settings from the environment at every init_backend. Its
// default profile is WasmEdge's (docs/COMPATIBILITY.md), where a second load of a loaded name
// returns that graph without reading the new config and input 1 persists for the context's
// later computes: this suite sends every attack through the strict profile so that each config
// reaches the parsers and limits, which are the same in both profiles (tests/compat checks the
// limits under WasmEdge's spellings).
void* NewBackend(const std::string& limits, const std::string& config) {
  json host = config.empty() ? json::object() : json::parse(config);
  if (!host.contains("profile")) host["profile"] = "strict";
  const std::string text = host.dump();
  if (!limits.empty()) ::setenv("WASI_NN_LIMITS", limits.c_str(), 1);
  ::setenv("WASI_NN_CONFIG", text.c_str(), 1);
  void* ctx = nullptr;
  EXPECT_EQ(init_backend(&ctx), success) << LastError(nullptr);
  ::unsetenv("WASI_NN_LIMITS");
  ::unsetenv("WASI_NN_CONFIG");
  return ctx;
}
#endif

wasi_nn_error LoadAt(void* ctx, const std::string& path, const std::string& config, graph* g) {
  return load_by_name_with_config(ctx, path.c_str(), path.size(), config.c_str(), config.size(), g);
}

Reply Run(void* ctx, graph_execution_context e, const std::string& prompt, const std::string& request) {
  Reply r;
  r.step = "set_input";
  r.code = SetBytes(ctx, e, 0, prompt);
  if (r.code == success && !request.empty()) r.code = SetBytes(ctx, e, 1, request);
  if (r.code == success) {
    r.step = "compute";
    r.code = compute(ctx, e);
  }
  std::string meta;
  if (r.code == success) GetBytes(ctx, e, 0, &r.text);
  if (GetBytes(ctx, e, 1, &meta) == success) r.meta = json::parse(meta, nullptr, false);
  return r;
}

namespace {

uint64_t physical_memory_mb() {
  return static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

uint64_t free_disk_mb(const std::string& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize / (1024 * 1024);
}

// True when a number in `message` lies within 5% of `value` (free space moves while we look).
bool MentionsAbout(const std::string& message, uint64_t value) {
  static const std::regex number("[0-9]{3,}");
  for (auto it = std::sregex_iterator(message.begin(), message.end(), number); it != std::sregex_iterator(); ++it) {
    const double n = std::stod(it->str());
    if (value > 0 && n >= value * 0.95 && n <= value * 1.05) return true;
  }
  return false;
}

}  // namespace

void ExpectNoHostFacts(const std::string& message, const std::string& given, const std::string& disk_dir) {
  std::vector<std::string> facts = {files::model_dir(), "/proc/", "memfd:"};
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd)) facts.push_back(cwd);
  if (const char* home = std::getenv("HOME"); home && std::string(home).size() > 1) facts.push_back(home);
  if (!disk_dir.empty()) facts.push_back(disk_dir);
  for (const std::string& fact : facts) {
    if (!given.empty() && given.find(fact) != std::string::npos) continue;  // the caller gave it
    EXPECT_EQ(message.find(fact), std::string::npos) << "host fact '" << fact << "' in: " << message;
  }
  static const std::regex free_memory(
      R"(([0-9.]+ ?(B|KiB|MiB|GiB|KB|MB|GB|bytes) (free|available))|free memory|memory available)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(message, free_memory)) << "free memory in: " << message;
  EXPECT_FALSE(MentionsAbout(message, physical_memory_mb())) << "the machine's memory in: " << message;
  if (!disk_dir.empty()) {
    EXPECT_FALSE(MentionsAbout(message, free_disk_mb(disk_dir))) << "free disk space of the host in: " << message;
  }
}

std::string Nest(int n, const std::string& open, const std::string& close, const std::string& inner) {
  std::string s;
  s.reserve(n * (open.size() + close.size()) + inner.size());
  for (int i = 0; i < n; ++i) s += open;
  s += inner;
  for (int i = 0; i < n; ++i) s += close;
  return s;
}

wasi_nn_error Tenant::Load(const json& config, const char* model, graph* g) {
  const wasi_nn_error rc = LoadAt(ctx_, model_path(model), config.dump(), &graph_);
  if (g) *g = graph_;
  return rc;
}

graph_execution_context Tenant::Open(graph g) {
  graph_execution_context e = kNone;
  EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError();
  return e;
}

void Hostile::SetUp() {
#if !defined(WASI_NN_HOSTILE_SEED)
  ::setenv("WASI_NN_CONFIG", R"({"profile": "strict"})", 1);  // every config checked: see NewBackend
#endif
  AbiFixture::SetUp();
#if !defined(WASI_NN_HOSTILE_SEED)
  ::unsetenv("WASI_NN_CONFIG");
#endif
  ASSERT_EQ(LoadAt(model_path("tiny-llama"), Small(), &normal_), success) << LastError();
}

void Hostile::Refused(wasi_nn_error want, wasi_nn_error got, const char* function, const std::string& needle,
                      const std::string& given) {
  ExpectError(want, got, function, needle.c_str());
  ExpectNoHostFacts(LastError(), given);
  StillServes();
}

void Hostile::StillServes() {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success) << LastError();
  const Reply r = Run(e, "Hello", R"({"n_predict": 4, "ignore_eos": true})");
  EXPECT_EQ(r.code, success) << "the process no longer serves: " << LastError();
  EXPECT_FALSE(r.text.empty());
  EXPECT_EQ(CloseContext(ctx_, e), success);
}

graph_execution_context Hostile::OpenWith(const json& config, const char* model) {
  graph g = kNone;
  EXPECT_EQ(LoadAt(model_path(model), config, &g), success) << LastError();
  graph_execution_context e = kNone;
  EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError();
  return e;
}

}  // namespace hostile
