"""Infrastructure shared by every paper: registry, claims, configs, seeding, errors, progress."""

from nnatlas.core.claims import PRESETS, Claim, Outcome, Paper, Verdict, mean_std
from nnatlas.core.config import (
    apply_overrides,
    coerce_value,
    config_from_dict,
    config_hash,
    config_to_dict,
    parse_assignments,
)
from nnatlas.core.device import current_device, resolve_device, use_device
from nnatlas.core.errors import ConfigError, MissingExtraError, NnatlasError, UnknownNameError
from nnatlas.core.optional import require
from nnatlas.core.progress import progress_bar, set_progress
from nnatlas.core.seeding import seed_everything

__all__ = [
    "PRESETS",
    "Claim",
    "ConfigError",
    "MissingExtraError",
    "NnatlasError",
    "Outcome",
    "Paper",
    "UnknownNameError",
    "Verdict",
    "apply_overrides",
    "coerce_value",
    "config_from_dict",
    "config_hash",
    "config_to_dict",
    "current_device",
    "mean_std",
    "parse_assignments",
    "progress_bar",
    "require",
    "resolve_device",
    "seed_everything",
    "set_progress",
    "use_device",
]
