"""Readers for the channels' daily bills (对账单). Pure functions: text in, rows out.

A file that does not look exactly like a bill stops the reader with BillError, which names
the line and the reason; nothing is guessed.

WeChat Pay trade bill (交易账单, type ALL): a header line, detail lines whose every field is
prefixed with a backtick (so spreadsheets keep long numbers), then a summary header
("总交易单数,...") and one summary line. Payments have 交易状态 SUCCESS, refunds REFUND.

Alipay business detail bill (业务明细): "#" comment lines before and after, a header line
starting with 支付宝交易号, detail lines whose text fields end with a tab. 业务类型 is 交易
for a payment and 退款 for a refund (whose amounts are negative).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from common.money import InvalidAmount, yuan_to_fen

PAYMENT = "payment"
REFUND = "refund"


class BillError(ValueError):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class BillRow:
    line: int
    kind: str  # PAYMENT or REFUND
    out_trade_no: str
    transaction_id: str
    amount: int  # fen, positive
    out_refund_no: str = ""
    channel_refund_id: str = ""

    @property
    def key(self) -> str:
        return self.out_refund_no if self.kind == REFUND else self.out_trade_no


def read_bill_text(path: Path) -> str:
    """Bills come as UTF-8 (WeChat) or GBK (Alipay's download); a BOM is dropped."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise BillError(1, "the file is neither UTF-8 nor GBK text") from None


def _numbered(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        yield number, line.rstrip("\r")


def _amount(value: str, *, line: int, column: str, allow_negative: bool = False) -> int:
    try:
        return yuan_to_fen(value, allow_negative=allow_negative)
    except InvalidAmount:
        raise BillError(line, f"{column} is not an amount: {value!r}") from None


def _columns(
    header: list[str], required: tuple[str, ...], *, line: int
) -> dict[str, int]:
    index = {name: position for position, name in enumerate(header)}
    missing = [name for name in required if name not in index]
    if missing:
        raise BillError(line, f"header lacks {', '.join(missing)}")
    return index


# -- WeChat Pay ---------------------------------------------------------------------------

_WECHAT_REQUIRED = (
    "交易时间",
    "微信订单号",
    "商户订单号",
    "交易状态",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
)
_WECHAT_SUMMARY_PREFIX = "总交易单数"
# Every money column is checked, even those not matched, so a damaged file cannot pass.
_WECHAT_AMOUNTS = (
    "应结订单金额",
    "总金额",
    "代金券金额",
    "退款金额",
    "充值券退款金额",
    "订单金额",
    "申请退款金额",
)


def parse_wechat_trade_bill(text: str) -> list[BillRow]:
    rows: list[BillRow] = []
    lines = [(n, line) for n, line in _numbered(text) if line.strip()]
    if not lines:
        raise BillError(1, "the file is empty")
    header_line, header_text = lines[0]
    header = [field.strip() for field in header_text.split(",")]
    index = _columns(header, _WECHAT_REQUIRED, line=header_line)
    # The order amount before coupons: 订单金额 in API v3 bills, 总金额 in older ones.
    amount_column = next(
        (name for name in ("订单金额", "总金额", "应结订单金额") if name in index), None
    )
    if amount_column is None:
        raise BillError(header_line, "header lacks 订单金额")

    summary_at = None
    for position, (number, line) in enumerate(lines[1:], start=1):
        if line.startswith(_WECHAT_SUMMARY_PREFIX):
            summary_at = position
            break
        if not line.startswith("`"):
            raise BillError(number, "a detail line must start with a backtick")
        fields = line[1:].split(",`")
        if len(fields) != len(header):
            raise BillError(
                number, f"expected {len(header)} fields, found {len(fields)}"
            )
        rows.append(_wechat_row(number, fields, index, amount_column))

    if summary_at is None:
        raise BillError(lines[-1][0], "the summary lines (总交易单数) are missing")
    if summary_at + 1 >= len(lines):
        raise BillError(lines[summary_at][0], "the summary values line is missing")
    number, values = lines[summary_at + 1]
    count = values.split(",")[0].lstrip("`").strip()
    if not count.isdigit() or int(count) != len(rows):
        raise BillError(
            number, f"the summary counts {count} rows, the file has {len(rows)}"
        )
    return rows


def _wechat_row(
    number: int, fields: list[str], index: dict[str, int], amount_column: str
) -> BillRow:
    def field(name: str) -> str:
        return fields[index[name]].strip()

    for column in _WECHAT_AMOUNTS:
        if column in index:
            _amount(field(column), line=number, column=column)
    state = field("交易状态")
    if state == "SUCCESS":
        if not field("商户订单号"):
            raise BillError(number, "商户订单号 is empty")
        return BillRow(
            line=number,
            kind=PAYMENT,
            out_trade_no=field("商户订单号"),
            transaction_id=field("微信订单号"),
            amount=_amount(field(amount_column), line=number, column=amount_column),
        )
    if state == "REFUND":
        if not field("商户退款单号"):
            raise BillError(number, "商户退款单号 is empty")
        return BillRow(
            line=number,
            kind=REFUND,
            out_trade_no=field("商户订单号"),
            transaction_id=field("微信订单号"),
            amount=_amount(field("退款金额"), line=number, column="退款金额"),
            out_refund_no=field("商户退款单号"),
            channel_refund_id=field("微信退款单号"),
        )
    raise BillError(number, f"unknown 交易状态 {state!r}")


# -- Alipay -------------------------------------------------------------------------------

_ALIPAY_HEADER_START = "支付宝交易号"
_ALIPAY_REQUIRED = ("支付宝交易号", "商户订单号", "业务类型", "订单金额（元）")


def parse_alipay_bill(text: str) -> list[BillRow]:
    rows: list[BillRow] = []
    header: list[str] | None = None
    index: dict[str, int] = {}
    last = 0
    for number, line in _numbered(text):
        last = number
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split(",")]
        if header is None:
            if not line.startswith(_ALIPAY_HEADER_START):
                raise BillError(number, "expected the header line (支付宝交易号,...)")
            header = fields
            index = _columns(header, _ALIPAY_REQUIRED, line=number)
            continue
        if len(fields) != len(header):
            raise BillError(
                number, f"expected {len(header)} fields, found {len(fields)}"
            )
        rows.append(_alipay_row(number, fields, index))
    if header is None:
        raise BillError(max(last, 1), "no header line (支付宝交易号,...) found")
    return rows


def _alipay_row(number: int, fields: list[str], index: dict[str, int]) -> BillRow:
    def field(name: str) -> str:
        return fields[index[name]] if name in index else ""

    kind = field("业务类型")
    if not field("商户订单号"):
        raise BillError(number, "商户订单号 is empty")
    if kind == "交易":
        return BillRow(
            line=number,
            kind=PAYMENT,
            out_trade_no=field("商户订单号"),
            transaction_id=field("支付宝交易号"),
            amount=_amount(
                field("订单金额（元）"), line=number, column="订单金额（元）"
            ),
        )
    if kind == "退款":
        request_no = field("退款批次号/请求号")
        if not request_no:
            raise BillError(number, "退款批次号/请求号 is empty")
        amount = _amount(
            field("订单金额（元）"),
            line=number,
            column="订单金额（元）",
            allow_negative=True,
        )
        return BillRow(
            line=number,
            kind=REFUND,
            out_trade_no=field("商户订单号"),
            transaction_id=field("支付宝交易号"),
            amount=abs(amount),
            out_refund_no=request_no,
        )
    raise BillError(number, f"unknown 业务类型 {kind!r}")


PARSERS = {"wechat": parse_wechat_trade_bill, "alipay": parse_alipay_bill}
