build/release/src/cli/run.o: src/cli/run.c src/cli/commands.h
src/cli/commands.h:
