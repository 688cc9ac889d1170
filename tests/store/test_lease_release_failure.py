"""A run whose lease release could not be written does not lock out a resume in the same
process (a notebook, or the CLI under test, resuming after a full disk)."""

from __future__ import annotations

import pytest

from agility.errors import RunInProgress, StoreError
from agility.store import NewRun, Store, new_lease_owner, utc_now


def test_a_release_that_failed_to_write_does_not_block_this_process(store_location: str
                                                                    ) -> None:
    db = store_location
    with Store(db) as store:
        run = store.create_run(NewRun(name="r", model_spec="mock/x", tool_version="t",
                                      started_at=utc_now()))
        first, second = new_lease_owner(), new_lease_owner()
        store.take_lease(run.id, first, stale_after_s=600)
        with pytest.raises(RunInProgress):  # a live lease of this process still excludes
            store.take_lease(run.id, second, stale_after_s=600)
    with Store(db, read_only=True) as frozen, pytest.raises(StoreError):
        frozen.release_lease(run.id, first)  # the write fails, as on a full disk
    with Store(db) as store:
        assert store.require_run("r").lease_owner == first  # still recorded
        store.take_lease(run.id, second, stale_after_s=600)
        assert store.require_run("r").lease_owner == second
