#ifndef OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H
#define OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H

#include <stdint.h>

#define FONT_W 8
#define FONT_H 16

extern const uint8_t fbcon_font[128][16];

#endif /* OPTIOS_DRIVERS_FB_FBCON_INTERNAL_H */
