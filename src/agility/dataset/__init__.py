"""Golden datasets: schema, JSONL/CSV/Parquet I/O, validation, import, split, freeze, stats.

>>> ds = load_dataset("golden.jsonl")          # validates; verifies a frozen file
>>> dev = ds.select(("dev",))                   # the holdout needs allow_holdout=True
>>> dev[0].prompt_messages()                    # the prompt as recorded, with its context
"""

from agility.dataset._dataset import (
    Dataset,
    freeze_dataset,
    load_dataset,
    read_examples,
    stored_examples,
    verify_dataset,
)
from agility.dataset._import import (
    PRESETS,
    ImportReport,
    Preset,
    import_dataset,
    map_row,
    parse_map,
    register_preset,
)
from agility.dataset._io import FORMATS, detect_format, read_rows, write_examples
from agility.dataset._manifest import (
    DatasetCounts,
    Manifest,
    RowDiff,
    content_hash,
    manifest_path,
)
from agility.dataset._presets import FINANCEBENCH_SYSTEM_PROMPT
from agility.dataset._schema import (
    SCHEMA_VERSION,
    GoldenExample,
    SystemUserPrompt,
    canonical_json,
    row_hash,
)
from agility.dataset._split import (
    SplitReport,
    StratumSplit,
    sample_examples,
    split_dataset,
    split_examples,
)
from agility.dataset._stats import DatasetStats, TokenEstimate, dataset_stats, estimate_tokens
from agility.dataset._turns import TURN_MARK, conversation_turns, expand_turns, turn_positions
from agility.dataset._validate import MIN_STRATUM_SIZE, validate_file

__all__ = [
    "FINANCEBENCH_SYSTEM_PROMPT",
    "FORMATS",
    "MIN_STRATUM_SIZE",
    "PRESETS",
    "SCHEMA_VERSION",
    "TURN_MARK",
    "Dataset",
    "DatasetCounts",
    "DatasetStats",
    "GoldenExample",
    "ImportReport",
    "Manifest",
    "Preset",
    "RowDiff",
    "SplitReport",
    "StratumSplit",
    "SystemUserPrompt",
    "TokenEstimate",
    "canonical_json",
    "content_hash",
    "conversation_turns",
    "dataset_stats",
    "detect_format",
    "estimate_tokens",
    "expand_turns",
    "freeze_dataset",
    "import_dataset",
    "load_dataset",
    "manifest_path",
    "map_row",
    "parse_map",
    "read_examples",
    "read_rows",
    "register_preset",
    "row_hash",
    "sample_examples",
    "split_dataset",
    "split_examples",
    "stored_examples",
    "turn_positions",
    "validate_file",
    "verify_dataset",
    "write_examples",
]
