/*
 * For profiling only (bench/profile.py): valgrind 3.19 (Debian 12) crashes as soon as a program calls
 * dispatch_main(), which is what Swift's async `main` does on Linux (the main thread exits and is parked as
 * libdispatch's signal thread). Preloaded under valgrind, this dispatch_main() keeps the main thread and drains
 * the main queue itself, through the hooks Foundation's RunLoop uses on Linux.
 */
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

extern int _dispatch_get_main_queue_handle_4CF(void);
extern void _dispatch_main_queue_callback_4CF(void *msg);

void dispatch_main(void) {
    int fd = _dispatch_get_main_queue_handle_4CF();
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, -1) > 0) {
            uint64_t value;
            (void)read(fd, &value, sizeof value);
            _dispatch_main_queue_callback_4CF(NULL);
        }
    }
}
