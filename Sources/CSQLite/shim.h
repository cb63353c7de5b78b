#ifndef LEAKWATCH_CSQLITE_SHIM_H
#define LEAKWATCH_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro and does not import into Swift: SQLite copies the value. */
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

/* sqlite3_config is variadic and does not import into Swift. Statistics on SQLite's own memory
   use take a global mutex on every allocation; leakwatch never reads them. Returns SQLITE_MISUSE
   (and changes nothing) once SQLite has been initialized. */
static inline int csqlite_disable_memory_statistics(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
