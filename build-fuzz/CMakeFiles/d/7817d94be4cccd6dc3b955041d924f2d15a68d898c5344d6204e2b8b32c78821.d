tests/fuzz/fuzz_http_fields_autogen/timestamp: \
  /work/main/server/HttpHead.cpp \
  /work/main/server/HttpHead.h \
  /work/main/tests/fuzz/CMakeLists.txt \
  /work/main/tests/fuzz/fuzz_http_fields.cpp \
  /usr/bin/cmake
