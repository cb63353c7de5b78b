#ifndef LEAKWATCH_CLINUX_H
#define LEAKWATCH_CLINUX_H

/* Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE). */

/* renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE): renames unless `to` exists.
   Returns 0, or -1 with errno set (EEXIST when `to` exists, EXDEV across filesystems). */
int clinux_rename_noreplace(const char *from, const char *to);

#endif
