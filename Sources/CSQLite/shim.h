// The system SQLite, for TaizhangStore.
#include <sqlite3.h>
