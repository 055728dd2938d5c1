/*
 * seed_elf_tiny.c - source of the committed ELF seed corpus/elf/musl_tiny.elf,
 * a 1 KiB static executable with TLS and a .optios.manifest section:
 *   musl-gcc -static -Os -s -nostdlib -Wl,-z,noseparate-code -Wl,-z,max-page-size=4096 \
 *     -Wl,-z,norelro -Wl,--build-id=none -o musl_tiny.elf seed_elf_tiny.c
 * Not built by the Makefile (it never runs; it only has to parse).
 */
__attribute__((used, section(".optios.manifest"))) static const char manifest[] = "name = tiny\n";
__thread int t = 7;
__thread int u;
void _start(void)
{
	volatile int x = t;
	u = x;
	for (;;)
		;
}
