#define _GNU_SOURCE
#include "cmediasandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

int lwsandbox_spawn(const char *path, char *const argv[], char *const envp[], int child_fd, pid_t *pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return -rc;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return -rc;
    }
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    rc = posix_spawnattr_setsigmask(&attributes, &none);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&attributes, &all);
    if (rc == 0) rc = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    // dup2 onto 3 clears close-on-exec; when the descriptor already is 3, dup2 does nothing, so
    // go through a spare number first.
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, child_fd, 100);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, 100, 3);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 4);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return -rc;
}

int lwsandbox_set_limit(int resource, uint64_t soft, uint64_t hard) {
    int which;
    switch (resource) {
    case LWSANDBOX_LIMIT_ADDRESS_SPACE: which = RLIMIT_AS; break;
    case LWSANDBOX_LIMIT_CPU_SECONDS: which = RLIMIT_CPU; break;
    case LWSANDBOX_LIMIT_FILE_SIZE: which = RLIMIT_FSIZE; break;
    case LWSANDBOX_LIMIT_OPEN_FILES: which = RLIMIT_NOFILE; break;
    case LWSANDBOX_LIMIT_CORE_SIZE: which = RLIMIT_CORE; break;
    default: return -EINVAL;
    }
    struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
    return setrlimit(which, &limit) == 0 ? 0 : -errno;
}

int64_t lwsandbox_cpu_seconds_used(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -errno;
    int64_t micros = (int64_t)usage.ru_utime.tv_sec * 1000000 + usage.ru_utime.tv_usec
                     + (int64_t)usage.ru_stime.tv_sec * 1000000 + usage.ru_stime.tv_usec;
    return (micros + 999999) / 1000000;
}

int lwsandbox_die_with_parent(pid_t expected_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) return -errno;
    // The parent may have died before the call: then nobody would ever send the signal.
    if (getppid() != expected_parent) return -ESRCH;
    return 0;
}

int lwsandbox_no_new_privileges(void) {
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

// Landlock, from <linux/landlock.h>, spelled out so that older headers build too.
struct lwsandbox_landlock_ruleset_attr {
    uint64_t handled_access_fs;
};
struct lwsandbox_landlock_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));
#define LW_LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#define LW_LANDLOCK_RULE_PATH_BENEATH 1
#define LW_FS_EXECUTE (1ULL << 0)
#define LW_FS_WRITE_FILE (1ULL << 1)
#define LW_FS_READ_FILE (1ULL << 2)
#define LW_FS_READ_DIR (1ULL << 3)
#define LW_FS_REMOVE_DIR (1ULL << 4)
#define LW_FS_REMOVE_FILE (1ULL << 5)
#define LW_FS_MAKE_CHAR (1ULL << 6)
#define LW_FS_MAKE_DIR (1ULL << 7)
#define LW_FS_MAKE_REG (1ULL << 8)
#define LW_FS_MAKE_SOCK (1ULL << 9)
#define LW_FS_MAKE_FIFO (1ULL << 10)
#define LW_FS_MAKE_BLOCK (1ULL << 11)
#define LW_FS_MAKE_SYM (1ULL << 12)
#define LW_FS_REFER (1ULL << 13)
#define LW_FS_TRUNCATE (1ULL << 14)

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

