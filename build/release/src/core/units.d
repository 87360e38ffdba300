build/release/src/core/units.o: src/core/units.c src/core/units.h \
 src/core/error.h src/core/time.h
src/core/units.h:
src/core/error.h:
src/core/time.h:
