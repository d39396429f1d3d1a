/* The slow-fsync shim: loaded with LD_PRELOAD, it makes every fsync and fdatasync take at least
 * SLOWSYNC_US microseconds longer than the disk underneath, as an SD card's do, so the sales bench
 * can measure on a fast disk what group commit is for (hub/bench/slowsync.py). The real call runs
 * first; the pause follows it, so nothing is reported durable before it is. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static long pause_us = -1;

static void slow_down(void) {
    if (pause_us < 0) {
        const char *given = getenv("SLOWSYNC_US");
        long us = given ? atol(given) : 0;
        pause_us = us > 0 ? us : 0;
    }
    if (pause_us > 0) {
        int saved = errno;
        struct timespec left = {pause_us / 1000000L, (pause_us % 1000000L) * 1000L};
        while (nanosleep(&left, &left) == -1 && errno == EINTR) {
        }
        errno = saved;
    }
}

int fsync(int fd) {
    if (!real_fsync) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int done = real_fsync(fd);
    slow_down();
    return done;
}

int fdatasync(int fd) {
    if (!real_fdatasync) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int done = real_fdatasync(fd);
    slow_down();
    return done;
}
