tests/fuzz/fuzz_stem_autogen/timestamp: \
  /work/main/tests/fuzz/CMakeLists.txt \
  /work/main/tests/fuzz/fuzz_stem.cpp \
  /usr/bin/cmake
