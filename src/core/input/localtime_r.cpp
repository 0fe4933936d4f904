// llama.cpp formats today's date for every chat template render (common_chat_extra_context and
// the strftime_now() template function, common/chat.cpp and common/jinja/value.cpp) with
// std::localtime, which returns one static buffer per process: two threads rendering at once
// write and read it together (a data race TSan reports). The build links every target with
// -Wl,--wrap=localtime (src/core/input/CMakeLists.txt), which sends those calls here: the same
// conversion into a buffer of the calling thread. Renders then need no process-wide lock.
#include <time.h>

extern "C" {

__attribute__((visibility("hidden"))) struct tm* __wrap_localtime(const time_t* t) {
  static thread_local struct tm buf;
  return localtime_r(t, &buf);
}

}  // extern "C"
