build/release/src/cli/compare.o: src/cli/compare.c src/cli/commands.h
src/cli/commands.h:
