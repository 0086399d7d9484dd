import pytest

from billing.services.refunds import refund_kind_for_reason


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("cancel:patient", "cancel"),
        ("cancel:staff:late", "cancel"),  # only the part before the first colon
        ("stop_clinic", "stop_clinic"),
        (" stop_clinic ", "stop_clinic"),
        ("Cancel:patient", "other"),  # kinds are lower-case words
        ("bogus:patient", "other"),  # a word, but not a kind
        ("", "other"),
    ],
)
def test_a_refunds_kind_is_the_known_word_before_the_first_colon(reason, kind):
    assert refund_kind_for_reason(reason) == kind
