// Clang's thread-safety annotations (-Wthread-safety), as the field's codebases use them
// (Abseil, LevelDB): a member says which mutex guards it, a function which mutex it needs.
// Under other compilers they expand to nothing. The clang check runs in the test suite
// (scripts/check-thread-safety.sh).
#pragma once

#if defined(__clang__)
#define WASI_NN_TSA(x) __attribute__((x))
#else
#define WASI_NN_TSA(x)
#endif

#define CAPABILITY(x) WASI_NN_TSA(capability(x))
#define SCOPED_CAPABILITY WASI_NN_TSA(scoped_lockable)
#define GUARDED_BY(x) WASI_NN_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) WASI_NN_TSA(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) WASI_NN_TSA(acquired_before(__VA_ARGS__))
#define REQUIRES(...) WASI_NN_TSA(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) WASI_NN_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) WASI_NN_TSA(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) WASI_NN_TSA(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) WASI_NN_TSA(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) WASI_NN_TSA(assert_capability(x))
#define RETURN_CAPABILITY(x) WASI_NN_TSA(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS WASI_NN_TSA(no_thread_safety_analysis)
