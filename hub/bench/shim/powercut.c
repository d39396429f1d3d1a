/* powercut.so: an LD_PRELOAD shim that simulates a power cut for the files it is told to watch.
 *
 * Every write (write, pwrite, pwrite64, ftruncate) to a watched file first saves what it is about to
 * overwrite (and the file's size) in memory; an fsync or fdatasync of the file forgets what it made
 * durable. On the cut every file is put back as it was at its last fsync -- the saved pre-images
 * restored newest first, the size reset -- and the process is killed with SIGKILL while it holds
 * the lock every write takes, so no write slips in after. What reaches the page cache afterwards is
 * what a disk would hold had the power gone: the writes that were fsync'd, none that were not.
 *
 * Environment:
 *   POWERCUT_FILES   colon-separated absolute paths to watch (e.g. hub.db and hub.db-wal)
 *   POWERCUT_AFTER   cut just before the Nth watched write (unset or 0: never by count)
 *   POWERCUT_SIGNAL  the signal number that cuts (default SIGUSR2)
 *   POWERCUT_GRACE_MS after the signal, wait up to this long for the next watched write and cut
 *                    right after it lands, so the cut finds a write in flight (default 250; 0 cuts
 *                    at once). A process that writes nothing in that time is cut when it runs out.
 *   POWERCUT_LOG     a file the cut reports to (how many writes and bytes it dropped)
 *
 * Not simulated: torn sectors inside one write, reordering between files, directory entries (a
 * file created or removed is kept as it is). SQLite's WAL is built for the first two.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FILES 64
#define MAX_WATCHED 8

typedef struct {
    off_t off;          /* where the pre-image goes back */
    size_t len;         /* bytes of pre-image */
    off_t old_size;     /* the file's size before the change */
    unsigned long seq;  /* order of the change, for fsync's forgetting */
    char *data;
} undo_t;

typedef struct {
    dev_t dev;
    ino_t ino;
    int watched;
    int fd;             /* our own descriptor of the file, to restore it even when closed or unlinked */
    undo_t *undo;
    size_t count, cap;
} file_t;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static file_t files[MAX_FILES];
static int nfiles;
static char watched[MAX_WATCHED][4096];
static int nwatched;
static unsigned long seq;
static unsigned long writes;
static unsigned long after;
static sem_t cut_sem;
static sem_t wrote_sem;      /* posted by the first watched write after the signal */
static int armed;            /* the signal came: the next watched write ends with the cut */
static long grace_ms = 250;
static int active;

static void resolve(void) {
    if (real_pwrite) return;
    real_write = dlsym(RTLD_NEXT, "write");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
}

/* The watched file behind fd, or NULL. Called with the lock held. */
static file_t *lookup(int fd) {
    struct stat st;
    if (!active || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return NULL;
    for (int i = 0; i < nfiles; i++)
        if (files[i].dev == st.st_dev && files[i].ino == st.st_ino)
            return files[i].watched ? &files[i] : NULL;
    if (nfiles == MAX_FILES) return NULL;
    file_t *f = &files[nfiles++];
    memset(f, 0, sizeof *f);
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->fd = -1;
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0) return NULL;
    path[n] = 0;
    for (int i = 0; i < nwatched; i++)
        if (strcmp(path, watched[i]) == 0) f->watched = 1;
    if (!f->watched) return NULL;
    f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 512);
    if (f->fd < 0) f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    return f;
}

static void restore_and_die(void);

