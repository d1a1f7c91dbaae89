"""get_store(): the adapter named by STORE, built once, nothing done at import time."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from tests.utils.desk import unset_env
from tierline_desk.settings import DESK_DIR, Settings, SettingsError, get_settings
from tierline_desk.store import get_store, reset_store
from tierline_desk.store.builtin import BuiltinStore

ADAPTER_MODULE = "tierline_desk.store.medusa.adapter"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    unset_env(
        monkeypatch, ("STORE", "MEDUSA_API_KEY", "MEDUSA_ADMIN_EMAIL", "MEDUSA_ADMIN_PASSWORD")
    )
    get_settings.cache_clear()
    reset_store()
    yield monkeypatch
    reset_store()
    get_settings.cache_clear()


def _medusa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORE", "medusa")
    monkeypatch.setenv("MEDUSA_API_KEY", "sk_test")
    get_settings.cache_clear()


def test_builtin_by_default_built_once(fresh: pytest.MonkeyPatch) -> None:
    store = get_store()
    assert isinstance(store, BuiltinStore) and store.name == "builtin"
    assert get_store() is store
    reset_store()
    assert get_store() is not store


def test_medusa_without_its_adapter_is_a_clear_settings_error(fresh: pytest.MonkeyPatch) -> None:
    _medusa(fresh)
    fresh.setitem(sys.modules, ADAPTER_MODULE, None)  # importing it raises ImportError
    with pytest.raises(SettingsError, match="medusa adapter is not available"):
        get_store()


class _FakeMedusa:
    name = "medusa"
    built_with: ClassVar[list[Settings]] = []
    closed = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> _FakeMedusa:
        cls.built_with.append(settings)
        return cls()

    def close(self) -> None:
        type(self).closed += 1


def test_medusa_is_built_from_the_settings_and_closed_on_reset(
    fresh: pytest.MonkeyPatch,
) -> None:
    _medusa(fresh)
    module: Any = types.ModuleType(ADAPTER_MODULE)
    module.MedusaStore = _FakeMedusa
    fresh.setitem(sys.modules, ADAPTER_MODULE, module)
    store = get_store()
    assert isinstance(store, _FakeMedusa)
    assert _FakeMedusa.built_with == [get_settings()]
    assert get_store() is store
    reset_store()
    assert _FakeMedusa.closed == 1


def test_importing_the_store_does_nothing() -> None:
    code = (
        "import tierline_desk.store as store\n"
        "from tierline_desk.settings import get_settings\n"
        "assert store._store is None\n"
        "assert get_settings.cache_info().currsize == 0\n"
        "assert 'tierline_desk.store.builtin' not in __import__('sys').modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=DESK_DIR, check=True, timeout=60)


def test_the_desk_does_not_start_without_its_store_adapter(
    fresh: pytest.MonkeyPatch, db: str
) -> None:
    from tierline_desk.main import create_app

    _medusa(fresh)
    fresh.setitem(sys.modules, ADAPTER_MODULE, None)
    with pytest.raises(SettingsError, match="medusa adapter is not available"):
        create_app()
