/* mem - physical memory in use and free, and the kernel heap (optios_mem_info). */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <string.h>

static void line(const char *what, unsigned long long bytes)
{
	printf("%-12s %8llu KiB (%llu MiB)\n", what, bytes / 1024, bytes / (1024 * 1024));
}

int main(int argc, char **argv)
{
	struct optios_mem_info m;
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: mem\n");
		return 2;
	}
	if (optios_mem_info(&m) < 0) {
		fprintf(stderr, "mem: %s\n", strerror(errno));
		return 1;
	}
	line("total", m.total_pages * m.page_size);
	line("used", (m.total_pages - m.free_pages) * m.page_size);
	line("free", m.free_pages * m.page_size);
	line("kernel heap", m.kernel_heap_bytes);
	printf("%-12s %8llu (%llu pages)\n", "snapshots", (unsigned long long)m.handlers,
	       (unsigned long long)m.snapshot_pages);
	return 0;
}
