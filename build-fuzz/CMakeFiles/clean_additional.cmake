# Additional clean files
cmake_minimum_required(VERSION 3.16)

if("${CONFIG}" STREQUAL "" OR "${CONFIG}" STREQUAL "RelWithDebInfo")
  file(REMOVE_RECURSE
  "engine/CMakeFiles/mixroom_engine_autogen.dir/AutogenUsed.txt"
  "engine/CMakeFiles/mixroom_engine_autogen.dir/ParseCache.txt"
  "engine/mixroom_engine_autogen"
  "protocol/CMakeFiles/mixroom_protocol_autogen.dir/AutogenUsed.txt"
  "protocol/CMakeFiles/mixroom_protocol_autogen.dir/ParseCache.txt"
  "protocol/mixroom_protocol_autogen"
  "tests/fuzz/CMakeFiles/fuzz_http_fields_autogen.dir/AutogenUsed.txt"
  "tests/fuzz/CMakeFiles/fuzz_http_fields_autogen.dir/ParseCache.txt"
  "tests/fuzz/CMakeFiles/fuzz_http_head_autogen.dir/AutogenUsed.txt"
  "tests/fuzz/CMakeFiles/fuzz_http_head_autogen.dir/ParseCache.txt"
  "tests/fuzz/CMakeFiles/fuzz_message_autogen.dir/AutogenUsed.txt"
  "tests/fuzz/CMakeFiles/fuzz_message_autogen.dir/ParseCache.txt"
  "tests/fuzz/CMakeFiles/fuzz_session_autogen.dir/AutogenUsed.txt"
  "tests/fuzz/CMakeFiles/fuzz_session_autogen.dir/ParseCache.txt"
  "tests/fuzz/CMakeFiles/fuzz_stem_autogen.dir/AutogenUsed.txt"
  "tests/fuzz/CMakeFiles/fuzz_stem_autogen.dir/ParseCache.txt"
  "tests/fuzz/fuzz_http_fields_autogen"
  "tests/fuzz/fuzz_http_head_autogen"
  "tests/fuzz/fuzz_message_autogen"
  "tests/fuzz/fuzz_session_autogen"
  "tests/fuzz/fuzz_stem_autogen"
  )
endif()
