/*
 * musl_hello.c - a real static musl program for the ELF host test: built by
 * the Makefile with `musl-gcc -static` when musl-gcc exists. It uses
 * thread-local storage (PT_TLS) and carries a manifest-like section that the
 * test looks up by name.
 */
#include <stdio.h>

__attribute__((used, section(".optios.manifest"))) static const char manifest[] = "name = hello\nversion = 1\n";

static __thread int counter = 41;

int main(void)
{
	counter++;
	printf("hello %d\n", counter);
	return 0;
}
