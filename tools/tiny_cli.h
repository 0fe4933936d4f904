// tiny_cli: the command-line plumbing the generators in tools/ share: a flag reader whose errors
// name the flag, and a main() wrapper that turns any exception into "<tool>: error: ..." and
// exit status 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tiny {

// Walks argv one flag at a time:
//   for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
//       if (r.flag() == "--out") o.out = r.value(); else ... else r.unknown();
//   }
// -h and --help print `usage` to stdout and exit 0. Every error throws std::runtime_error.
class ArgReader {
 public:
  ArgReader(int argc, char** argv, const char* usage) : argc_(argc), argv_(argv), usage_(usage) {}

  bool next();
  const std::string& flag() const { return flag_; }
  std::string value();                // the next argument; throws when there is none
  int64_t int_value();                // a non-negative integer
  double number_value();              // a non-negative number
  [[noreturn]] void unknown() const;  // throws "unknown option"

 private:
  int argc_;
  char** argv_;
  const char* usage_;
  int i_ = 0;
  std::string flag_;
};

int64_t parse_int(const std::string& flag, const std::string& v);
double parse_double(const std::string& flag, const std::string& v);
std::string read_text_file(const std::string& path);
std::string stem(const std::string& path);  // "dir/name.gguf" -> "name"
// "a,b,,c" -> {"a", "b", "c"}
std::vector<std::string> split_commas(const std::string& s);

// Runs `body`; on an exception prints "<tool>: error: <what>" to stderr and returns 1.
int run_main(const char* tool, const std::function<void()>& body);

}  // namespace tiny
