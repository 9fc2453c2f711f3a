"""Tests of the Python client against a real taizhangd (its socket is the
first argument) and against misbehaving servers started here. Prints
"ok N checks"; exits 1 on any failure."""

import os
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taizhang_client import Client, Closed, ProtocolError, Status, Timeout  # noqa: E402

LEDGER = "/taizhang.ledger.v1.Ledger/"
checks = 0
failures = []


def check(condition, what):
    global checks
    checks += 1
    if not condition:
        failures.append(what)
        print("FAIL", what, file=sys.stderr)


def seed(client):
    AdminUnit = client.message("taizhang.ledger.v1.AdminUnit")
    Request = client.message("taizhang.ledger.v1.CreateAdminUnitRequest")
    for code, name, level, parent in [("421024000000", "江陵县", 1, ""), ("421024101000", "熊河镇", 2, "421024000000"),
                                      ("421024101201", "白马村", 3, "421024101000")]:
        made = client.call(LEDGER + "CreateAdminUnit", Request(unit=AdminUnit(code=code, name=name, level=level, parent_code=parent)))
        check(made.name == name, "CreateAdminUnit %s" % code)
    Project = client.message("taizhang.ledger.v1.Project")
    client.call(LEDGER + "CreateProject", client.message("taizhang.ledger.v1.CreateProjectRequest")(
        project=Project(id="JL-2019-001", name="熊河镇光伏扶贫项目", year=2019, implementing_unit="县发展和改革局",
                        admin_code="421024101000")))


