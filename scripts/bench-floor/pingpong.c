/* The floor under taizhangd's numbers: two C processes exchanging framed
 * messages of the same sizes over a Unix socket, with `depth` in flight,
 * and a write+fdatasync loop. Built and run by scripts/bench. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int full_read(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static int full_write(int fd, const char *buf, size_t n) {
    size_t put = 0;
    while (put < n) {
        ssize_t w = write(fd, buf + put, n - put);
        if (w <= 0) return -1;
        put += (size_t)w;
    }
    return 0;
}

static void frame(char *buf, size_t body) {
    uint32_t be = htobe32((uint32_t)body);
    memcpy(buf, &be, 4);
    memset(buf + 4, 0x5a, body);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "fsync") == 0) {
        int count = argc > 2 ? atoi(argv[2]) : 2000;
        char path[] = "/tmp/taizhang-floor-XXXXXX";
        int fd = mkstemp(path);
        char block[4096];
        memset(block, 1, sizeof block);
        double start = now();
        for (int i = 0; i < count; i++) {
            if (write(fd, block, sizeof block) != sizeof block || fdatasync(fd) != 0) { perror("fsync"); return 1; }
        }
        double elapsed = now() - start;
        printf("fsyncs=%d seconds=%.2f fsyncs_per_s=%.0f us_each=%.0f\n", count, elapsed, count / elapsed, elapsed / count * 1e6);
        close(fd);
        unlink(path);
        return 0;
    }
    if (argc < 5) {
        fprintf(stderr, "usage: pingpong REQUEST_BYTES RESPONSE_BYTES DEPTH SECONDS | pingpong fsync [COUNT]\n");
        return 2;
    }
    size_t request = (size_t)atoi(argv[1]) - 4, response = (size_t)atoi(argv[2]) - 4;
    int depth = atoi(argv[3]);
    double seconds = atof(argv[4]);
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0) { perror("socketpair"); return 1; }
    pid_t child = fork();
    char *in = malloc(1 << 20), *out = malloc(1 << 20);
    if (child == 0) {
        close(pair[0]);
        frame(out, response);
        for (;;) {
            uint32_t be;
            if (full_read(pair[1], (char *)&be, 4) != 0) _exit(0);
            if (full_read(pair[1], in, be32toh(be)) != 0) _exit(0);
            if (full_write(pair[1], out, response + 4) != 0) _exit(0);
        }
    }
    close(pair[1]);
    frame(out, request);
    long done = 0;
    double start = now(), end = start + seconds;
    for (int i = 0; i < depth; i++) full_write(pair[0], out, request + 4);
    while (now() < end) {
        uint32_t be;
        if (full_read(pair[0], (char *)&be, 4) != 0 || full_read(pair[0], in, be32toh(be)) != 0) break;
        done++;
        full_write(pair[0], out, request + 4);
    }
    double elapsed = now() - start;
    printf("round_trips=%ld seconds=%.2f per_s=%.0f us_each_at_depth1=%.1f\n", done, elapsed, done / elapsed,
           depth == 1 ? elapsed / done * 1e6 : 0.0);
    close(pair[0]);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    return 0;
}
