// The media worker's process boundary: starting it with a clean set of descriptors and signals,
// and the limits and filters it puts on itself before it reads a byte of hostile media.
// Every function returns 0 or a negative errno.
#ifndef CMEDIASANDBOX_H
#define CMEDIASANDBOX_H

#include <stdint.h>
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL-terminated): `child_fd` becomes its descriptor 3,
/// descriptors 0, 1 and 2 are /dev/null, every other descriptor is closed, every signal has its
/// default action and none is blocked. The child's pid goes to `*pid`.
int lwsandbox_spawn(const char *path, char *const argv[], char *const envp[], int child_fd, pid_t *pid);

/// `setrlimit(resource, soft, hard)`, `resource` one of the LWSANDBOX_LIMIT_* values.
int lwsandbox_set_limit(int resource, uint64_t soft, uint64_t hard);

enum {
    LWSANDBOX_LIMIT_ADDRESS_SPACE = 0,
    LWSANDBOX_LIMIT_CPU_SECONDS = 1,
    LWSANDBOX_LIMIT_FILE_SIZE = 2,
    LWSANDBOX_LIMIT_OPEN_FILES = 3,
    LWSANDBOX_LIMIT_CORE_SIZE = 4,
};

/// CPU time (user + system) this process has used so far, in whole seconds, rounded up.
int64_t lwsandbox_cpu_seconds_used(void);

/// SIGKILL when the parent dies; fails with -ESRCH when the parent is already gone (it is no longer
/// `expected_parent`).
int lwsandbox_die_with_parent(pid_t expected_parent);

/// `PR_SET_NO_NEW_PRIVS`: no set-uid gains, and a seccomp filter may be installed without
/// privileges.
int lwsandbox_no_new_privileges(void);

/// Landlock: from now on no file may be written, created, removed or renamed anywhere, and files
/// may be read only beneath the `count` directories in `readable` (fonts for PDF pages, say).
/// Returns the Landlock ABI version (>= 1) applied, or a negative errno (-ENOSYS or -EOPNOTSUPP
/// where the kernel has no Landlock).
int lwsandbox_restrict_files(const char *const readable[], int count);

/// A seccomp filter: the calls a decoder never needs fail with EPERM (starting programs, sockets,
/// tracing, mounting, namespaces, kernel keys, BPF, changing ids) and so does opening a file for
/// writing. Everything else is allowed.
int lwsandbox_filter_system_calls(void);

#endif
