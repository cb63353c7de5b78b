#ifndef LEAKWATCH_CPCRE2_SHIM_H
#define LEAKWATCH_CPCRE2_SHIM_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Macros that do not import into Swift. */
static inline PCRE2_SIZE cpcre2_unset(void) { return PCRE2_UNSET; }
#endif
