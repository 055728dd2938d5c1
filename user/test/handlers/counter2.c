/* counter2 - counter's code under counter2.manifest (name counter, version 2):
 * registering it replaces counter and resets its snapshot. */
#include "../../../apps/counter.c"
