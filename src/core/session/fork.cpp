#include "core/session/fork.h"

#include "core/base/error.h"
#include "core/input/input_error.h"

namespace wasi_nn {

std::string fork_name(const ForkRef& ref) {
  return ref.session.empty() ? "execution context " + std::to_string(ref.context)
                             : "session " + shown_text(ref.session);
}

ForkSource fork_source(const ForkRef& ref, const ForkResolver& resolve, const Conversation& child) {
  std::shared_ptr<Conversation> parent = resolve ? resolve(ref) : nullptr;
  if (!parent) {
    fail(ErrorKind::NotFound, "fork_from names " + fork_name(ref) +
                                  ", which this backend context does not hold; "
                                  "name one of its sessions or open execution contexts");
  }
  if (parent.get() == &child) {
    fail(ErrorKind::InvalidArgument, "fork_from names this context's own conversation; fork another one");
  }
  if (parent->graph()->engine != child.graph()->engine) {
    fail(ErrorKind::InvalidArgument,
         "fork_from names " + fork_name(ref) +
             ", which runs on another model or "
             "context settings; a fork copies the KV cache, so both must share one model load");
  }
  return ForkSource{parent, parent->fork_point()};
}

}  // namespace wasi_nn
