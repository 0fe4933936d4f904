// wasi-nn-run: runs a WASI module under WAMR with WASI-NN backed by libwasi_nn_llamacpp.so.
#include <cstdio>

#include "host/options.h"
#include "host/runner.h"

int main(int argc, char** argv) {
  wasi_nn::host::Options opts;
  std::string err = wasi_nn::host::parse_options(argc, argv, &opts);
  if (opts.help) return std::fputs(wasi_nn::host::usage_text(), stdout), 0;
  if (!err.empty()) {
    std::fprintf(stderr, "wasi-nn-run: %s\n\n%s", err.c_str(), wasi_nn::host::usage_text());
    return wasi_nn::host::kExitUsage;
  }
  for (const std::string& w : opts.warnings) std::fprintf(stderr, "wasi-nn-run: warning: %s\n", w.c_str());
  return wasi_nn::host::run(opts);
}
