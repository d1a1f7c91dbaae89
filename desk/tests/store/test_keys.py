"""The idempotency keys passed to the store (tierline_desk/store/keys.py)."""

from __future__ import annotations

from typing import Any

from tests.utils.desk import MAYA_NEW_HOME
from tierline_desk.api.schemas import AddressIn
from tierline_desk.store import keys

ORDER = "114-2093847-1122334"


def _address(**changes: Any) -> AddressIn:
    return AddressIn.model_validate({**MAYA_NEW_HOME, **changes})


def test_cancel_quantity_and_return_keys_name_the_change() -> None:
    assert keys.cancel(ORDER) == f"cancel:{ORDER}"
    assert keys.quantity(ORDER, "SKU-CF-5200", 3) == f"quantity:{ORDER}:SKU-CF-5200:3"
    assert keys.quantity(ORDER, "SKU-CF-5200", 0) != keys.quantity(ORDER, "SKU-CF-5200", 3)
    assert keys.return_request(ORDER, "SKU-CG-5100") == f"return:{ORDER}:SKU-CG-5100"


def test_address_key_is_the_order_and_a_short_hash_of_the_address() -> None:
    key = keys.address(ORDER, _address())
    prefix, number, digest = key.rsplit(":", 2)
    assert (prefix, number) == ("address", ORDER)
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert keys.address(ORDER, _address()) == key  # a retry: the same key
    assert keys.address("113-5550192-7781234", _address()) != key


def test_address_key_ignores_spacing_country_case_and_an_empty_second_line() -> None:
    same = keys.address(ORDER, _address())
    assert keys.address(ORDER, _address(line1="  500   Howard St ", country="us")) == same
    bare = keys.address(ORDER, _address(line2=None))
    assert keys.address(ORDER, _address(line2="")) == bare


def test_a_different_address_is_a_different_key() -> None:
    same = keys.address(ORDER, _address())
    for field, value in [
        ("name", "M. Chen"),
        ("line1", "501 Howard St"),
        ("line2", None),
        ("city", "Oakland"),
        ("region", "NV"),
        ("postal_code", "94107"),
        ("country", "CA"),
    ]:
        assert keys.address(ORDER, _address(**{field: value})) != same, field
    # Fields are kept apart: moving text from one line to the next is another address.
    moved = _address(line1="500 Howard St Apt", line2="4")
    assert keys.address(ORDER, moved) != same


def test_agent_action_key_uses_the_request_key_else_the_row_id() -> None:
    assert keys.agent_action(7, "6f1c-uuid", "RF-ABCD2345") == "agent:7:6f1c-uuid"
    assert keys.agent_action(8, "6f1c-uuid", "RF-ABCD2345") == "agent:8:6f1c-uuid"
    assert keys.agent_action(7, None, "RF-ABCD2345") == "RF-ABCD2345"
    assert keys.agent_action(7, "", "PC-ABCD2345") == "PC-ABCD2345"
