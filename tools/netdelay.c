// A user-space delay line between two network namespaces, for kernels without sch_netem
// (this one: docs/PERFORMANCE.md, "Latency"). tools/bench-cluster --namespaces creates a
// persistent TUN device in each namespace (`ip -n NS tuntap add dev DEV mode tun`, with the
// address, MTU and a tbf rate on it); this program attaches to both and carries every packet
// one device sends over to the other after a fixed one-way delay, in order:
//
//   cc -O2 tools/netdelay.c -o /tmp/netdelay
//   /tmp/netdelay --delay-us 250 rsbench-a rsbench-a1 rsbench-b rsbench-b1
//
// What a packet meets, from namespace A to B: A's stack routes it to its TUN device, whose
// qdisc (tbf) sets the rate; this program reads it from A's TUN file descriptor, holds it in a
// FIFO until read time + delay, and writes it to B's TUN descriptor, which hands it to B's
// stack as received. The other direction the same, with its own FIFO.
//
// How: a TUN device belongs to the network namespace its /dev/net/tun descriptor was opened in,
// so the program enters each namespace in turn (setns on /var/run/netns/NAME), opens
// /dev/net/tun there and attaches to the device (TUNSETIFF, IFF_TUN | IFF_NO_PI: bare IP
// packets), then returns to its own namespace; the descriptors stay bound to their devices.
// One thread, no busy waiting (the machine's cores belong to the MPI ranks): ppoll waits for a
// packet or, with a nanosecond timeout, for the next release time on CLOCK_MONOTONIC, with the
// timer slack set to 1 ns so the kernel's high-resolution timer wakes it on time (the default
// slack is 50 us). --realtime P runs it at SCHED_FIFO priority P, so that its wake-ups are not
// queued behind MPI ranks busy-polling both cores (one A/B run under load, allreduce of
// 264,651 floats over tbf 10 Gbit/s + 0.05 ms: 2.3 ms with priority 1, 9.2 ms without).
// SIGTERM and SIGINT are blocked except inside ppoll, so they end the loop cleanly between
// packets; so does the death of the parent (PR_SET_PDEATHSIG). A full FIFO (more than
// --queue packets in flight) drops the packet, as a full router queue would. At exit it
// prints, per direction, the packets, the drops and how late the packets went out after
// their release time (timer and scheduling delay, plus the writes before them in the same
// wake-up). Measured on this machine (2 vCPUs, idle), 64 KB packets (MTU 65000): TCP through
// it reaches 9.0 Gbit/s with no delay, ~10 Gbit/s under a 10 Gbit/s tbf with 0.05-0.25 ms,
// at ~half a core (copying into the receiving stack).
//
// Usage: netdelay [--delay-us D] [--queue N] [--realtime PRIORITY] NETNS_A DEV_A NETNS_B DEV_B
//        (prints "netdelay: ready" on stderr once both devices are attached)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

enum { PACKET_BYTES = 65536 };  // more than any MTU a TUN device allows (65535)

typedef struct {           // one direction: packets read from `in`, written to `out` when due
    int in, out;
    const char *from, *to;  // namespace names, for messages
    size_t capacity, head, count;
    uint64_t *release;      // CLOCK_MONOTONIC ns at which packet i may be written
    uint32_t *length;
    unsigned char **data;   // PACKET_BYTES each, allocated the first time a slot is used
    unsigned long long forwarded, dropped;
    uint64_t late_sum, late_max;  // how long after its release time each packet was written, ns
} Line;

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void) sig; stopping = 1; }

static void fail(const char *what, const char *name) {
    fprintf(stderr, "netdelay: %s %s: %s\n", what, name, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

// Enter namespace `netns`, open /dev/net/tun there, attach to device `dev`, return the fd.
static int open_tun(const char *netns, const char *dev, int home) {
    char path[256];
    snprintf(path, sizeof path, "/var/run/netns/%s", netns);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0) fail("open", path);
    if (setns(ns, CLONE_NEWNET) < 0) fail("setns", netns);
    close(ns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) fail("open /dev/net/tun in", netns);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (strlen(dev) >= IFNAMSIZ) { errno = ENAMETOOLONG; fail("device name", dev); }
    strcpy(ifr.ifr_name, dev);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        char what[300];
        snprintf(what, sizeof what, "TUNSETIFF %s in", dev);
        fail(what, netns);
    }
    // No offloads: without IFF_VNET_HDR a packet whose checksum was left to "the hardware"
    // would arrive unsummed and be dropped. A persistent device keeps offloads set by an
    // earlier attacher (seen: a TUN_F_CSUM trial left TCP connections hanging in SYN-SENT).
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
        char what[300];
        snprintf(what, sizeof what, "TUNSETOFFLOAD %s in", dev);
        fail(what, netns);
    }
    if (setns(home, CLONE_NEWNET) < 0) fail("setns back to", "the starting namespace");
    return fd;
}

static void line_init(Line *l, int in, int out, const char *from, const char *to, size_t capacity) {
    memset(l, 0, sizeof *l);
    l->in = in; l->out = out; l->from = from; l->to = to; l->capacity = capacity;
    l->release = calloc(capacity, sizeof *l->release);
    l->length = calloc(capacity, sizeof *l->length);
    l->data = calloc(capacity, sizeof *l->data);
    if (!l->release || !l->length || !l->data) { errno = ENOMEM; fail("allocating the FIFO", from); }
}

