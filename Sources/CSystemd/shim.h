// libsystemd's journal and daemon APIs. sd_journal_send is variadic, which
// Swift cannot call: Taizhang calls sd_journal_sendv with an iovec array.
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
