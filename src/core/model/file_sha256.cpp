#include "core/model/file_sha256.h"

#include <cstdio>
#include <fstream>
#include <vector>

extern "C" {
#include "hash/sha256/sha256.h"
}

namespace wasi_nn {

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  sha256_t ctx;
  sha256_init(&ctx);
  std::vector<char> buf(1 << 20);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    sha256_update(&ctx, reinterpret_cast<const unsigned char*>(buf.data()), static_cast<size_t>(in.gcount()));
  }
  if (!in.eof()) return "";
  unsigned char digest[32];
  sha256_final(&ctx, digest);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 64);
}

}  // namespace wasi_nn
