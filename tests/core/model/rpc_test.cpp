// rpc_servers: layers on two llama.cpp rpc-server processes on loopback generate exactly what
// the local CPU generates, and the stats show the weights and compute on the servers (and, with
// n_gpu_layers 0, nowhere but here); n_gpu_layers "auto" fits them within fit_device_mb; servers
// that are down or silent fail the load quickly, naming them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/config/config_parser.h"
#include "core/engine/model_registry.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::model_path;
using Clock = std::chrono::steady_clock;

// A loopback port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// One rpc-server child; killed by the destructor, and by the kernel if this test process dies.
class RpcServer {
 public:
  RpcServer() : port_(free_port()), log_(testing::TempDir() + "rpc-server-" + std::to_string(port_) + ".log") {
    const std::string port = std::to_string(port_);
    const std::string tool = test::rpc_server_tool();
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls: other threads may hold locks
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::execl(tool.c_str(), tool.c_str(), "-H", "127.0.0.1", "-p", port.c_str(), "-t", "1",
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline && !accepts(port_)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~RpcServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  int port_;
  std::string log_;
  pid_t pid_ = -1;
};

class Rpc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (test::rpc_server_tool().empty()) return;
    servers_[0] = new RpcServer();
    servers_[1] = new RpcServer();
  }
  void SetUp() override {
    if (!servers_[0]) GTEST_SKIP() << "rpc-server not built (WASI_NN_GGML_RPC or WASI_NN_BUILD_LLAMA_TOOLS off)";
  }
  static void TearDownTestSuite() {
    for (auto*& s : servers_) delete s, s = nullptr;
  }
  static std::string both() { return servers_[0]->endpoint() + "," + servers_[1]->endpoint(); }

  // Greedy text of tiny-llama with this backend config and load config.
  static std::string greedy(const std::string& backend_json, const std::string& load_json) {
    HostBackend b(backend_json);
    const uint32_t g = b.load_by_name(model_path("tiny-llama"), load_json);
    return test::generate(b, b.init_execution_context(g), "The quick brown fox",
                          R"({"mode": "raw", "n_predict": 16, "temperature": 0})")
        .text;
  }

  static RpcServer* servers_[2];
};
RpcServer* Rpc::servers_[2] = {nullptr, nullptr};

constexpr const char* kLoad = R"({"ctx_size": 256, "threads": 2, "n_parallel": 1, "n_gpu_layers": 99})";

TEST_F(Rpc, LayersOnTwoServersGenerateWhatTheCpuGenerates) {
  const std::string local = greedy("", R"({"ctx_size": 256, "threads": 2, "n_parallel": 1, "n_gpu_layers": 0})");
  ASSERT_FALSE(local.empty());
  const std::string remote = greedy(R"({"rpc_servers": ")" + both() + R"("})", kLoad);
  EXPECT_EQ(remote, local);
  for (auto* s : servers_) EXPECT_NE(s->log().find("Accepted client connection"), std::string::npos) << s->endpoint();
}

// Where llama.cpp put the model, the KV cache and the compute buffers (the stats' "placement"):
// the bytes of one kind on the devices whose name holds `device` ("RPC0[127.0.0.1:port]" for a
// server), or on every local buffer type (CPU, CPU_Mapped, ...) when `device` is empty.
uint64_t placed(const nlohmann::json& placement, const std::string& device, const char* kind) {
  uint64_t sum = 0;
  for (const auto& d : placement) {
    const std::string name = d["device"];
    const bool remote = name.rfind("RPC", 0) == 0;
    if (device.empty() ? !remote : name.find("[" + device + "]") != std::string::npos) sum += d[kind].get<uint64_t>();
  }
  return sum;
}

// The stats entry of the only model loaded now (these tests load one at a time).
nlohmann::json only_model() {
  const nlohmann::json models = test::process_stats()["models"];
  EXPECT_EQ(models.size(), 1u) << models.dump();
  return models.empty() ? nlohmann::json::object() : models[0];
}

// Loads tiny-llama with this backend and load config, generates a few tokens (so the compute
// buffers are in use) and returns the model's stats entry.
nlohmann::json load_and_report(const std::string& backend_json, const std::string& load_json) {
  HostBackend b(backend_json);
  const uint32_t g = b.load_by_name(model_path("tiny-llama"), load_json);
  test::generate(b, b.init_execution_context(g), "Hi", R"({"mode": "raw", "n_predict": 2})");
  return only_model();
}

TEST_F(Rpc, LayersAndComputeGoToTheServersOnlyWhenOffloaded) {
  const std::string backend = R"({"rpc_servers": ")" + both() + R"("})";
  const nlohmann::json off =
      load_and_report(backend, R"({"ctx_size": 256, "threads": 2, "n_parallel": 1, "n_gpu_layers": 0})");
  const nlohmann::json on = load_and_report(backend, kLoad);
  const nlohmann::json& p_off = off["engines"][0]["placement"];
  const nlohmann::json& p_on = on["engines"][0]["placement"];
  uint64_t remote_model = 0;
  for (auto* s : servers_) {
    // n_gpu_layers 0: the servers are devices of the model but hold nothing and compute nothing.
    EXPECT_EQ(placed(p_off, s->endpoint(), "model_bytes"), 0u) << p_off.dump();
    EXPECT_EQ(placed(p_off, s->endpoint(), "compute_bytes"), 0u) << p_off.dump();
    // Every layer offloaded: each server holds weights and runs compute.
    EXPECT_GT(placed(p_on, s->endpoint(), "model_bytes"), 0u) << p_on.dump();
    EXPECT_GT(placed(p_on, s->endpoint(), "compute_bytes"), 0u) << p_on.dump();
    remote_model += placed(p_on, s->endpoint(), "model_bytes");
  }
  // The local process gave up the offloaded layers' weights and most of its compute buffers. The
  // input embedding stays local (llama.cpp never offloads it); this model ties its output layer
  // to it, so the servers hold a copy of that table besides the layers.
  const uint64_t local_off = placed(p_off, "", "model_bytes"), local_on = placed(p_on, "", "model_bytes");
  EXPECT_EQ(local_off, off["model_bytes"].get<uint64_t>());
  EXPECT_LT(local_on, local_off);
  EXPECT_LE(local_off - local_on, remote_model);
  EXPECT_LT(placed(p_on, "", "compute_bytes"), placed(p_off, "", "compute_bytes"));
  EXPECT_EQ(on["n_gpu_layers"]["decision"], "given");
  EXPECT_EQ(on["n_gpu_layers"]["devices"], 2);
}

