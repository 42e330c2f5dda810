#ifndef SSOWATCH_CMALLOC_SHIM_H
#define SSOWATCH_CMALLOC_SHIM_H
/* mallopt(), which Swift's Glibc module does not export: the daemon's allocator settings (MemoryTuning). */
#include <malloc.h>
#endif
