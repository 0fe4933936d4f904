/* Preloaded (LD_PRELOAD) into llama.cpp's own tools when the tests run them as references.
 * They print everything, stdout included, through common_log's worker thread, which is never
 * joined (common_log_main() leaks the logger on purpose), so a tool can exit before that thread
 * has written its last lines: the output then ends early though the tool succeeded. This
 * destructor runs at exit, after main() returned, and gives the thread time to drain. */
#include <unistd.h>

__attribute__((destructor)) static void let_the_log_thread_drain(void) { usleep(300 * 1000); }
