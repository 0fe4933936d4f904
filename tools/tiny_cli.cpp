#include "tiny_cli.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tiny {

bool ArgReader::next() {
  if (++i_ >= argc_) return false;
  flag_ = argv_[i_];
  if (flag_ == "-h" || flag_ == "--help") {
    fputs(usage_, stdout);
    std::exit(0);
  }
  return true;
}

std::string ArgReader::value() {
  if (i_ + 1 >= argc_) throw std::runtime_error(flag_ + ": missing value");
  return argv_[++i_];
}

int64_t ArgReader::int_value() { return parse_int(flag_, value()); }

double ArgReader::number_value() { return parse_double(flag_, value()); }

void ArgReader::unknown() const { throw std::runtime_error("unknown option '" + flag_ + "' (see --help)"); }

int64_t parse_int(const std::string& flag, const std::string& v) {
  size_t pos = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos != v.size() || x < 0) throw std::runtime_error(flag + ": expected a non-negative integer, got '" + v + "'");
  return x;
}

double parse_double(const std::string& flag, const std::string& v) {
  size_t pos = 0;
  double x = 0;
  try {
    x = std::stod(v, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos != v.size() || !(x >= 0))
    throw std::runtime_error(flag + ": expected a non-negative number, got '" + v + "'");
  return x;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string stem(const std::string& path) {
  std::string s = path.substr(path.find_last_of('/') + 1);
  const size_t dot = s.rfind(".gguf");
  return dot == std::string::npos ? s : s.substr(0, dot);
}

int run_main(const char* tool, const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return 1;
  }
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = s.find(',', start);
    const std::string p = s.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!p.empty()) parts.push_back(p);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return parts;
}

}  // namespace tiny
