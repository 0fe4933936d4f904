/* Must NOT compile: the two public headers define the same type names with other values.
 * The abi_headers_exclusive test expects the headers' own #error message. */
#include "wasi_nn_backend.h"
#include "wasi_nn_llamacpp.h"
