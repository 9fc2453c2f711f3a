// The system libpq (PostgreSQL's client library), for TaizhangPostgres.
#include <libpq-fe.h>
