/* hostile_edit - a meek handler (runs on app:hostile.edit, prints). The
 * build also ships /test/handlers/hostile_edited: this ELF with its
 * manifest section replaced afterwards (objcopy --update-section) to ask for
 * file.write:/data/ as well. Same name, different file: a different version,
 * whose extra request is refused until granted. */
#include <stdio.h>

#include <optios/handler.h>

void on_event(const struct optios_event *ev)
{
	(void)ev;
	printf("hostile_edit: ran\n");
}
