/* lspci - list the PCI functions (optios_pci_list), as Linux's lspci does:
 * bus:device.function, class, vendor:device, the driver that took it and
 * the interrupt it set up. */
#include <errno.h>
#include <optios.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEVICES 256

static const char *irq_name(unsigned kind)
{
	switch (kind) {
	case OPTIOS_PCI_IRQ_INTX: return "INTx";
	case OPTIOS_PCI_IRQ_MSI: return "MSI";
	case OPTIOS_PCI_IRQ_MSIX: return "MSI-X";
	}
	return "-";
}

int main(int argc, char **argv)
{
	static struct optios_pci_info d[MAX_DEVICES];
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: lspci\n");
		return 2;
	}
	long n = optios_pci_list(d, MAX_DEVICES);
	if (n < 0) {
		fprintf(stderr, "lspci: %s\n", strerror(errno));
		return 1;
	}
	for (long i = 0; i < n && i < MAX_DEVICES; i++) {
		char slot[16];
		if (d[i].segment)
			snprintf(slot, sizeof slot, "%04x:%02x:%02x.%u", d[i].segment, d[i].bus, d[i].dev,
				 d[i].fn);
		else
			snprintf(slot, sizeof slot, "%02x:%02x.%u", d[i].bus, d[i].dev, d[i].fn);
		printf("%s %s [%02x%02x]: %04x:%04x (rev %02x)", slot, d[i].class_name, d[i].class_code,
		       d[i].subclass, d[i].vendor, d[i].device, d[i].revision);
		if (d[i].driver[0])
			printf(" driver %.24s, %s", d[i].driver, irq_name(d[i].irq_kind));
		printf("\n");
	}
	if (n == 0)
		printf("lspci: no PCI devices\n");
	return 0;
}
