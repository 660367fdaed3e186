tests/fuzz/fuzz_message_autogen/timestamp: \
  /work/main/tests/fuzz/CMakeLists.txt \
  /work/main/tests/fuzz/fuzz_message.cpp \
  /usr/bin/cmake
