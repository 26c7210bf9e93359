"""Infrastructure every layer stands on: claims and verdict rules, configs, seeding, errors, I/O,
the on-disk cache, progress and devices. ``core`` imports nothing else of nnatlas."""

from nnatlas.core.cache import CACHE_ENV, cache_dir, cached_module, cached_tensors
from nnatlas.core.claims import PRESETS, Claim, Metrics, Outcome, Paper, Verdict, mean_std, presets
from nnatlas.core.config import (
    ClaimConfig,
    Domain,
    apply_overrides,
    coerce_value,
    config_from_dict,
    config_hash,
    config_to_dict,
    ensure,
    param,
    parse_assignments,
    validate_config,
)
from nnatlas.core.device import current_device, resolve_device, use_device
from nnatlas.core.errors import (
    ConfigError,
    MissingExtraError,
    NnatlasError,
    StorageError,
    UnknownNameError,
)
from nnatlas.core.optional import require
from nnatlas.core.progress import progress_bar, set_progress
from nnatlas.core.seeding import seed_everything

__all__ = [
    "CACHE_ENV",
    "PRESETS",
    "Claim",
    "ClaimConfig",
    "ConfigError",
    "Domain",
    "Metrics",
    "MissingExtraError",
    "NnatlasError",
    "Outcome",
    "Paper",
    "StorageError",
    "UnknownNameError",
    "Verdict",
    "apply_overrides",
    "cache_dir",
    "cached_module",
    "cached_tensors",
    "coerce_value",
    "config_from_dict",
    "config_hash",
    "config_to_dict",
    "current_device",
    "ensure",
    "mean_std",
    "param",
    "parse_assignments",
    "presets",
    "progress_bar",
    "require",
    "resolve_device",
    "seed_everything",
    "set_progress",
    "use_device",
    "validate_config",
]
