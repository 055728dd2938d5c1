/* hello - the smallest OptiOS program: see README.md "Writing a program". */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from OptiOS");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 0;
}
