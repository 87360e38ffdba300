build/release/src/core/time.o: src/core/time.c src/core/time.h \
 src/core/error.h
src/core/time.h:
src/core/error.h:
