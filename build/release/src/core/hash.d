build/release/src/core/hash.o: src/core/hash.c src/core/hash.h
src/core/hash.h:
