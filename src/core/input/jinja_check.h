// check_template: bounds a Jinja chat template before llama.cpp's Jinja engine (common/jinja/)
// parses it.
//
// The engine's parser is recursive descent: about twelve frames per nested ( [ {, one per
// statement block ({% if %}, {% for %}, {% macro %}, ...), one per {% elif %} (each nests the
// next), and one per `not`, ternary `else` and chained call. Its AST is as deep as an
// expression's operator chain (`a ~ b ~ c ...` nests to the left), and both executing and
// destroying the AST recurse along it. The lexer erases each "\r\n" in place, quadratic in
// their number. check_template lexes with the engine's own (iterative) lexer, so it sees exactly
// the engine's tokens, and measures those depths with an explicit stack.
//
// What no static check can bound: a template's running time and memory ('x' * 10**11,
// range(10**9), nested loops, a macro that calls itself). A guest's template is therefore
// rendered in a child process (template_sandbox.h); an operator's (the GGUF of a host-granted
// file) only needs these checks, so it cannot crash the process at parse time.
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>

#include "core/input/input_limits.h"

namespace wasi_nn {

enum class TemplateTrust {
  Operator,  // from the GGUF of a file the host granted
  Guest,     // the chat_template key, or the GGUF a guest sent as bytes
};

struct TemplateStats {
  size_t tokens = 0;
  size_t block_depth = 0;       // nested blocks, each elif counting as one more
  size_t bracket_depth = 0;     // deepest ( [ { inside one tag
  size_t expression_depth = 0;  // AST depth bound of the deepest tag
  size_t crlf = 0;              // "\r\n" pairs
  size_t filter_blocks = 0;     // {% filter %} blocks: executing one writes to its AST node
};

// "\r\n" pairs the lexer may erase (each one moves the rest of the template).
constexpr size_t kMaxTemplateCrlf = 4096;

// Throws InvalidArgument naming `key` when `text` exceeds a limit or does not lex.
TemplateStats check_template(const std::string& text, TemplateTrust trust, const InputLimits& limits,
                             const std::string& key = "chat_template");

}  // namespace wasi_nn
