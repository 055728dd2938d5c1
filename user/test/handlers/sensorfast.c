/* sensorfast - sensorlog.c under sensorfast.manifest (refused: it asks for more than the cap). */
#include "sensorlog.c"
