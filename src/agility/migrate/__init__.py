"""Migration plans, the ``migrate`` pipeline, ``init`` and the offline ``demo``."""

from agility.migrate._demo import EXAMPLES, copy_example, example_path, run_demo, subset_rows
from agility.migrate._init import (
    STARTER_CRITERIA,
    STARTER_PLAN,
    STARTER_PROMPT,
    write_starter_files,
    write_starter_plan,
)
from agility.migrate._pipeline import MigrationResult, migrate
from agility.migrate._plan import (
    CandidateSpec,
    DatasetSpec,
    Plan,
    PortSpec,
    PriceSpec,
    RetrieverSpec,
    ReviewSpec,
    load_plan,
    parse_plan,
)

__all__ = [
    "EXAMPLES",
    "STARTER_CRITERIA",
    "STARTER_PLAN",
    "STARTER_PROMPT",
    "CandidateSpec",
    "DatasetSpec",
    "MigrationResult",
    "Plan",
    "PortSpec",
    "PriceSpec",
    "RetrieverSpec",
    "ReviewSpec",
    "copy_example",
    "example_path",
    "load_plan",
    "migrate",
    "parse_plan",
    "run_demo",
    "subset_rows",
    "write_starter_files",
    "write_starter_plan",
]
