// libsystemd's journal and daemon APIs. sd_journal_send is variadic, which
// Swift cannot call: Taizhang calls sd_journal_sendv with an iovec array.
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
// And glibc's mallopt: the daemon bounds its malloc arenas at start.
#include <malloc.h>
