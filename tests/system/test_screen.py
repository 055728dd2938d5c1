"""The framebuffer console, judged from QMP screendumps of the ISO boots
(GRUB sets the 1024x768x32 mode the kernel's multiboot2 header asks for)."""

import optios

TIMEOUT = 150


def booted_screen(ctx, mode):
	m = ctx.machine(mode)
	m.start()
	log = optios.boot(m)
	optios.settle(m)
	return m, m.screendump(), log


def check_boot_text(screen, log, want_size=None):
	if want_size:
		assert (screen.width, screen.height) == want_size, "screen is %dx%d, want %dx%d" % (
			screen.width, screen.height, want_size[0], want_size[1])
	# The boot log is several lines of text from the top-left corner: look
	# for ink (pixels unlike the background) in rows there.
	w, h = min(screen.width, 640), min(screen.height, 240)
	bg = screen.background()
	ink = screen.count_ink(0, 0, w, h, bg)
	rows = [b for b in screen.text_bands(bg) if b[0] < h]
	fbcon = optios.driver_status(log, "fbcon")
	assert ink >= 2000 and len(rows) >= 3, (
		"no boot text on screen: %d pixels unlike the background %s in the top-left %dx%d, "
		"%d text rows; boot log: driver fbcon: %s" % (ink, bg, w, h, len(rows), fbcon))


def test_seabios_boot_text(ctx):
	_, screen, log = booted_screen(ctx, "seabios")
	check_boot_text(screen, log, (1024, 768))


def test_ovmf_boot_text(ctx):
	_, screen, log = booted_screen(ctx, "ovmf")
	check_boot_text(screen, log)


def line_pitch(bands):
	"""Scan lines from one text row to the next: the median gap between the
	tops of successive bands of ink."""
	gaps = sorted(b[0] - a[0] for a, b in zip(bands, bands[1:]))
	assert gaps, "need two rows of text to measure the line pitch (bands: %s)" % bands
	return gaps[len(gaps) // 2]


def test_typed_line_lands_in_prompt_row(ctx):
	"""Typing changes pixels only in the row where the cursor is: the last row
	of text if the console output ends mid-line (a prompt), else the next one.
	A row is one line pitch tall and the last row ends at the last ink (the
	last band may hold two rows when a block cursor joins them)."""
	m, before, log = booted_screen(ctx, "seabios")
	check_boot_text(before, log)
	ends_mid_line = not m.text().endswith("\n")
	bands = before.text_bands()
	pitch = line_pitch(bands)
	m.mark()
	m.type_keys("abcdefgh")
	m.wait_for("abcdefgh", timeout=10, silence=5)  # the console took the keys
	optios.settle(m, 0.3)
	changed, box = before.diff(m.screendump())
	assert changed >= 50, "typing changed only %d pixels" % changed
	assert changed < before.width * before.height // 20, "%d pixels changed: scrolled?" % changed
	row_end = bands[-1][1] + (0 if ends_mid_line else pitch)
	top, bottom = row_end - pitch - 3, row_end + 3
	where = "mid-line" if ends_mid_line else "at line start"
	assert top <= box[1] and box[3] <= bottom, (
		"typed text changed scan lines %d-%d, expected the row %d-%d (pitch %d, output ends %s)"
		% (box[1], box[3], top, bottom, pitch, where))
