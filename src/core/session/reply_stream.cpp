#include "core/session/reply_stream.h"

#include <nlohmann/json.hpp>

#include "core/session/agent_metadata.h"

namespace wasi_nn {
namespace {

// What `now` adds to `shown`, when it only adds. A parse that rewrote what was shown (it took
// text for content that later turned out to be something else) adds nothing here: it cannot be
// taken back, and holding markers back keeps reasoning and markup out of it.
std::string added(const std::string& now, std::string& shown) {
  if (now.size() <= shown.size() || now.compare(0, shown.size(), shown) != 0) return "";
  std::string delta = now.substr(shown.size());
  shown = now;
  return delta;
}

}  // namespace

std::string StreamPiece::metadata_json() const {
  nlohmann::ordered_json m = nlohmann::ordered_json::object();
  if (!content.empty()) m["content"] = content;
  if (!reasoning.empty()) m["reasoning_content"] = reasoning;
  if (!tool_calls.empty()) m["tool_calls"] = tool_calls_json(tool_calls);
  return m.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

StreamPiece ReplyStream::advance(const ParsedReply& now) {
  StreamPiece p;
  p.reasoning = added(now.msg.reasoning_content, shown_reasoning_);
  p.content = added(now.msg.content, shown_content_);
  return p;
}

StreamPiece ReplyStream::feed(const std::string& text) {
  raw_ += text;
  const size_t ready = raw_.size() - parser_->held_back(raw_);
  return advance(parser_->parse(raw_.substr(0, ready), /*partial=*/true));
}

StreamPiece ReplyStream::finish(const std::string& text) {
  raw_ = text;
  const ParsedReply last = parser_->parse(raw_, /*partial=*/false);
  StreamPiece p = advance(last);
  p.tool_calls = last.msg.tool_calls;
  return p;
}

}  // namespace wasi_nn
