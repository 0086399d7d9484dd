"""manage.py reconcile: the channels' daily bills against our orders and refunds."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing import bills
from billing.models import PaymentOrder, ReconciliationReport, Refund
from billing.services.payments import payment_order_mark_paid
from billing.services.refunds import appointment_refund_request
from common.models import OperationLog
from common.services import Actor
from tests.billing.factories import open_order

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

DATA = Path(__file__).parent / "data"
WECHAT_BILL = DATA / "wechat_tradebill_2024-05-01.csv"
ALIPAY_BILL = DATA / "alipay_bill_2024-05-01.csv"
ACTOR = Actor.system()
DAY = datetime.date(2024, 5, 1)


def at(hour: int, minute: int = 0, day: datetime.date = DAY) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )


def paid(channel: str, out_trade_no: str, fee: int, paid_at: datetime.datetime):
    order = open_order(channel=channel, fee=fee)
    PaymentOrder.objects.filter(pk=order.pk).update(out_trade_no=out_trade_no)
    order.refresh_from_db()
    payment_order_mark_paid(
        order=order,
        transaction_id=f"T-{out_trade_no}",
        amount=fee,
        paid_at=paid_at,
        actor=ACTOR,
    )
    order.refresh_from_db()
    return order


def the_days_business(channel: str) -> dict[str, PaymentOrder]:
    """A paid and refunded the same day; B paid 15.00; C paid 30.00; E paid the day after."""
    a = paid(channel, "P20240501093000AAAAAAAAA1", 2000, at(9, 30))
    refund = appointment_refund_request(
        appointment=a.appointment, actor=ACTOR, reason="cancel:patient"
    )
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.SUCCEEDED, succeeded_at=at(14, 20)
    )
    return {
        "A": a,
        "B": paid(channel, "P20240501100000BBBBBBBBB2", 1500, at(10, 2)),
        "C": paid(channel, "P20240501120000CCCCCCCCC3", 3000, at(12, 0)),
        "E": paid(
            channel, "P20240502080000EEEEEEEEE5", 900, at(8, 0, DAY.replace(day=2))
        ),
    }


def reconcile(channel: str, path: Path, date: str = "2024-05-01") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "reconcile", channel=channel, date=date, file=str(path), stdout=out, stderr=err
    )
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("channel", "bill", "fixture"),
    [("wechat", WECHAT_BILL, "wechatpay"), ("alipay", ALIPAY_BILL, "alipay")],
)
def test_a_bill_is_matched_with_the_days_orders_and_refunds(
    request, channel, bill, fixture
):
    # given
    request.getfixturevalue(fixture)
    the_days_business(channel)

    # when
    out, err = reconcile(channel, bill)

    # then
    assert out == (
        f"{channel} 2024-05-01: 2 matched, 1 missing here, 1 missing at the channel, "
        "1 amount mismatches.\n"
    )
    assert "4 rows" in err
    assert "[##############################] 4/4 rows" in err
    report = ReconciliationReport.objects.get()
    assert (report.channel, report.date, report.file_name) == (channel, DAY, bill.name)
    assert report.details == {
        "missing_locally": [
            {
                "kind": "payment",
                "key": "P20240501111500DDDDDDDDD4",
                "line": 4 if channel == "wechat" else 8,
                "bill_amount": 1000,
            }
        ],
        "missing_at_channel": [
            {
                "kind": "payment",
                "key": "P20240501120000CCCCCCCCC3",
                "local_amount": 3000,
            }
        ],
        "amount_mismatches": [
            {
                "kind": "payment",
                "key": "P20240501100000BBBBBBBBB2",
                "line": 3 if channel == "wechat" else 7,
                "bill_amount": 1400,
                "local_amount": 1500,
            }
        ],
    }


def test_running_it_twice_gives_the_same_result_and_one_report(wechatpay):
    # given
    the_days_business("wechat")
    first, _ = reconcile("wechat", WECHAT_BILL)
    report = ReconciliationReport.objects.get()

    # when
    second, _ = reconcile("wechat", WECHAT_BILL)

    # then
    assert second == first
    again = ReconciliationReport.objects.get()
    assert again.pk == report.pk
    assert again.details == report.details
    assert OperationLog.objects.filter(action="billing.reconcile").count() == 2


def test_a_clean_day_reports_everything_matched(wechatpay):
    # given: our records agree with the bill
    orders = the_days_business("wechat")
    PaymentOrder.objects.filter(pk=orders["B"].pk).update(amount=1400)
    PaymentOrder.objects.filter(pk=orders["C"].pk).update(
        paid_at=at(12, 0, DAY.replace(day=3))
    )
    paid("wechat", "P20240501111500DDDDDDDDD4", 1000, at(11, 15))

    # when
    out, _ = reconcile("wechat", WECHAT_BILL)

    # then
    assert out.startswith("wechat 2024-05-01: 4 matched, 0 missing here, 0 missing at")
    assert ReconciliationReport.objects.get().is_clean is True


def _broken(tmp_path: Path, source: Path, line: int, change, encoding="utf-8") -> Path:
    lines = source.read_bytes().decode(encoding).split("\r\n")
    lines[line - 1] = change(lines[line - 1])
    target = tmp_path / source.name
    target.write_bytes("\r\n".join(lines).encode(encoding))
    return target


@pytest.mark.parametrize(
    ("line", "change", "message"),
    [
        (
            3,
            lambda s: s.replace("`14.00", "`14.0x", 1),
            "line 3: 应结订单金额 is not an amount",
        ),
        (2, lambda s: s.rsplit(",`", 1)[0], "line 2: expected 27 fields, found 26"),
        (
            5,
            lambda s: s.replace("`REFUND", "`REVOKED"),
            "line 5: unknown 交易状态 'REVOKED'",
        ),
        (
            7,
            lambda s: "`5" + s[2:],
            "line 7: the summary counts 5 rows, the file has 4",
        ),
        (1, lambda s: s.replace("商户订单号,", ""), "line 1: header lacks 商户订单号"),
        (
            4,
            lambda s: s.lstrip("`"),
            "line 4: a detail line must start with a backtick",
        ),
    ],
    ids=[
        "bad-amount",
        "missing-field",
        "unknown-state",
        "wrong-count",
        "bad-header",
        "no-backtick",
    ],
)
def test_a_bad_wechat_bill_stops_with_its_line_and_writes_nothing(
    wechatpay, tmp_path, line, change, message
):
    # given
    the_days_business("wechat")
    bill = _broken(tmp_path, WECHAT_BILL, line, change)

    # when
    with pytest.raises(CommandError) as excinfo:
        reconcile("wechat", bill)

    # then
    assert str(excinfo.value).startswith(f"{bill.name} {message}")
    assert str(excinfo.value).endswith("Nothing was written.")
    assert ReconciliationReport.objects.exists() is False
    assert OperationLog.objects.filter(action="billing.reconcile").exists() is False


@pytest.mark.parametrize(
    ("line", "change", "message"),
    [
        (6, lambda s: s.replace("交易", "转账", 1), "line 6: unknown 业务类型 '转账'"),
        (
            7,
            lambda s: s.replace(",14.00,", ",14.001,", 1),
            "line 7: 订单金额（元） is not an amount",
        ),
        (5, lambda s: "商户订单号" + s, "line 5: expected the header line"),
        (
            9,
            lambda s: s.replace("P20240501093000AAAAAAAAA1-cancel\t", "\t"),
            "line 9: 退款批次号/请求号 is empty",
        ),
    ],
    ids=["unknown-type", "bad-amount", "bad-header", "refund-without-request-no"],
)
def test_a_bad_alipay_bill_stops_with_its_line_and_writes_nothing(
    alipay, tmp_path, line, change, message
):
    # given
    bill = _broken(tmp_path, ALIPAY_BILL, line, change, encoding="gbk")

    # when
    with pytest.raises(CommandError) as excinfo:
        reconcile("alipay", bill)

    # then
    assert str(excinfo.value).startswith(f"{bill.name} {message}")
    assert ReconciliationReport.objects.exists() is False


def test_a_row_listed_twice_is_a_bad_file(wechatpay, tmp_path):
    # given
    text = WECHAT_BILL.read_bytes().decode().split("\r\n")
    text.insert(2, text[1])
    text[-2] = "`5" + text[-2][2:]
    bill = tmp_path / "twice.csv"
    bill.write_text("\r\n".join(text), encoding="utf-8")

    # when
    with pytest.raises(CommandError) as excinfo:
        reconcile("wechat", bill)

    # then
    assert "line 3: P20240501093000AAAAAAAAA1 appears twice" in str(excinfo.value)
    assert ReconciliationReport.objects.exists() is False


def test_missing_file_and_bad_date_are_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        reconcile("wechat", tmp_path / "none.csv")
    with pytest.raises(CommandError, match="expected YYYY-MM-DD"):
        reconcile("wechat", WECHAT_BILL, date="2024/05/01")
    assert ReconciliationReport.objects.exists() is False


def test_the_wechat_reader_turns_rows_into_fen():
    rows = bills.parse_wechat_trade_bill(WECHAT_BILL.read_text(encoding="utf-8"))

    assert [(r.kind, r.key, r.amount) for r in rows] == [
        ("payment", "P20240501093000AAAAAAAAA1", 2000),
        ("payment", "P20240501100000BBBBBBBBB2", 1400),
        ("payment", "P20240501111500DDDDDDDDD4", 1000),
        ("refund", "P20240501093000AAAAAAAAA1-cancel", 2000),
    ]
    assert rows[3].channel_refund_id == "50300002024050100000000000001"


def test_the_alipay_reader_reads_gbk_and_strips_the_tabs():
    rows = bills.parse_alipay_bill(bills.read_bill_text(ALIPAY_BILL))

    assert [(r.kind, r.key, r.amount) for r in rows] == [
        ("payment", "P20240501093000AAAAAAAAA1", 2000),
        ("payment", "P20240501100000BBBBBBBBB2", 1400),
        ("payment", "P20240501111500DDDDDDDDD4", 1000),
        ("refund", "P20240501093000AAAAAAAAA1-cancel", 2000),
    ]
    assert rows[0].transaction_id == "2024050122001400000000000001"
