/*
 * fmt.c - printf-style formatting into a bounded buffer.
 *
 * One pass over the format; every character goes through put(), which stores
 * it only while there is room, so the return value is always the length the
 * whole output needs (as C99 snprintf) and the buffer never overflows.
 *
 * Host-buildable: the host unit tests compile this file too (Makefile, HOST_SRCS).
 */
#include "lib.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	bool left, zero, alt;
	int width, prec;
};

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
	if (!s)
		s = "(null)";
	size_t n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
	if (!sp->left)
		pad(o, ' ', sp->width - (int)n);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - (int)n);
}

static void put_num(struct out *o, uint64_t v, bool neg, unsigned base, bool upper, const struct spec *sp,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	int ndigits = n;
	if (sp->prec > ndigits)
		ndigits = sp->prec;
	int plen = (int)strlen(prefix) + (neg ? 1 : 0);
	int fill = sp->width - ndigits - plen;
	bool zero = sp->zero && !sp->left && sp->prec < 0;
	if (!sp->left && !zero)
		pad(o, ' ', fill);
	if (neg)
		put(o, '-');
	for (const char *p = prefix; *p; p++)
		put(o, *p);
	if (zero)
		pad(o, '0', fill);
	pad(o, '0', ndigits - n);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', fill);
}

static int parse_int(const char **f, va_list *ap)
{
	if (**f == '*') {
		(*f)++;
		return va_arg(*ap, int);
	}
	int v = 0;
	while (**f >= '0' && **f <= '9')
		v = v * 10 + (*(*f)++ - '0');
	return v;
}

/* Reads an integer argument of the size the length modifier says. */
static uint64_t arg_unsigned(va_list *ap, int lng)
{
	switch (lng) {
	case -2: return (unsigned char)va_arg(*ap, unsigned);
	case -1: return (unsigned short)va_arg(*ap, unsigned);
	case 0: return va_arg(*ap, unsigned);
	default: return va_arg(*ap, unsigned long long);
	}
}

static int64_t arg_signed(va_list *ap, int lng)
{
	switch (lng) {
	case -2: return (signed char)va_arg(*ap, int);
	case -1: return (short)va_arg(*ap, int);
	case 0: return va_arg(*ap, int);
	default: return va_arg(*ap, long long);
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = {buf, size, 0};
	va_list ap;
	va_copy(ap, ap_in);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f++;
		struct spec sp = {false, false, false, 0, -1};
		for (;; f++) {
			if (*f == '-')
				sp.left = true;
			else if (*f == '0')
				sp.zero = true;
			else if (*f == '#')
				sp.alt = true;
			else
				break;
		}
		sp.width = parse_int(&f, &ap);
		if (sp.width < 0) {
			sp.left = true;
			sp.width = -sp.width;
		}
		if (*f == '.') {
			f++;
			sp.prec = parse_int(&f, &ap);
		}
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 l/ll/z */
		for (;; f++) {
			if (*f == 'h')
				lng = lng == -1 ? -2 : -1;
			else if (*f == 'l' || *f == 'z')
				lng = 1;
			else
				break;
		}
		switch (*f) {
		case 'd':
		case 'i': {
			int64_t v = arg_signed(&ap, lng);
			put_num(&o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, &sp, "");
			break;
		}
		case 'u': put_num(&o, arg_unsigned(&ap, lng), false, 10, false, &sp, ""); break;
		case 'x':
		case 'X': {
			uint64_t v = arg_unsigned(&ap, lng);
			const char *prefix = sp.alt && v ? (*f == 'x' ? "0x" : "0X") : "";
			put_num(&o, v, false, 16, *f == 'X', &sp, prefix);
			break;
		}
		case 'p': put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &sp, "0x"); break;
		case 's': put_str(&o, va_arg(ap, const char *), &sp); break;
		case 'c': {
			char c[2] = {(char)va_arg(ap, int), 0};
			sp.prec = 1;
			put_str(&o, c, &sp);
			break;
		}
		case '%': put(&o, '%'); break;
		case '\0': f--; break; /* a lone % at the end: print nothing more */
		default:
			put(&o, '%');
			put(&o, *f);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	va_end(ap);
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int kparse_u64(const char *s, size_t len, uint64_t *out)
{
	unsigned base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}
