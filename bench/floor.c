/* Floors for bench/backlog.py: the least a program can do for what a cc2cc command does.
 *
 * Compiled at bench time with `cc -O2`. Each durable write is the one cc2cc makes: a temp
 * file opened O_CREAT|O_EXCL mode 0600, one write of SIZE bytes, fsync, rename to its final
 * name, and an fsync of the folder.
 *
 *   floor one DIR SIZE        one durable write into DIR (spawned per run: send's floor)
 *   floor linked DIR SENT SIZE  as `one`, plus a hard link to the file in SENT made before its
 *                             fsync, renamed from a temp name after the delivery, and SENT
 *                             fsynced before DIR (what send does since it keeps the sender's
 *                             copy; spawned per run)
 *   floor many DIR N SIZE     N durable writes into DIR, fsync of each file, one fsync of DIR
 *                             at the end (send --batch's floor)
 *   floor fanout ROOT N SIZE  one durable write into each of ROOT/0 .. ROOT/N-1 (existing
 *                             folders), each folder fsynced (broadcast's floor)
 *   floor list DIR            read every name in DIR and print how many end in .json (the
 *                             floor of finding the oldest messages in a folder)
 *
 * Exit status 0, or 1 with a message on stderr.
 *
 * And the launcher backlog.py times every command with:
 *
 *   floor measure OUT CMD ARG...  run CMD, write "<wall ns> <peak RSS KiB>" of it to OUT, and
 *                                 exit as it did (128+N when killed by signal N)
 *
 * The peak RSS (ru_maxrss from wait4) is why: a child of Python starts its count at Python's own
 * peak, since exec records the peak of the memory it replaces, which for a child of this small
 * program is small.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *path) {
    fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) die("open", dir);
    if (fsync(fd) != 0) die("fsync", dir);
    close(fd);
}

/* Writes payload as DIR/msg-<pid>-<seq>.json through DIR/.tmp-<pid>-<seq>.json; the folder is
 * not fsynced here. With SENT (else NULL), the file is also hard-linked into SENT before its
 * fsync, under a temp name renamed after the delivery, as send keeps the sender's copy. */
static void write_file(const char *dir, const char *sent, long seq, const char *payload, size_t size) {
    char tmp[4096], final[4096], sent_tmp[4096], sent_final[4096];
    snprintf(tmp, sizeof tmp, "%s/.tmp-%ld-%ld.json", dir, (long)getpid(), seq);
    snprintf(final, sizeof final, "%s/msg-%ld-%ld.json", dir, (long)getpid(), seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("open", tmp);
    for (size_t done = 0; done < size;) {
        ssize_t n = write(fd, payload + done, size - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("write", tmp);
        }
        done += (size_t)n;
    }
    if (sent) {
        snprintf(sent_tmp, sizeof sent_tmp, "%s/.tmp-%ld-%ld.json", sent, (long)getpid(), seq);
        snprintf(sent_final, sizeof sent_final, "%s/msg-%ld-%ld.json", sent, (long)getpid(), seq);
        if (link(tmp, sent_tmp) != 0) die("link", sent_tmp);
    }
    if (fsync(fd) != 0) die("fsync", tmp);
    if (close(fd) != 0) die("close", tmp);
    if (rename(tmp, final) != 0) die("rename", tmp);
    if (sent && rename(sent_tmp, sent_final) != 0) die("rename", sent_tmp);
}

static char *make_payload(const char *size_arg, size_t *size) {
    *size = strtoul(size_arg, NULL, 10);
    char *payload = malloc(*size ? *size : 1);
    if (!payload) die("malloc", "payload");
    memset(payload, 'x', *size);
    return payload;
}

static void usage(void) {
    fprintf(stderr, "usage: floor one DIR SIZE | linked DIR SENT SIZE | many DIR N SIZE | fanout ROOT N SIZE | list DIR"
                    " | measure OUT CMD ARG...\n");
    exit(2);
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int measure(const char *out, char **cmd) {
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) die("fork", cmd[0]);
    if (pid == 0) {
        execvp(cmd[0], cmd);
        fprintf(stderr, "floor: exec %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0)
        if (errno != EINTR) die("wait4", cmd[0]);
    long long wall = now_ns() - t0;
    FILE *f = fopen(out, "w");
    if (!f || fprintf(f, "%lld %ld\n", wall, usage.ru_maxrss) < 0 || fclose(f) != 0) die("write", out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
    if (argc < 3) usage();
    const char *mode = argv[1], *dir = argv[2];
    size_t size;
    if (strcmp(mode, "measure") == 0 && argc >= 4) {
        return measure(argv[2], argv + 3);
    } else if (strcmp(mode, "one") == 0 && argc == 4) {
        char *payload = make_payload(argv[3], &size);
        write_file(dir, NULL, 0, payload, size);
        fsync_dir(dir);
    } else if (strcmp(mode, "linked") == 0 && argc == 5) {
        char *payload = make_payload(argv[4], &size);
        write_file(dir, argv[3], 0, payload, size);
        fsync_dir(argv[3]);
        fsync_dir(dir);
    } else if (strcmp(mode, "many") == 0 && argc == 5) {
        long n = strtol(argv[3], NULL, 10);
        char *payload = make_payload(argv[4], &size);
        for (long i = 0; i < n; i++) write_file(dir, NULL, i, payload, size);
        fsync_dir(dir);
    } else if (strcmp(mode, "fanout") == 0 && argc == 5) {
        long n = strtol(argv[3], NULL, 10);
        char *payload = make_payload(argv[4], &size);
        char sub[4096];
        for (long i = 0; i < n; i++) {
            snprintf(sub, sizeof sub, "%s/%ld", dir, i);
            write_file(sub, NULL, i, payload, size);
            fsync_dir(sub);
        }
    } else if (strcmp(mode, "list") == 0 && argc == 3) {
        DIR *d = opendir(dir);
        if (!d) die("opendir", dir);
        long count = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) count++;
        }
        closedir(d);
        printf("%ld\n", count);
    } else {
        usage();
    }
    return 0;
}