// Read every packet waiting on l->in; each is due `delay` ns after `now`.
static void take(Line *l, uint64_t now, uint64_t delay) {
    static unsigned char spill[PACKET_BYTES];  // a packet read while the FIFO is full: dropped
    for (;;) {
        unsigned char *buffer = spill;
        size_t slot = 0;
        if (l->count < l->capacity) {
            slot = (l->head + l->count) % l->capacity;
            if (!l->data[slot] && !(l->data[slot] = malloc(PACKET_BYTES))) { errno = ENOMEM; fail("allocating a packet from", l->from); }
            buffer = l->data[slot];
        }
        ssize_t n = read(l->in, buffer, PACKET_BYTES);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            fail("read from the TUN device in", l->from);
        }
        if (buffer == spill) { l->dropped++; continue; }
        l->release[slot] = now + delay;
        l->length[slot] = (uint32_t) n;
        l->count++;
    }
}

// Write every packet whose release time has come; return the next release time (or 0).
static uint64_t give(Line *l, uint64_t now) {
    while (l->count > 0 && l->release[l->head] <= now) {
        ssize_t n = write(l->out, l->data[l->head], l->length[l->head]);
        // The receiving side's stack takes the packet at once; a failed write (e.g. the device
        // is down for a moment) loses the packet, as the wire would.
        if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO && errno != EINVAL)
            fail("write to the TUN device in", l->to);
        if (n < 0) l->dropped++; else l->forwarded++;
        const uint64_t late = now_ns() - l->release[l->head];
        l->late_sum += late;
        if (late > l->late_max) l->late_max = late;
        l->head = (l->head + 1) % l->capacity;
        l->count--;
    }
    return l->count > 0 ? l->release[l->head] : 0;
}

int main(int argc, char **argv) {
    long delay_us = 250, queue = 4096, realtime = 0;
    int arg = 1;
    for (; arg < argc && strncmp(argv[arg], "--", 2) == 0; arg += 2) {
        if (arg + 1 >= argc) { fprintf(stderr, "netdelay: %s needs a value\n", argv[arg]); return 2; }
        if (strcmp(argv[arg], "--delay-us") == 0) delay_us = atol(argv[arg + 1]);
        else if (strcmp(argv[arg], "--queue") == 0) queue = atol(argv[arg + 1]);
        else if (strcmp(argv[arg], "--realtime") == 0) realtime = atol(argv[arg + 1]);
        else { fprintf(stderr, "netdelay: unknown option %s\n", argv[arg]); return 2; }
    }
    if (argc - arg != 4 || delay_us < 0 || queue < 1 || realtime < 0 || realtime > 99) {
        fprintf(stderr, "usage: netdelay [--delay-us D >= 0] [--queue N >= 1] [--realtime PRIORITY 1-99] NETNS_A DEV_A NETNS_B DEV_B\n");
        return 2;
    }
    const char *ns_a = argv[arg], *dev_a = argv[arg + 1], *ns_b = argv[arg + 2], *dev_b = argv[arg + 3];
    const uint64_t delay = (uint64_t) delay_us * 1000;

    // Signals: blocked except while waiting in ppoll, so a stop never interrupts a packet.
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);
    sigdelset(&waiting, SIGTERM);
    sigdelset(&waiting, SIGINT);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0) < 0) fail("prctl PR_SET_TIMERSLACK", "1 ns");
    // Stop with the script that started it, even if that one is killed without cleaning up
    // (the open TUN descriptors would otherwise keep the deleted namespaces alive).
    const pid_t parent = getppid();
    if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0) fail("prctl PR_SET_PDEATHSIG", "SIGTERM");
    if (getppid() != parent) return 0;

    if (realtime) {  // SCHED_FIFO: wake on time even while the MPI ranks spin on every core
        struct sched_param param = {.sched_priority = (int) realtime};
        if (sched_setscheduler(0, SCHED_FIFO, &param) < 0) fail("sched_setscheduler", "SCHED_FIFO");
    }
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home < 0) fail("open", "/proc/self/ns/net");
    int a = open_tun(ns_a, dev_a, home), b = open_tun(ns_b, dev_b, home);
    close(home);
    Line lines[2];
    line_init(&lines[0], a, b, ns_a, ns_b, (size_t) queue);
    line_init(&lines[1], b, a, ns_b, ns_a, (size_t) queue);
    fprintf(stderr, "netdelay: ready: %s/%s <-> %s/%s, %ld us each way\n", ns_a, dev_a, ns_b, dev_b, delay_us);

    struct pollfd fds[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    while (!stopping) {
        uint64_t now = now_ns(), next = 0;
        for (int i = 0; i < 2; i++) {
            uint64_t due = give(&lines[i], now);
            if (due && (!next || due < next)) next = due;
        }
        struct timespec timeout, *wait = NULL;
        if (next) {
            uint64_t left = next > now ? next - now : 0;
            timeout.tv_sec = (time_t) (left / 1000000000u);
            timeout.tv_nsec = (long) (left % 1000000000u);
            wait = &timeout;
        }
        int ready = ppoll(fds, 2, wait, &waiting);
        if (ready < 0) {
            if (errno == EINTR) continue;
            fail("ppoll", "the TUN devices");
        }
        if (ready == 0) continue;
        now = now_ns();
        for (int i = 0; i < 2; i++) {
            if (fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) {
                errno = EIO;
                fail("the TUN device failed in", lines[i].from);
            }
            if (fds[i].revents & POLLIN) take(&lines[i], now, delay);
        }
        // A packet due now (delay 0) goes out at the top of the loop without waiting.
    }
    for (int i = 0; i < 2; i++) {
        const Line *l = &lines[i];
        fprintf(stderr, "netdelay: %s -> %s: %llu packets, %llu dropped, written %.1f us after their time on average (at most %.1f us)\n",
                l->from, l->to, l->forwarded, l->dropped, l->forwarded ? l->late_sum / 1e3 / (double) l->forwarded : 0.0,
                l->late_max / 1e3);
    }
    return 0;
}
