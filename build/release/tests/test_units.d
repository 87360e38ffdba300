build/release/tests/test_units: tests/unit/test_units.c tests/unit/test.h \
 src/core/buf.h src/core/error.h src/core/hash.h src/core/time.h \
 src/core/units.h
tests/unit/test.h:
src/core/buf.h:
src/core/error.h:
src/core/hash.h:
src/core/time.h:
src/core/units.h:
