// rpc_servers: layers on two llama.cpp rpc-server processes on loopback generate exactly what
// the local CPU generates; servers that are down or silent fail the load quickly, naming them.
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
                          R"({"mode": "raw", "n_predict": 16, "temperature": 0})").text;
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

TEST_F(Rpc, AutoFitsThroughTheServersAndExplicitCountsAreHonoured) {
  Settings s;
  apply_defaults(s);
  parse_config(R"({"rpc_servers": [")" + servers_[0]->endpoint() + R"(", ")" + servers_[1]->endpoint() + R"("]})",
               kScopeBackend, s);
  parse_config(R"({"ctx_size": 256, "threads": 2, "n_parallel": 1})", kScopeLoad, s);
  const ModelSource source = ModelSource::open_file(model_path("tiny-llama"), ModelAccess({}, ModelAccess::Mode::Open));
  {
    auto engine = ModelRegistry::instance().acquire(source, s.model, s.context);  // "auto"
    EXPECT_EQ(engine->weights().n_devices(), 2u);
    EXPECT_EQ(engine->weights().n_gpu_layers(), -1);  // everything fits: all layers offloaded
  }
  parse_config(R"({"n_gpu_layers": 1, "tensor_split": [1, 3]})", kScopeLoad, s);
  auto engine = ModelRegistry::instance().acquire(source, s.model, s.context);
  EXPECT_EQ(engine->weights().n_gpu_layers(), 1);
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