// n_gpu_layers "auto" runs llama.cpp's fitting against the servers' memory; fit_device_mb caps
// what it may use per device. tiny-llama's output layer (its 128k-token embedding table, tied)
// and the logits' compute buffer must fit on the last device before any layer does, so on these
// models the fit is all or nothing: 1 MiB fits no layer, 1 GiB every one.
TEST_F(Rpc, AutoFitDecidesWithinTheDeviceMemoryCap) {
  auto fit = [&](int cap_mb) {
    return load_and_report(R"({"rpc_servers": ")" + both() + R"(", "fit_device_mb": )" + std::to_string(cap_mb) + "}",
                           R"({"ctx_size": 256, "threads": 2, "n_parallel": 1})");
  };
  // Layers as a count, "all" (-1) as every repeating layer plus the output layer.
  auto layers = [](const nlohmann::json& m) {
    const int n = m["n_gpu_layers"]["layers"];
    return n < 0 ? m["n_gpu_layers"]["model_layers"].get<int>() + 1 : n;
  };
  const nlohmann::json tiny = fit(1), generous = fit(1024);
  for (const auto* m : {&tiny, &generous}) {
    EXPECT_EQ((*m)["n_gpu_layers"]["asked"], "auto") << m->dump();
    EXPECT_EQ((*m)["n_gpu_layers"]["decision"], "fitted") << m->dump();
    EXPECT_EQ((*m)["n_gpu_layers"]["devices"], 2) << m->dump();
    EXPECT_EQ((*m)["n_gpu_layers"]["model_layers"], 2) << m->dump();
  }
  EXPECT_EQ(layers(generous), 3) << generous.dump();
  EXPECT_LT(layers(tiny), layers(generous));
  EXPECT_EQ(layers(tiny), 0) << tiny.dump();
  // The decision is what llama.cpp did: nothing on the servers under the tiny cap.
  for (auto* s : servers_) {
    EXPECT_EQ(placed(tiny["engines"][0]["placement"], s->endpoint(), "model_bytes"), 0u);
    EXPECT_GT(placed(generous["engines"][0]["placement"], s->endpoint(), "model_bytes"), 0u);
  }
}

TEST_F(Rpc, ExplicitLayerCountsAreHonouredNotFitted) {
  Settings s;
  apply_defaults(s);
  parse_config(R"({"rpc_servers": [")" + servers_[0]->endpoint() + R"(", ")" + servers_[1]->endpoint() + R"("]})",
               kScopeBackend, s);
  parse_config(R"({"ctx_size": 256, "threads": 2, "n_parallel": 1, "n_gpu_layers": 1, "tensor_split": [1, 3]})",
               kScopeLoad, s);
  const ModelSource source = ModelSource::open_file(model_path("tiny-llama"), ModelAccess({}, ModelAccess::Mode::Open));
  auto engine = ModelRegistry::instance().acquire(source, s.model, s.context);
  EXPECT_EQ(engine->weights().n_gpu_layers(), 1);
  const nlohmann::json m = only_model();
  EXPECT_EQ(m["n_gpu_layers"]["asked"], "given");
  EXPECT_EQ(m["n_gpu_layers"]["decision"], "given");
  EXPECT_EQ(m["n_gpu_layers"]["layers"], 1);
}

TEST_F(Rpc, DeviceIndicesAreCheckedAgainstTheServers) {
  HostBackend b(R"({"rpc_servers": ")" + both() + R"("})");
  try {
    b.load_by_name(model_path("tiny-llama"), R"({"main_gpu": 2, "split_mode": "none"})");
    ADD_FAILURE() << "main_gpu 2 accepted with two devices";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("(" + servers_[0]->endpoint() + ")"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("below 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(b.load_by_name(model_path("tiny-llama"), R"({"tensor_split": [1, 1, 1]})"), Error);
}

// A load error (not an abort, not a hang) that names the server, within the probe's bound.
void expect_unreachable(const std::string& endpoint, const std::string& why) {
  HostBackend c(R"({"rpc_servers": ")" + endpoint + R"("})");
  const auto t0 = Clock::now();
  try {
    c.load_by_name(model_path("tiny-llama"), kLoad);
    ADD_FAILURE() << "loaded with an unreachable RPC server";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Runtime);
    EXPECT_NE(std::string(e.what()).find("RPC server '" + endpoint + "'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(8));
}

TEST_F(Rpc, ServerThatIsDownFailsTheLoadNamingIt) {
  expect_unreachable("127.0.0.1:" + std::to_string(free_port()), "cannot be reached: Connection refused");
}

TEST_F(Rpc, ServerThatNeverAnswersFailsTheLoadInBoundedTime) {
  // Listens (so connect succeeds) but never accepts or answers: ggml's own client would wait forever.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  expect_unreachable("127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "did not answer the RPC handshake");
  ::close(fd);
}

}  // namespace
}  // namespace wasi_nn