/* Save what [off, off+len) holds now and the size, before a change. Lock held. */
static void save(file_t *f, off_t off, size_t len, int truncating) {
    struct stat st;
    if (fstat(f->fd, &st) != 0) return;
    undo_t u = {.off = off, .old_size = st.st_size, .seq = ++seq, .len = 0, .data = NULL};
    off_t end = truncating ? st.st_size : off + (off_t)len;
    if (end > st.st_size) end = st.st_size;
    if (end > off) {
        u.len = (size_t)(end - off);
        u.data = malloc(u.len);
        if (!u.data) abort();
        size_t got = 0;
        while (got < u.len) {
            ssize_t r = pread(f->fd, u.data + got, u.len - got, off + (off_t)got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        u.len = got;
    }
    if (f->count == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->undo = realloc(f->undo, f->cap * sizeof *f->undo);
        if (!f->undo) abort();
    }
    f->undo[f->count++] = u;
}

/* Before a watched change: count it (and cut at the Nth). Lock held. */
static void before_change(void) {
    writes++;
    if (after && writes >= after) restore_and_die();
}

static void restore_and_die(void) {
    unsigned long dropped = 0, bytes = 0;
    for (int i = 0; i < nfiles; i++) {
        file_t *f = &files[i];
        if (!f->watched || f->fd < 0) continue;
        for (size_t k = f->count; k-- > 0;) {
            undo_t *u = &f->undo[k];
            real_ftruncate(f->fd, u->old_size);
            size_t put = 0;
            while (put < u->len) {
                ssize_t r = real_pwrite(f->fd, u->data + put, u->len - put, u->off + (off_t)put);
                if (r <= 0) break;
                put += (size_t)r;
            }
            dropped++;
            bytes += u->len;
        }
        f->count = 0;
    }
    const char *log = getenv("POWERCUT_LOG");
    if (log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            char line[200];
            int n = snprintf(line, sizeof line, "powercut pid %d: %lu watched writes, %lu undone (%lu bytes of pre-image)\n",
                             (int)getpid(), writes, dropped, bytes);
            real_write(fd, line, (size_t)n);
            close(fd);
        }
    }
    kill(getpid(), SIGKILL);
    for (;;) pause();
}

static void on_signal(int sig) {
    (void)sig;
    sem_post(&cut_sem);
}

static void *cutter(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while (sem_wait(&cut_sem) != 0) {
    }
    if (grace_ms > 0) {
        pthread_mutex_lock(&lock);
        armed = 1;
        pthread_mutex_unlock(&lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += grace_ms / 1000;
        until.tv_nsec += (grace_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (sem_timedwait(&wrote_sem, &until) != 0 && errno == EINTR) {
        }
    }
    pthread_mutex_lock(&lock);
    restore_and_die();
    return NULL;
}

/* After a watched change has landed: if the cut is armed, hand it to the cutter and stay here,
 * holding the lock, so nothing more is written before the cut. Lock held. */
static void after_change(void) {
    if (!armed) return;
    armed = 0;
    sem_post(&wrote_sem);
    pthread_mutex_unlock(&lock);  /* the cutter takes it and never gives it back */
    for (;;) pause();
}

__attribute__((constructor)) static void init(void) {
    resolve();
    const char *list = getenv("POWERCUT_FILES");
    if (!list || !*list) return;
    const char *p = list;
    while (*p && nwatched < MAX_WATCHED) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n > 0 && n < sizeof watched[0]) {
            memcpy(watched[nwatched], p, n);
            watched[nwatched][n] = 0;
            nwatched++;
        }
        if (!colon) break;
        p = colon + 1;
    }
    const char *a = getenv("POWERCUT_AFTER");
    after = a ? strtoul(a, NULL, 10) : 0;
    const char *g = getenv("POWERCUT_GRACE_MS");
    if (g) grace_ms = strtol(g, NULL, 10);
    const char *s = getenv("POWERCUT_SIGNAL");
    int sig = s ? atoi(s) : SIGUSR2;
    sem_init(&cut_sem, 0, 0);
    sem_init(&wrote_sem, 0, 0);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (pthread_create(&t, &attr, cutter, NULL) == 0) pthread_detach(t);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    active = 1;
}

static ssize_t positioned(int fd, const void *buf, size_t len, off_t off,
                          ssize_t (*real)(int, const void *, size_t, off_t)) {
    pthread_mutex_lock(&lock);
    file_t *f = lookup(fd);
    if (f) {
        before_change();
        save(f, off, len, 0);
    }
    ssize_t r = real(fd, buf, len, off);
    if (f) after_change();
    pthread_mutex_unlock(&lock);
    return r;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
    resolve();
    return positioned(fd, buf, len, off, real_pwrite);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off) {
    resolve();
    return positioned(fd, buf, len, off, real_pwrite64);
}

ssize_t write(int fd, const void *buf, size_t len) {
    resolve();
    if (!active) return real_write(fd, buf, len);
    pthread_mutex_lock(&lock);
    file_t *f = lookup(fd);
    if (f) {
        int flags = fcntl(fd, F_GETFL);
        off_t off;
        if (flags >= 0 && (flags & O_APPEND)) {
            struct stat st;
            off = fstat(fd, &st) == 0 ? st.st_size : 0;
        } else {
            off = lseek(fd, 0, SEEK_CUR);
        }
        before_change();
        if (off >= 0) save(f, off, len, 0);
    }
    ssize_t r = real_write(fd, buf, len);
    if (f) after_change();
    pthread_mutex_unlock(&lock);
    return r;
}

static int truncating(int fd, off_t size, int (*real)(int, off_t)) {
    pthread_mutex_lock(&lock);
    file_t *f = lookup(fd);
    if (f) {
        before_change();
        save(f, size, 0, 1);
    }
    int r = real(fd, size);
    if (f) after_change();
    pthread_mutex_unlock(&lock);
    return r;
}

int ftruncate(int fd, off_t size) {
    resolve();
    return truncating(fd, size, real_ftruncate);
}

int ftruncate64(int fd, off_t size) {
    resolve();
    return truncating(fd, size, real_ftruncate64);
}

/* After a successful sync, forget the changes made before it began: they are on the disk. */
static int synced(int fd, int (*real)(int)) {
    pthread_mutex_lock(&lock);
    file_t *f = lookup(fd);
    unsigned long mark = seq;
    pthread_mutex_unlock(&lock);
    int r = real(fd);
    if (r == 0 && f) {
        pthread_mutex_lock(&lock);
        size_t keep = 0;
        for (size_t k = 0; k < f->count; k++) {
            if (f->undo[k].seq <= mark) {
                free(f->undo[k].data);
            } else {
                f->undo[keep++] = f->undo[k];
            }
        }
        f->count = keep;
        pthread_mutex_unlock(&lock);
    }
    return r;
}

int fsync(int fd) {
    resolve();
    return synced(fd, real_fsync);
}

int fdatasync(int fd) {
    resolve();
    return synced(fd, real_fdatasync);
}
