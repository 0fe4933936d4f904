// How the input checks refuse: an InvalidArgument whose message names the key the guest set,
// what was found, the limit with its name, and what to do instead, e.g.
//   grammar nests parentheses 100000 deep; the limit is 32 (max_grammar_depth). Name the inner
//   groups as rules instead.
#pragma once

#include <cstddef>
#include <string>

namespace wasi_nn {

// Throws Error(InvalidArgument, "<key> <found>; the limit is <limit> (<limit_name>). <advice>"),
// without a final period; an empty `key` is left out (the config parser names the key itself).
[[noreturn]] void refuse_over_limit(const std::string& key, const std::string& found, size_t limit,
                                    const char* limit_name, const std::string& advice);

// Throws Error(InvalidArgument, "<key> <message>").
[[noreturn]] void refuse_input(const std::string& key, const std::string& message);

// At most `max` bytes of `text` for an error message, JSON-quoted.
std::string shown_text(const std::string& text, size_t max = 60);

}  // namespace wasi_nn
