/*
 * longwatch - a handler whose manifest asks for paths over 200 bytes long
 * that no policy grants, so it is never added: `handler add` says why, with
 * both capabilities whole (tests/system/test_hostile.py).
 */
#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
}
