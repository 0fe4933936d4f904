#include "llama_server_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace wasi_nn::agents {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A port the kernel just handed out, free again (llama-server binds it right after).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    throw std::runtime_error("no free loopback port");
  }
  close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

bool LlamaServer::available() { return !std::string(WASI_NN_LLAMA_SERVER).empty(); }

LlamaServer::LlamaServer(const std::string& model) : port_(free_port()) {
  const std::string port = std::to_string(port_);
  pid_ = fork();
  if (pid_ == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execl(WASI_NN_LLAMA_SERVER, "llama-server", "-m", model.c_str(), "--host", "127.0.0.1", "--port", port.c_str(),
          "-t", "2", "-c", "1024", "-np", "1", "-fa", "off", "--no-warmup", static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (request("GET /health HTTP/1.1", "").find("\"ok\"") != std::string::npos) return;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("llama-server did not become healthy on port " + port);
}

LlamaServer::~LlamaServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

std::string LlamaServer::request(const std::string& head, const std::string& body) const {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port_);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    throw std::runtime_error("llama-server does not answer");
  }
  const std::string msg = head +
                          "\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  if (write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
    close(fd);
    throw std::runtime_error("could not send to llama-server");
  }
  std::string answer;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) answer.append(buf, static_cast<size_t>(n));
  close(fd);
  const size_t at = answer.find("\r\n\r\n");
  if (answer.compare(0, 12, "HTTP/1.1 200") != 0 || at == std::string::npos) {
    throw std::runtime_error("llama-server answered: " + answer.substr(0, 200));
  }
  return answer.substr(at + 4);
}

nlohmann::json LlamaServer::post(const std::string& path, const nlohmann::json& body) const {
  return nlohmann::json::parse(request("POST " + path + " HTTP/1.1", body.dump()));
}

}  // namespace wasi_nn::agents
