tests/fuzz/fuzz_session_autogen/timestamp: \
  /work/main/tests/fuzz/CMakeLists.txt \
  /work/main/tests/fuzz/fuzz_session.cpp \
  /usr/bin/cmake
