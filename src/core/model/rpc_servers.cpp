#include "core/model/rpc_servers.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/mutex.h"
#include "ggml-rpc.h"

namespace wasi_nn {
namespace {

// The HELLO exchange of ggml-rpc.cpp (protocol 6): command byte 14, an 8-byte request size and
// 24 bytes of transport capabilities (zero: plain TCP); the reply is an 8-byte size and
// {major, minor, patch, padding, 24 capability bytes}. Review this probe when the major changes.
static_assert(RPC_PROTO_MAJOR_VERSION == 6, "ggml's RPC protocol changed: check the HELLO probe");
constexpr uint8_t kCmdHello = 14;
constexpr size_t kCapsSize = 24;

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void unreachable(const std::string& server, const std::string& why) {
  fail(ErrorKind::Runtime, "RPC server '" + server + "' (rpc_servers) " + why +
                               ". Start llama.cpp's rpc-server there "
                               "(rpc-server -H <host> -p <port>, built from the same llama.cpp), or remove it from "
                               "rpc_servers.");
}

// Waits for `events` on fd until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Sends or receives exactly `size` bytes before the deadline; false on timeout, error or EOF.
bool transfer(int fd, void* data, size_t size, bool send, Clock::time_point deadline) {
  auto* p = static_cast<uint8_t*>(data);
  while (size > 0) {
    if (!wait_for(fd, send ? POLLOUT : POLLIN, deadline)) return false;
    const ssize_t n = send ? ::send(fd, p, size, MSG_NOSIGNAL) : ::recv(fd, p, size, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// Connects (IPv4, as ggml's client does) and exchanges HELLO, all within kRpcProbeTimeoutMs.
// `known`: this process already uses the server. rpc-server serves one client at a time, so
// while our own connection is open the server answers the probe's TCP connect but not its
// HELLO; that is not an error then.
void probe(const std::string& server, bool known) {
  const size_t colon = server.find(':');
  const std::string host = server.substr(0, colon), port = server.substr(colon + 1);
  const auto deadline = Clock::now() + std::chrono::milliseconds(kRpcProbeTimeoutMs);

  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0 || !found) {
    unreachable(server, std::string("cannot be resolved: ") + ::gai_strerror(rc));
  }
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  const int rc = fd.get() < 0 ? -1 : ::connect(fd.get(), found->ai_addr, found->ai_addrlen);
  const int connect_errno = errno;
  ::freeaddrinfo(found);
  if (fd.get() < 0) unreachable(server, std::string("cannot be probed: socket: ") + std::strerror(errno));
  if (rc != 0 && connect_errno != EINPROGRESS) {
    unreachable(server, std::string("cannot be reached: ") + std::strerror(connect_errno));
  }
  const std::string secs = std::to_string(kRpcProbeTimeoutMs / 1000) + " s";
  if (rc != 0) {
    if (!wait_for(fd.get(), POLLOUT, deadline)) unreachable(server, "did not accept a connection within " + secs);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) unreachable(server, std::string("cannot be reached: ") + std::strerror(err));
  }

  uint8_t request[1 + 8 + kCapsSize] = {kCmdHello};
  const uint64_t request_size = kCapsSize;
  std::memcpy(request + 1, &request_size, sizeof request_size);
  uint64_t reply_size = 0;
  uint8_t reply[4 + kCapsSize] = {};
  const bool answered = transfer(fd.get(), request, sizeof request, true, deadline) &&
                        transfer(fd.get(), &reply_size, sizeof reply_size, false, deadline);
  if (!answered) {
    if (known) return;  // busy serving this process's own connection (see above)
    unreachable(server, "accepted a connection but did not answer the RPC handshake within " + secs +
                            " (is it an rpc-server, and is another client using it?)");
  }
  if (reply_size != sizeof reply || !transfer(fd.get(), reply, sizeof reply, false, deadline) ||
      reply[0] != RPC_PROTO_MAJOR_VERSION || reply[1] > RPC_PROTO_MINOR_VERSION) {
    const std::string got = reply_size == sizeof reply ? std::to_string(reply[0]) + "." + std::to_string(reply[1]) +
                                                             "." + std::to_string(reply[2])
                                                       : "unrecognised";
    fail(ErrorKind::Runtime, "RPC server '" + server +
                                 "' (rpc_servers) is not a compatible llama.cpp rpc-server "
                                 "(protocol " +
                                 got + "; this build speaks " + std::to_string(RPC_PROTO_MAJOR_VERSION) + "." +
                                 std::to_string(RPC_PROTO_MINOR_VERSION) +
                                 "). Run an rpc-server built from the "
                                 "same llama.cpp as this backend.");
  }
}

struct KnownServers {
  Mutex mu;
  std::set<std::string> endpoints GUARDED_BY(mu);  // servers this process has connected to
};

KnownServers& known_servers() {
  static KnownServers* k = new KnownServers();  // leaked: devices outlive static teardown
  return *k;
}

}  // namespace

std::vector<ggml_backend_dev_t> rpc_devices(const std::vector<std::string>& servers) {
  KnownServers& k = known_servers();
  MutexLock lock(k.mu);
  std::set<std::string>& known = k.endpoints;
  std::vector<ggml_backend_dev_t> devices;
  if (servers.empty()) return devices;
  ggml_backend_reg_t rpc = ggml_backend_reg_by_name("RPC");
  using AddServer = ggml_backend_reg_t (*)(const char* endpoint);
  auto add_server =
      rpc ? reinterpret_cast<AddServer>(ggml_backend_reg_get_proc_address(rpc, "ggml_backend_rpc_add_server"))
          : nullptr;
  if (!add_server) {
    fail(ErrorKind::Unsupported,
         "rpc_servers is set, but this build has no RPC backend; rebuild "
         "with -DWASI_NN_GGML_RPC=ON or remove rpc_servers.");
  }
  for (const auto& server : servers) {
    probe(server, known.count(server) > 0);
    ggml_backend_reg_t reg = add_server(server.c_str());
    const size_t n = reg ? ggml_backend_reg_dev_count(reg) : 0;
    if (n == 0) unreachable(server, "offers no devices");
    known.insert(server);
    for (size_t i = 0; i < n; ++i) devices.push_back(ggml_backend_reg_dev_get(reg, i));
    LOG_INFO("RPC server '%s': %zu device(s)", server.c_str(), n);
  }
  return devices;
}

}  // namespace wasi_nn
