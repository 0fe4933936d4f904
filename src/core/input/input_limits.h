// InputLimits: the bounds every guest-supplied text is checked against before a llama.cpp parser
// sees it (GBNF grammars, grammar-trigger patterns, JSON schemas, Jinja chat templates), and the
// budget a guest's chat template renders within. llama.cpp parses all of these with recursive
// descent and no limits, so a few kilobytes of nesting kill the process with a stack overflow
// and a one-line template can run for hours; docs/INPUT_BOUNDS.md lists every such place.
//
// Each default is a few times what real inputs need (measured over llama.cpp's grammars/ and
// models/templates/, and the tool schemas its tests use) and small enough that the worst input
// it admits runs in well under a second on a thread with a 1 MiB stack (tests/core/input check
// both). Operators change them through their limits (config/limits.h, docs/PARAMETERS.md).
// Thread-safety: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wasi_nn {

struct InputLimits {
  // --- GBNF grammars: the "grammar" key, and the grammar a "json_schema" converts to ---------
  // llama.cpp's parser recurses twice per nested ( ) group and its left-recursion check once per
  // rule along a chain of leftmost references; repetitions {m,n} copy the repeated item m times
  // and add n-m rules, so a short text can expand to gigabytes.
  size_t max_grammar_bytes = 256 * 1024;   // text, before the first NUL (llama.cpp stops there)
  size_t max_grammar_depth = 32;           // nested ( ) groups
  size_t max_grammar_repetition = 2000;    // m and n of {m,n}: llama.cpp refuses m > 2000 and
                                           // silently makes n > 2000 unbounded
  size_t max_grammar_elements = 1u << 20;  // grammar elements after expanding every repetition
  size_t max_grammar_rules = 1u << 16;     // rules after expansion (each {m,n} adds n-m)
  size_t max_grammar_left_depth = 1024;    // depth llama.cpp's left-recursion check reaches

  // --- grammar_triggers: word and pattern triggers of a lazy grammar ---------------------------
  // llama.cpp compiles patterns with std::regex (recursive descent per group) and, on the engine
  // worker thread, re-searches all text generated so far after every token with libstdc++'s
  // backtracking matcher, which recurses once per state it passes. The subset accepted keeps
  // every match bounded in length and in backtracking (see regex_check.h).
  size_t max_triggers = 16;          // entries in grammar_triggers
  size_t max_regex_bytes = 256;      // one pattern or word
  size_t max_regex_depth = 8;        // nested groups (capturing, (?:), lookahead)
  size_t max_regex_repetition = 32;  // n of a bounded repetition {m,n}
  size_t max_regex_states = 1024;    // pattern length with repetitions expanded: the
                                     // matcher's deepest recursion (~256 B of stack each)
  size_t max_regex_work = 4096;      // matcher steps one start position can take
  // While a lazy grammar waits, llama.cpp searches all text generated so far after every token,
  // so one token costs (text length) x (the triggers' work); at most ~15 ns per unit measured.
  // TriggerWatch ends the wait (the engine stops the request) once the text reaches
  // max_trigger_scan_work / (sum of the triggers' work) bytes: ~95 KB for "<tool_call>".
  size_t max_trigger_scan_work = 1u << 20;  // bytes x work per token, about 15 ms at worst

  // --- json_schema ----------------------------------------------------------------------------
  // llama.cpp's converter recurses along the schema's nesting, along $ref chains, once per
  // optional property of an object (with cubic work), once per character of a property name
  // (when additionalProperties is set) and, inside std::regex_replace, once per character of a
  // name; a "type" list re-visits the whole subschema once per entry.
  size_t max_schema_bytes = 256 * 1024;
  size_t max_schema_depth = 64;         // JSON bracket nesting of the schema text
  size_t max_schema_name_bytes = 128;   // a property name, a $ref
  size_t max_schema_properties = 128;   // properties of one object
  size_t max_schema_visits = 20000;     // subschemas the converter visits (type lists and
                                        // allOf references multiply them)
  size_t max_schema_refs = 64;          // distinct $ref strings
  size_t max_schema_copies = 1u << 21;  // JSON values the converter copies (the whole schema
                                        // per $ref, a subschema per "type" entry) plus the
                                        // cubic work of objects' optional properties

  // --- chat templates (Jinja) -----------------------------------------------------------------
  // llama.cpp's Jinja parser recurses about twelve frames per nested bracket and one per
  // statement block, `elif`, `not`, ternary `else` and call; its AST is as deep as an
  // expression's operator chain, and executing and destroying it recurse along it.
  size_t max_template_bytes = 64 * 1024;             // a guest's template
  size_t max_operator_template_bytes = 1024 * 1024;  // a template from a host-granted GGUF
  size_t max_template_block_depth = 32;              // nested {% %} blocks, each elif counting
  size_t max_template_bracket_depth = 16;            // nested ( [ { inside one tag
  size_t max_template_expression_depth = 64;         // AST depth of one tag's expression

  // --- rendering a guest's template (in a child process; see template_sandbox.h) ---------------
  uint32_t template_render_ms = 5000;         // wall clock per render
  size_t template_memory_bytes = 512u << 20;  // address space the child may add
  size_t template_output_bytes = 16u << 20;   // rendered prompt and stop strings

  // --- media (images and audio, input index 2 and up; docs/MULTIMODAL.md) ----------------------
  // Checked on the file's header (media_check.h) before stb_image or miniaudio decode a byte:
  // decoded pixels and samples cost far more memory than the file.
  size_t max_media_bytes = 16u << 20;     // one image or audio file
  size_t max_media_count = 8;             // media in one request (the conversation's, in chat mode)
  size_t max_image_pixels = 4096 * 4096;  // width x height of one image
  size_t max_audio_seconds = 600;         // duration of one audio file
  // --- LoRA adapters and reranking (docs/ADAPTERS.md) -------------------------------------------
  size_t max_lora_adapters = 8;        // adapters one load names (each costs a decode
                                       // call per step when requests differ in them)
  size_t max_rerank_bytes = 1u << 20;  // input 0 of a reranking request (JSON text)
  size_t max_rerank_documents = 256;   // documents one reranking request scores
};

// The defaults above.
const InputLimits& default_input_limits();

// The bounds in force on this thread: those of the innermost live ScopedInputLimits (the
// tenant's, while its config is parsed), else the defaults. The parameter table's converters
// read them, so one tenant's bounds never apply to another's text.
const InputLimits& active_input_limits();

class ScopedInputLimits {
 public:
  explicit ScopedInputLimits(const InputLimits* limits);
  ~ScopedInputLimits();
  ScopedInputLimits(const ScopedInputLimits&) = delete;
  ScopedInputLimits& operator=(const ScopedInputLimits&) = delete;

 private:
  const InputLimits* previous_;
};

}  // namespace wasi_nn
