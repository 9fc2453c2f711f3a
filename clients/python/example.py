"""What a county system written in Python does with the Taizhang client:
register an asset, list a village's ledger, follow the risk monitor's alerts.

    python3 example.py --socket /run/taizhang/taizhang.sock \\
        --village 421024101201 --project JL-2019-001 [--follow-seconds 10]

Needs `pip install protobuf`; taizhang_client.py and taizhang.desc beside it.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taizhang_client import Client, Status, Timeout  # noqa: E402

LEDGER = "/taizhang.ledger.v1.Ledger/"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--socket", default="/run/taizhang/taizhang.sock")
    parser.add_argument("--village", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--follow-seconds", type=float, default=10)
    arguments = parser.parse_args()
    exit_code = 0
    with Client(unix=arguments.socket) as client:
        # 1. Register a 100 kW photovoltaic station worth ¥10,000.00 (money is in fen).
        m = client.message
        asset = m("taizhang.ledger.v1.Asset")(
            name="村级光伏电站", category=2, sub_type="光伏电站", project_id=arguments.project, admin_code=arguments.village,
            acquired_date="2019-06-30", useful_life_years=25, quantity="100", unit="千瓦", original_value_fen=1_000_000,
            funding=[m("taizhang.ledger.v1.Funding")(source=1, amount_fen=600_000),
                     m("taizhang.ledger.v1.Funding")(source=2, amount_fen=400_000)],
            owners=[m("taizhang.ledger.v1.Owner")(name="村股份经济合作社", kind=1, admin_code=arguments.village, share_bp=10_000)])
        try:
            # An idempotency key makes a retry after a lost answer safe.
            made = client.call(LEDGER + "RegisterAsset", m("taizhang.ledger.v1.RegisterAssetRequest")(asset=asset),
                               metadata={"idempotency-key": "py-example-%d" % time.time(), "actor": "Python 示例程序"},
                               timeout_ms=10000)
            print("registered %s %s, %d.%02d yuan" % (made.id, made.name, made.original_value_fen // 100, made.original_value_fen % 100))
        except Status as status:
            print("RegisterAsset: %s (request-id %s)" % (status, status.request_id), file=sys.stderr)
            for field, description in status.violations:
                print("  %s: %s" % (field, description), file=sys.stderr)
            exit_code = 1

        # 2. The village's ledger, page by page.
        token, listed = "", 0
        while True:
            page = client.call(LEDGER + "ListAssets", m("taizhang.ledger.v1.ListAssetsRequest")(
                admin_code=arguments.village, page_size=100, page_token=token))
            for item in page.assets:
                print("ledger %s\t%s\t%s\t%d fen" % (item.id, item.name, item.acquired_date, item.net_value_fen))
                listed += 1
            token = page.next_page_token
            if not token:
                break
        print("village %s: %d assets" % (arguments.village, listed))

        # 3. Follow alerts: open ones are replayed, then new ones arrive as raised.
        method = "/taizhang.risk.v1.Risk/WatchAlerts"
        call_id = client.start(method, m("taizhang.risk.v1.WatchAlertsRequest")())
        until = time.monotonic() + arguments.follow_seconds
        ended = False
        try:
            while time.monotonic() < until:
                event = client.next_item(call_id, method, wait=max(0.0, until - time.monotonic()))
                if event is None:
                    ended = True
                    break
                print("alert %d %s: %s" % (event.seq, event.type, event.message))
        except Timeout:
            pass
        except Status as status:
            ended = True
            print("WatchAlerts ended: %s" % status, file=sys.stderr)
        if not ended:
            client.cancel(call_id)
            try:
                while client.next_item(call_id, method, wait=5) is not None:
                    pass
            except Status:
                pass  # CANCELLED, as asked
        print("stopped following alerts")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
