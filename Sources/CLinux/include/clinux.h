#ifndef LEAKWATCH_CLINUX_H
#define LEAKWATCH_CLINUX_H

/* Linux calls that Swift's Glibc module does not import (they need _GNU_SOURCE). */

/* renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE): renames unless `to` exists.
   Returns 0, or -1 with errno set (EEXIST when `to` exists, EXDEV across filesystems). */
int clinux_rename_noreplace(const char *from, const char *to);

/* mallopt(M_MMAP_THRESHOLD, bytes): blocks of that size or more get their own mapping, returned
   to the kernel when freed (and the threshold stays fixed). */
int clinux_set_mmap_threshold(int bytes);

/* mallopt(M_TRIM_THRESHOLD, bytes): free memory at the top of a heap is returned to the kernel
   once there is more than this much of it. */
int clinux_set_trim_threshold(int bytes);

/* malloc_trim(0): returns free heap memory of every arena to the kernel. */
int clinux_release_free_memory(void);

#endif
