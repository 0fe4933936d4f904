// Runs one fuzz case through the seed ABI: a backend, a load with the case's config (which
// creates the llama.cpp context), then each request on its execution context, as compute,
// run_inference or a stream, reading both outputs. Checks only what the header promises for
// every input: documented codes, a graph handle only on success, outputs within capacity, and
// a clean deinit_backend. Whether a value is accepted is not judged here: a crash is the finding.
#include "context_child.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "wasi_nn_backend.h"

namespace context_fuzz {
namespace {

constexpr int kMaxStreamSteps = 512;

bool documented(wasi_nn_error rc) {
  switch (rc) {
    case success:
    case invalid_argument:
    case invalid_encoding:
    case timeout:
    case runtime_error:
    case unsupported_operation:
    case too_large:
    case not_found:
    case security:
    case end_of_sequence:
    case context_full:
    case prompt_tool_long:
    case model_not_found: return true;
    default: return false;
  }
}

class Child {
 public:
  explicit Child(int report_fd) : fd_(report_fd) {}
  ~Child() { send("\n"); }

  // Records the code of one call at once (so a crash report shows the calls before it).
  wasi_nn_error note(const char* what, wasi_nn_error rc) {
    send(std::string(what) + "=" + std::to_string(rc) + " ");
    if (!documented(rc)) broken(what, "returned a code outside the documented set");
    return rc;
  }
  void expect(bool ok, const char* what, const char* promise) {
    if (!ok) broken(what, promise);
  }
  bool ok() const { return ok_; }
  // Adds the start of the calling thread's last error message (why a load failed), so a run can
  // tell how many cases reached a context at all, and why the others did not.
  void why(void* nn) {
    char buf[2048] = {0};
    uint32_t size = sizeof buf - 1;
    get_output(nn, WASI_NN_NO_HANDLE, 0, reinterpret_cast<uint8_t*>(buf), &size);
    std::string text(buf, std::min<size_t>(size, 48));
    for (char& ch : text) ch = (ch == ' ' || ch == '=' || static_cast<unsigned char>(ch) < 0x20) ? '_' : ch;
    send("why=" + text + " ");
  }

 private:
  void broken(const char* what, const char* promise) {
    std::fprintf(stderr, "context_fuzz: broken promise: %s %s\n", what, promise);
    ok_ = false;
  }
  void send(const std::string& text) {
    if (write(fd_, text.data(), text.size()) < 0) {
    }  // the parent may have gone; nothing to do
  }
  int fd_;
  bool ok_ = true;
};

// `name` itself when absolute, else the first `dirs` entry (':'-separated) that holds it.
std::string model_path(const std::string& name, const std::string& dirs) {
  if (!name.empty() && name.front() == '/') return name;
  std::string first;
  for (size_t start = 0; start <= dirs.size();) {
    const size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string path = dirs.substr(start, end - start) + "/" + name;
    if (first.empty()) first = path;
    if (access(path.c_str(), F_OK) == 0) return path;
    start = end + 1;
  }
  return first;
}

tensor text_tensor(const std::string& text) {
  // NULL dimensions: the data is a NUL-terminated string (std::string keeps one after size()).
  return tensor{nullptr, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>(text.c_str()))};
}

// get_output (or get_output_single) with the size protocol: a too_large answer must name a
// larger size, and the retry with that size must fit.
void read_output(Child& ch, void* nn, graph_execution_context e, uint32_t index, bool single) {
  std::vector<uint8_t> buf(4096);
  for (int attempt = 0; attempt < 2; ++attempt) {
    uint32_t size = static_cast<uint32_t>(buf.size());
    const wasi_nn_error rc =
        single ? get_output_single(nn, e, index, buf.data(), &size) : get_output(nn, e, index, buf.data(), &size);
    ch.note(index ? "out1" : "out0", rc);
    if (rc == success) ch.expect(size <= buf.size(), "get_output", "reported more bytes than fit");
    if (rc != too_large) return;
    ch.expect(size > buf.size(), "get_output", "answered too_large with a size that fits");
    buf.resize(size + 1);
  }
}

void run_stream(Child& ch, void* nn, graph_execution_context e) {
  for (int step = 0; step < kMaxStreamSteps; ++step) {
    const wasi_nn_error rc = compute_single(nn, e);
    if (rc != success) {
      ch.note("compute_single", rc);
      break;
    }
    read_output(ch, nn, e, 0, true);
  }
  read_output(ch, nn, e, 1, true);
  ch.note("fini_single", fini_single(nn, e));
}

void run_request(Child& ch, void* nn, graph_execution_context e, const Request& r) {
  tensor prompt = text_tensor(r.prompt);
  if (r.call == Call::RunInference) {
    std::vector<uint8_t> out(4096);
    uint32_t size = static_cast<uint32_t>(out.size());
    const char* config = r.settings.empty() ? nullptr : r.settings.c_str();
    ch.note("run_inference", run_inference(nn, e, 0, &prompt, out.data(), &size, config, 0));
    read_output(ch, nn, e, 1, false);
    return;
  }
  if (ch.note("set_input0", set_input(nn, e, 0, &prompt)) != success) return;
  if (!r.settings.empty()) {
    tensor settings = text_tensor(r.settings);
    if (ch.note("set_input1", set_input(nn, e, 1, &settings)) != success) return;
  }
  if (r.call == Call::Stream) return run_stream(ch, nn, e);
  ch.note("compute", compute(nn, e));
  read_output(ch, nn, e, 0, false);
  read_output(ch, nn, e, 1, false);
}

}  // namespace

int run_case(const Case& c, const std::string& model_dir, int report_fd) {
  Child ch(report_fd);
  void* nn = nullptr;
  const wasi_nn_error init =
      c.backend.empty() ? init_backend(&nn) : init_backend_with_config(&nn, c.backend.c_str(), 0);
  if (ch.note("init", init) != success) return ch.ok() ? kChildOk : kChildBrokenPromise;
  const std::string path = model_path(c.model, model_dir);
  graph g = 12345;
  const wasi_nn_error load = load_by_name_with_config(nn, path.c_str(), 0, c.load.c_str(), 0, &g);
  ch.note("load", load);
  if (load != success) ch.why(nn);
  ch.expect((load == success) == (g != WASI_NN_NO_HANDLE), "load", "wrote a graph handle that disagrees with its code");
  std::vector<graph_execution_context> execs;
  for (const auto& r : c.requests) {
    if (load != success) break;
    if (r.context >= execs.size()) {
      graph_execution_context e = WASI_NN_NO_HANDLE;
      const wasi_nn_error rc = r.session.empty() ? init_execution_context(nn, g, &e)
                                                 : init_execution_context_with_session_id(nn, r.session.c_str(), &e);
      if (ch.note("open", rc) != success) continue;
      execs.push_back(e);
    }
    run_request(ch, nn, execs[std::min<size_t>(r.context, execs.size() - 1)], r);
  }
  for (auto e : execs) ch.note("close", close_execution_context(nn, e));
  ch.expect(ch.note("deinit", deinit_backend(nn)) == success, "deinit_backend", "failed on a live backend");
  return ch.ok() ? kChildOk : kChildBrokenPromise;
}

}  // namespace context_fuzz