int lwsandbox_restrict_files(const char *const readable[], int count) {
    long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LW_LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0) return -errno;
    uint64_t handled = LW_FS_EXECUTE | LW_FS_WRITE_FILE | LW_FS_READ_FILE | LW_FS_READ_DIR | LW_FS_REMOVE_DIR
                       | LW_FS_REMOVE_FILE | LW_FS_MAKE_CHAR | LW_FS_MAKE_DIR | LW_FS_MAKE_REG | LW_FS_MAKE_SOCK
                       | LW_FS_MAKE_FIFO | LW_FS_MAKE_BLOCK | LW_FS_MAKE_SYM;
    if (abi >= 2) handled |= LW_FS_REFER;
    if (abi >= 3) handled |= LW_FS_TRUNCATE;
    struct lwsandbox_landlock_ruleset_attr attributes = {.handled_access_fs = handled};
    int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attributes, sizeof(attributes), 0);
    if (ruleset < 0) return -errno;
    for (int i = 0; i < count; i++) {
        int directory = open(readable[i], O_PATH | O_CLOEXEC | O_DIRECTORY);
        if (directory < 0) continue;  // Absent on this system: nothing to allow.
        struct lwsandbox_landlock_path_beneath_attr beneath = {
            .allowed_access = LW_FS_READ_FILE | LW_FS_READ_DIR, .parent_fd = directory};
        long added = syscall(__NR_landlock_add_rule, ruleset, LW_LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
        int error = errno;
        close(directory);
        if (added != 0) {
            close(ruleset);
            return -error;
        }
    }
    long restricted = syscall(__NR_landlock_restrict_self, ruleset, 0);
    int error = errno;
    close(ruleset);
    return restricted == 0 ? (int)abi : -error;
}

#if defined(__x86_64__)
#define LW_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define LW_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int lwsandbox_filter_system_calls(void) {
#ifndef LW_AUDIT_ARCH
    return -ENOSYS;
#else
    static const int denied[] = {
        __NR_execve, __NR_execveat, __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen,
        __NR_accept, __NR_accept4, __NR_ptrace, __NR_process_vm_readv, __NR_process_vm_writev, __NR_kill,
        __NR_mount, __NR_umount2, __NR_unshare, __NR_setns, __NR_pivot_root, __NR_chroot, __NR_keyctl,
        __NR_add_key, __NR_request_key, __NR_bpf, __NR_perf_event_open, __NR_open_by_handle_at,
        __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_kexec_load, __NR_setuid, __NR_setgid,
        __NR_setreuid, __NR_setregid, __NR_setresuid, __NR_setresgid, __NR_setgroups, __NR_unlinkat,
        __NR_renameat, __NR_renameat2, __NR_mkdirat, __NR_linkat, __NR_symlinkat, __NR_fchmodat, __NR_fchmod,
        __NR_fchownat, __NR_fchown, __NR_truncate, __NR_mknodat, __NR_openat2, __NR_memfd_create,
        __NR_userfaultfd, __NR_io_uring_setup,
#if defined(__x86_64__)
        __NR_fork, __NR_vfork, __NR_unlink, __NR_rename, __NR_mkdir, __NR_rmdir, __NR_link, __NR_symlink,
        __NR_chmod, __NR_chown, __NR_lchown, __NR_creat, __NR_mknod, __NR_uselib,
#endif
    };
    enum { denied_count = sizeof(denied) / sizeof(denied[0]) };
    const uint32_t write_flags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
    // Layout: arch check (3), load nr (1), x32 check (1), one jump per denied call, then the
    // open checks, allow, deny.
    struct sock_filter filter[3 + 1 + 1 + denied_count + 8 + 2];
    int n = 0;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LW_AUDIT_ARCH, 1, 0);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    int total = 3 + 1 + 1 + denied_count + 8 + 2;
    int deny = total - 1;
    int allow = total - 2;
    // x32 system calls (numbers with bit 30 set) are refused outright.
    filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, deny - n - 1, 0);
    n++;
    for (int i = 0; i < denied_count; i++) {
        filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)denied[i], deny - n - 1, 0);
        n++;
    }
    // openat(dirfd, path, flags): flags are argument 2; open(path, flags) (x86_64): argument 1.
    filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 2);
    n++;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]));
    filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, write_flags, deny - n - 1, allow - n - 1);
    n++;
#if defined(__x86_64__)
    filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_open, 0, 2);
    n++;
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
    filter[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, write_flags, deny - n - 1, allow - n - 1);
    n++;
#endif
    while (n < allow) {
        filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    struct sock_fprog program = {.len = (unsigned short)n, .filter = filter};
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) return -errno;
    return 0;
#endif
}
