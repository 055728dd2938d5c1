/*
 * greet - an example program built outside the tree (README.md, "Outside the
 * tree"): raises app:greet with its argument as the payload, for greeter.
 *
 *   sdk/bin/optios-cc -o DIR/bin/greet greet.c
 */
#include <optios.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "world";
	if (optios_emit("app:greet", name, strlen(name)) != 0) {
		perror("greet: app:greet");
		return 1;
	}
	printf("greet: sent app:greet %s\n", name);
	return 0;
}
