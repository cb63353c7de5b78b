#ifndef LEAKWATCH_CSQLITE_SHIM_H
#define LEAKWATCH_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro and does not import into Swift: SQLite copies the value. */
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
