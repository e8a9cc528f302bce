// Typed wrappers for libcurl's variadic calls, which Swift cannot call
// (as swift-corelibs-foundation's CFURLSession_easy_setopt_* do).
// https://curl.se/libcurl/c/curl_easy_setopt.html
#ifndef RECOLHA_CCURL_SHIM_H
#define RECOLHA_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*recolha_curl_write_callback)(char *, size_t, size_t, void *);

static inline CURLcode recolha_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_setopt_write(CURL *h, CURLoption o, recolha_curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode recolha_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode recolha_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
#endif
