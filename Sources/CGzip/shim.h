// deflateInit2 and inflateInit2 are macros: wrap them so Swift can call them.
// https://www.zlib.net/manual.html
#ifndef RECOLHA_CZLIB_SHIM_H
#define RECOLHA_CZLIB_SHIM_H
#include <zlib.h>

static inline int recolha_deflate_init_gzip(z_streamp s, int level) {
    return deflateInit2(s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
static inline int recolha_inflate_init_gzip(z_streamp s) {
    return inflateInit2(s, 15 + 32);  // gzip or zlib, detected from the header
}
#endif
