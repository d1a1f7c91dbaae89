"""Mask personal data in every log record: emails, phone numbers and order numbers.

- email ``maya.chen@example.com`` -> ``m***@example.com``
- phone ``+1 415 555 0123`` -> ``+* *** *** **23`` (the last 2 digits kept; found with the
  ``phonenumbers`` library, so dates and amounts are left alone)
- order number ``112-4839201-5573910`` -> ``***-*******-***3910`` (the last 4 digits kept;
  groups joined by dots or spaces likewise, their separators kept); 17 digits written together
  likewise.

:func:`install` wraps the log-record factory, so every record of the process (the library's,
the web server's access log, whose path or query string may carry an order number, ours) is
masked when it is created, whatever handlers are configured later: its message, its arguments
and its exception text. Each side calls it from its own start-up: the action server from
rasa-sdk's plugin hook (actions/logging_setup.py), the desk from ``create_app`` and its CLI.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import phonenumbers

# "@" or its URL encoding "%40" (an address in a query string).
_EMAIL = re.compile(
    r"(?<![\w.+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*?(@|%40)((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})"
)
# No digit look-behind: in a URL-encoded path "%20112-..." the order number follows "20".
# Groups joined by dashes, dots or spaces, as shoppers type them (actions/order_numbers.py).
_ORDER = re.compile(r"([0-9]{3})([-. ])([0-9]{7})([-. ])([0-9]{3})([0-9]{4})")
_ORDER_RUN = re.compile(r"[0-9]{13}([0-9]{4})(?![0-9])")
_DIGITS = re.compile(r"[0-9]")
PHONE_REGION = "US"  # numbers written without a country code are read as this region's
_MIN_PHONE_DIGITS = 7
_MARK = "_tierline_masked"


def _mask_phone(match_text: str) -> str:
    """Every digit but the last two starred; separators kept."""
    total = sum(ch.isdigit() for ch in match_text)
    seen = 0
    out = []
    for ch in match_text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - 2 else "*")
        else:
            out.append(ch)
    return "".join(out)


def _mask_phones(text: str) -> str:
    """Phone numbers found by ``phonenumbers`` (valid ones only) masked."""
    if len(_DIGITS.findall(text)) < _MIN_PHONE_DIGITS:
        return text  # fast path: most log lines hold no phone number
    pieces = []
    last = 0
    matches = phonenumbers.PhoneNumberMatcher(
        text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID
    )
    for match in matches:
        pieces.append(text[last : match.start])
        pieces.append(_mask_phone(match.raw_string))
        last = match.end
    pieces.append(text[last:])
    return "".join(pieces)


def mask(text: str) -> str:
    """``text`` with every email, phone number and order number masked."""
    text = _ORDER.sub(lambda m: f"***{m[2]}*******{m[4]}***{m[6]}", text)
    text = _ORDER_RUN.sub(lambda m: "*" * 13 + m[1], text)
    text = _EMAIL.sub(lambda m: f"{m[1]}***{m[2]}{m[3]}", text)
    return _mask_phones(text)


def _mask_arg(value: Any) -> Any:
    """A masked log argument; numbers and unchanged objects kept as they are."""
    if isinstance(value, str):
        return mask(value)
    if value is None or isinstance(value, bool | int | float):
        return value  # %d and friends keep working
    text = str(value)
    masked = mask(text)
    return value if masked == text else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the record's message, arguments and exception text in place (once)."""
    if getattr(record, _MARK, False):
        return record
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    else:
        record.msg = _mask_arg(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    setattr(record, _MARK, True)
    return record


class MaskingFilter(logging.Filter):
    """The same masking as a filter, for a handler or logger configured by hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record; never drop it."""
        mask_record(record)
        return True


def install() -> None:
    """Mask every log record this process creates from now on (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, _MARK, False):
        return
    make: Callable[..., logging.LogRecord] = current

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        """Make the record as before, then mask it."""
        return mask_record(make(*args, **kwargs))

    setattr(masked_record, _MARK, True)
    logging.setLogRecordFactory(masked_record)
