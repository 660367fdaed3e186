protocol/mixroom_protocol_autogen/timestamp: \
  /work/main/protocol/CMakeLists.txt \
  /work/main/protocol/Messages.cpp \
  /work/main/protocol/Messages.h \
  /work/main/protocol/SessionCodec.cpp \
  /work/main/protocol/SessionCodec.h \
  /work/main/protocol/SessionOps.cpp \
  /work/main/protocol/SessionOps.h \
  /usr/bin/cmake