def asset(client, value=1_000_000, share_bp=10_000, village="421024101201", acquired="2019-06-30"):
    Asset = client.message("taizhang.ledger.v1.Asset")
    Funding = client.message("taizhang.ledger.v1.Funding")
    Owner = client.message("taizhang.ledger.v1.Owner")
    return Asset(name="白马村光伏电站", category=2, sub_type="光伏电站", project_id="JL-2019-001", admin_code=village,
                 acquired_date=acquired, useful_life_years=25, quantity="100", unit="千瓦", original_value_fen=value,
                 funding=[Funding(source=1, amount_fen=value * 6 // 10), Funding(source=2, amount_fen=value - value * 6 // 10)],
                 owners=[Owner(name="白马村股份经济合作社", kind=1, admin_code=village, share_bp=share_bp)])


def register_and_read(client):
    Register = client.message("taizhang.ledger.v1.RegisterAssetRequest")
    metadata = {"idempotency-key": "py-client-register-1", "actor": "Python 客户端测试", "request-id": "py-test-register"}
    made = client.call(LEDGER + "RegisterAsset", Register(asset=asset(client)), metadata=metadata, timeout_ms=10000)
    check(made.id and made.name == "白马村光伏电站" and made.original_value_fen == 1_000_000, "RegisterAsset")
    check(len(made.funding) == 2 and made.funding[0].amount_fen == 600_000, "funding round trip")
    again = client.call(LEDGER + "RegisterAsset", Register(asset=asset(client)), metadata=metadata)
    check(again.id == made.id, "the idempotency key replays the first answer")
    read = client.call(LEDGER + "GetAsset", client.message("taizhang.ledger.v1.GetAssetRequest")(id=made.id))
    check(read.id == made.id and read.unit == "千瓦", "GetAsset")
    page = client.call(LEDGER + "ListAssets", client.message("taizhang.ledger.v1.ListAssetsRequest")(admin_code="421024101201"))
    check([a.id for a in page.assets] == [made.id], "ListAssets of the village")
    return made.id


def bad_request(client):
    Register = client.message("taizhang.ledger.v1.RegisterAssetRequest")
    try:
        client.call(LEDGER + "RegisterAsset", Register(asset=asset(client, share_bp=9000, village="999999999999", acquired="2019-02-30")),
                    metadata={"request-id": "py-test-bad"})
        check(False, "a bad asset was accepted")
    except Status as status:
        check(status.code_name == "INVALID_ARGUMENT", "bad asset code %s" % status.code_name)
        check(status.request_id == "py-test-bad", "request-id %r" % status.request_id)
        fields = " ".join(field for field, _ in status.violations)
        check("owners" in fields and "acquired_date" in fields and "admin_code" in fields, "violations %s" % fields)
        check(all(description for _, description in status.violations), "every violation has a description")


def every_method(client):
    for service_name in ["taizhang.ledger.v1.Ledger", "taizhang.risk.v1.Risk", "taizhang.system.v1.System"]:
        service = client.schema.pool.FindServiceByName(service_name)
        for method in service.methods:
            if method.server_streaming or method.name == "WatchAlerts":
                continue
            name = "/%s/%s" % (service_name, method.name)
            try:
                client.call(name, client.message(method.input_type.full_name)(), timeout_ms=10000)
                check(True, name)
            except Status as status:
                check(status.code_name != "UNIMPLEMENTED" and status.message, "%s: %s" % (name, status))


def pipelining(client, asset_id):
    GetAsset = client.message("taizhang.ledger.v1.GetAssetRequest")
    ids = [client.start(LEDGER + "GetAsset", GetAsset(id=asset_id if i % 4 != 3 else "ZC99999999")) for i in range(16)]
    for i in reversed(range(16)):
        try:
            read = client.finish(ids[i], LEDGER + "GetAsset", wait=10)
            check(i % 4 != 3 and read.id == asset_id, "pipelined call %d" % i)
        except Status as status:
            check(i % 4 == 3 and status.code_name == "NOT_FOUND", "pipelined call %d: %s" % (i, status))


def pipelining_without_reading(client, asset_id):
    """3000 calls started before any is finished: the client must read while it writes."""
    GetAsset = client.message("taizhang.ledger.v1.GetAssetRequest")
    ids = [client.start(LEDGER + "GetAsset", GetAsset(id=asset_id), timeout_ms=10000) for _ in range(3000)]
    answered = 0
    for call_id in ids:
        try:
            client.finish(call_id, LEDGER + "GetAsset", wait=10)
            answered += 1
        except Status as status:
            answered += status.code_name == "RESOURCE_EXHAUSTED"
    check(answered == 3000, "3000 pipelined calls, %d answered" % answered)


def streaming(client):
    method = "/taizhang.risk.v1.Risk/WatchAlerts"
    call_id = client.start(method, client.message("taizhang.risk.v1.WatchAlertsRequest")())
    try:
        client.next_item(call_id, method, wait=0.3)
        check(False, "an alert on an empty ledger")
    except Timeout:
        check(True, "the stream waits")
    client.cancel(call_id)
    try:
        while client.next_item(call_id, method, wait=5) is not None:
            pass
        check(False, "no CANCELLED after cancel")
    except Status as status:
        check(status.code_name == "CANCELLED", "after cancel: %s" % status)


def misbehaving(reply, linger, expected, wait=5.0):
    path = os.path.join(tempfile.mkdtemp(), "bad.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    release = threading.Event()

    def serve():
        connection, _ = listener.accept()
        connection.recv(4096)
        if reply:
            connection.sendall(reply)
        if linger:
            release.wait(10)
        connection.close()

    server = threading.Thread(target=serve)
    server.start()
    client = Client(unix=path)
    Health = client.message("taizhang.system.v1.HealthRequest")
    call_id = client.start("/taizhang.system.v1.System/Health", Health())
    try:
        client.finish(call_id, "/taizhang.system.v1.System/Health", wait=wait)
        check(False, "%s: an answer" % expected.__name__)
    except expected:
        check(True, expected.__name__)
    except Exception as error:  # noqa: BLE001 - the test reports what came instead
        check(False, "expected %s, got %r" % (expected.__name__, error))
    release.set()
    client.close()
    server.join()
    listener.close()


def main():
    with Client(unix=sys.argv[1]) as client:
        seed(client)
        asset_id = register_and_read(client)
        bad_request(client)
        every_method(client)
        pipelining(client, asset_id)
        pipelining_without_reading(client, asset_id)
        streaming(client)
        # A stream left early is cancelled by the generator.
        events = client.stream("/taizhang.risk.v1.Risk/WatchAlerts", client.message("taizhang.risk.v1.WatchAlertsRequest")(), wait=0.2)
        try:
            next(events)
        except Timeout:
            check(True, "the stream waits")
        check(client.call("/taizhang.system.v1.System/Health", client.message("taizhang.system.v1.HealthRequest")()).status == 1,
              "the connection still serves after a stream was left")
    misbehaving(bytes([0, 0, 0, 100, 8, 1, 26]), False, ProtocolError)
    misbehaving(bytes([0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3]), True, ProtocolError)
    misbehaving(bytes([0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF]), True, ProtocolError)
    misbehaving(b"", False, Closed)
    misbehaving(b"", True, Timeout, wait=0.2)
    misbehaving(bytes([0, 0, 0, 8, 0x12, 0x06, 0x08, 0x08, 0x12, 0x02]) + b"no", False, Status)
    report()


def report():
    """Prints "ok N checks", or the failures and exits 1."""
    if failures:
        print("%d of %d checks failed" % (len(failures), checks), file=sys.stderr)
        sys.exit(1)
    print("ok %d checks" % checks)


if __name__ == "__main__":
    main()
