"""`agility export` on a full disk (a small tmpfs): the earlier export survives whole."""

from __future__ import annotations

import pytest

from agility.errors import UsageError
from agility.runner import export_run
from agility.store import NewRun, ResultRecord, Store


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_that_does_not_fit_keeps_the_earlier_file(tiny_disk: object, tmp_store: Store,
                                                            fmt: str) -> None:
    run = tmp_store.create_run(NewRun(name="bench", model_spec="mock/echo",
                                         tool_version="t", started_at="t0"))
    tmp_store.save_results(run.id, [ResultRecord(example_id=f"q{i}", output="y" * 4000)
                                    for i in range(400)])
    out = tiny_disk.path / f"bench.{fmt}"  # type: ignore[attr-defined]
    out.write_bytes(b"an earlier, smaller export")
    tiny_disk.fill()  # type: ignore[attr-defined]
    with pytest.raises(UsageError) as caught:
        export_run(tmp_store, "bench", fmt, out)
    assert out.read_bytes() == b"an earlier, smaller export"
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
    assert "the disk is full" in str(caught.value)
