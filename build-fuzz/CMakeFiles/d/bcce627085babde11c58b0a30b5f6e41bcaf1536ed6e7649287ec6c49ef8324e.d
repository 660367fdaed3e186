tests/fuzz/fuzz_http_head_autogen/timestamp: \
  /work/main/server/HttpHead.cpp \
  /work/main/server/HttpHead.h \
  /work/main/tests/fuzz/CMakeLists.txt \
  /work/main/tests/fuzz/fuzz_http_head.cpp \
  /usr/bin/cmake
