#ifndef LEAKWATCH_CVECTORSCAN_SHIM_H
#define LEAKWATCH_CVECTORSCAN_SHIM_H
#include <hs/hs.h>
#endif
