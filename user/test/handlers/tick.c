/* tick - does nothing on four 1 ms timers. The timer storm test
 * (tests/system/test_sched.py) registers tick01..tick30, copies of this
 * program with the name in their manifests changed (Makefile), and checks
 * that the shell stays responsive and that no run of them fails its budget. */
#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
}
