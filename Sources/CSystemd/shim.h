#ifndef LEAKWATCH_CSYSTEMD_SHIM_H
#define LEAKWATCH_CSYSTEMD_SHIM_H
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#endif
