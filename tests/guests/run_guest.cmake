# Runs a wasm guest through wasi-nn-run and checks its output.
#
#   cmake -DHOST=wasi-nn-run -DARGS="arg|arg|..." [-DINPUT=file] -DEXPECT="regex;regex;..."
#         [-DEXPECT_COUNT="regex=N"] -P run_guest.cmake
#
# In EXPECT and EXPECT_COUNT, the two characters \n stand for a newline.
# Fails when the exit status is not 0, when a regex in EXPECT does not match stdout, or when
# the regex of EXPECT_COUNT does not match exactly N times.

cmake_minimum_required(VERSION 3.16)

if(NOT HOST OR NOT EXISTS "${HOST}")
  message(FATAL_ERROR "run_guest: HOST (wasi-nn-run) not found: '${HOST}'")
endif()
string(REPLACE "|" ";" ARGS "${ARGS}")  # '|' separates the arguments (JSON holds no '|')
set(_input_args "")
if(INPUT)
  set(_input_args INPUT_FILE "${INPUT}")
endif()
execute_process(COMMAND "${HOST}" ${ARGS}
                ${_input_args}
                OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc
                TIMEOUT 240)
message(STATUS "stdout:\n${_out}")
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "exit status ${_rc}\nstderr:\n${_err}")
endif()
string(REPLACE "\\n" "\n" EXPECT "${EXPECT}")
string(REPLACE "\\n" "\n" EXPECT_COUNT "${EXPECT_COUNT}")
foreach(_re IN LISTS EXPECT)
  if(NOT _out MATCHES "${_re}")
    message(FATAL_ERROR "stdout does not match '${_re}'\nstderr:\n${_err}")
  endif()
endforeach()
if(EXPECT_COUNT)
  string(REGEX MATCH "^(.*)=([0-9]+)$" _m "${EXPECT_COUNT}")
  set(_re "${CMAKE_MATCH_1}")
  set(_want "${CMAKE_MATCH_2}")
  string(REGEX MATCHALL "${_re}" _all "${_out}")
  list(LENGTH _all _n)
  if(NOT _n EQUAL _want)
    message(FATAL_ERROR "'${_re}' matched ${_n} times in stdout, expected ${_want}\nstderr:\n${_err}")
  endif()
endif()
