"""One real Medusa for the whole session (tests/helpers/medusa_server.py), seeded once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.medusa_server import MedusaServer, running_medusa

# Starting Medusa (migrations included) and seeding it take minutes on a busy machine; the
# session fixture's set-up runs inside whichever test asks first.
MEDUSA_TIMEOUT = 1200


@pytest.fixture(scope="session")
def medusa() -> Iterator[MedusaServer]:
    with running_medusa() as server:
        yield server


@pytest.fixture(scope="session")
def seeded_medusa(medusa: MedusaServer) -> MedusaServer:
    medusa.seed_result = medusa.seed()
    print(f"\nmedusa seeded in {medusa.seed_seconds:.1f} s: {medusa.seed_result.summary()}")
    return medusa
