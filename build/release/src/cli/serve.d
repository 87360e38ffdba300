build/release/src/cli/serve.o: src/cli/serve.c src/cli/commands.h
src/cli/commands.h:
