#include "core/config/rpc_server_list.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "ggml-rpc.h"

namespace wasi_nn {

namespace {

// "host:port" as ggml's RPC client reads it: the first ':' splits, so no IPv6 literals.
std::string checked_endpoint(const std::string& item) {
  const size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
  const std::string ep = b == std::string::npos ? "" : item.substr(b, e - b + 1);
  const std::string quoted_ep = "'" + (ep.size() > 80 ? ep.substr(0, 80) + "..." : ep) + "'";
  const std::string form = "; write host:port, e.g. 127.0.0.1:50052";
  if (ep.empty()) fail(ErrorKind::InvalidArgument, "has an empty entry" + form);
  const size_t colon = ep.find(':');
  if (colon == std::string::npos) {
    fail(ErrorKind::InvalidArgument, "entry " + quoted_ep + " has no port" + form);
  }
  const std::string host = ep.substr(0, colon), port = ep.substr(colon + 1);
  const bool host_ok = !host.empty() && host.size() <= 253 &&
                       std::all_of(host.begin(), host.end(),
                                   [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '-' || c == '_'; });
  if (!host_ok) {
    fail(ErrorKind::InvalidArgument, "entry " + quoted_ep +
                                         " has no valid host (a host name or IPv4 address; ggml's RPC "
                                         "client takes no IPv6 literals)" +
                                         form);
  }
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); });
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    fail(ErrorKind::InvalidArgument,
         "entry " + quoted_ep + " has port '" + port.substr(0, 16) + "'; a port is 1 to 65535");
  }
  return ep;
}

}  // namespace

std::vector<std::string> rpc_server_list(const ParamValue& v) {
  std::vector<std::string> items;
  if (v.is_string()) {
    const std::string& text = v.get_ref<const std::string&>();
    for (size_t start = 0;;) {
      const size_t comma = text.find(',', start);
      items.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    items = v.get<std::vector<std::string>>();
  }
  if (items.size() > GGML_RPC_MAX_SERVERS) {
    fail(ErrorKind::InvalidArgument, "names " + std::to_string(items.size()) +
                                         " servers; ggml's RPC backend takes at most " +
                                         std::to_string(GGML_RPC_MAX_SERVERS));
  }
  std::vector<std::string> servers;
  for (const auto& item : items) {
    std::string ep = checked_endpoint(item);
    if (std::find(servers.begin(), servers.end(), ep) != servers.end()) {
      fail(ErrorKind::InvalidArgument, "names '" + ep + "' twice; list each server once");
    }
    servers.push_back(std::move(ep));
  }
  return servers;
}

}  // namespace wasi_nn
