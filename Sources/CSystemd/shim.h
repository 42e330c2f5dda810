#ifndef SSOWATCH_CSYSTEMD_SHIM_H
#define SSOWATCH_CSYSTEMD_SHIM_H
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
/* mallopt(), for the daemon's allocator settings (SSOWatchCore's MemoryTuning). */
#include <malloc.h>
#endif
