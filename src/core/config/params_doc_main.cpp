// wasi-nn-params-doc: prints the parameter reference (docs/PARAMETERS.md) generated from the
// parameter table. With --check FILE it prints nothing on success and fails when FILE differs,
// which is how the test suite keeps the committed reference in step with the code.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/config/config_parser.h"

int main(int argc, char** argv) {
  const std::string md = wasi_nn::parameters_markdown();
  if (argc == 3 && std::strcmp(argv[1], "--check") == 0) {
    std::ifstream file(argv[2], std::ios::binary);
    std::stringstream committed;
    committed << file.rdbuf();
    if (file && committed.str() == md) return 0;
    std::fprintf(stderr, "%s is out of date with the parameter table. Regenerate it:\n  %s > %s\n", argv[2], argv[0],
                 argv[2]);
    return 1;
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--check PARAMETERS.md]\n", argv[0]);
    return 2;
  }
  std::fwrite(md.data(), 1, md.size(), stdout);
  return 0;
}
