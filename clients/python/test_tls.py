"""Tests of the Python client's TLS against a real taizhangd listening with
TLS on TCP: python3 test_tls.py HOST PORT CA_FILE TOKEN_FILE OTHER_CA_FILE.
Prints "ok N checks"; exits 1 on any failure."""

import ssl
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taizhang_client import Client, Closed, ProtocolError, Status, Timeout  # noqa: E402
from test_client import check, report  # noqa: E402  (the same checks and report)

HEALTH = "/taizhang.system.v1.System/Health"


def main():
    host, port, ca_file, token_file, other_ca = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    token = open(token_file).read().strip()
    bearer = {"authorization": "Bearer " + token}
    tls = ssl.create_default_context(cafile=ca_file)
    with Client(host=host, port=port, tls=tls) as client:
        Health = client.message("taizhang.system.v1.HealthRequest")
        served = client.call(HEALTH, Health())
        check(served.status == 1, "Health over TLS is SERVING")
        units = client.call("/taizhang.ledger.v1.Ledger/ListAdminUnits",
                            client.message("taizhang.ledger.v1.ListAdminUnitsRequest")(), metadata=bearer)
        check(len(units.units) == 0, "ListAdminUnits with a token over TLS")
        try:
            client.call("/taizhang.ledger.v1.Ledger/ListAdminUnits", client.message("taizhang.ledger.v1.ListAdminUnitsRequest")())
            check(False, "no token: refused")
        except Status as status:
            check(status.code_name == "UNAUTHENTICATED", "no token: UNAUTHENTICATED (%s)" % status.code_name)
        # Much more than the socket buffers hold, sent before any answer is read:
        # the client keeps reading answers while TLS writes wait.
        heavy = {"x-%d" % index: "v" * 4096 for index in range(16)}
        started = [client.start(HEALTH, Health(), metadata=heavy) for _ in range(200)]
        answers = [client.finish(call_id, HEALTH, wait=30) for call_id in started]
        check(all(answer.status == 1 for answer in answers), "200 calls of 64 KiB each, pipelined over TLS")
        started = [client.start(HEALTH, Health()) for _ in range(5000)]
        answers = [client.finish(call_id, HEALTH, wait=30) for call_id in started]
        check(len(answers) == 5000 and all(answer.status == 1 for answer in answers), "5,000 calls pipelined over TLS")
    # A daemon whose certificate another CA signed is refused at the handshake.
    try:
        Client(host=host, port=port, tls=ssl.create_default_context(cafile=other_ca))
        check(False, "an untrusted daemon is refused")
    except Closed as error:
        check("certificate" in str(error).lower(), "an untrusted daemon is refused: %s" % error)
    # A plain client gets no answer from the TLS port.
    try:
        with Client(host=host, port=port) as plain:
            plain.call(HEALTH, plain.message("taizhang.system.v1.HealthRequest")())
        check(False, "plain TCP to the TLS port gets no answer")
    except (Closed, ProtocolError, Timeout) as error:
        check(True, "plain TCP to the TLS port: %s" % type(error).__name__)
    try:
        Client(unix="/nonexistent", tls=tls)
        check(False, "TLS on the Unix socket is refused")
    except ValueError:
        check(True, "TLS on the Unix socket is refused")
    report()


if __name__ == "__main__":
    main()
