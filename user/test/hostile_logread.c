/* hostile_logread - without log.read, tries to read the event log (which would
 * show it every event, granted to it or not). */
#include <optios.h>

#include "hostile.h"

int main(void)
{
	static struct optios_log_record recs[4];
	hostile_report("hostile_logread", "read the event log", optios_log_read(0, recs, 4), true);
	return hostile_escaped ? 1 : 0;
}
