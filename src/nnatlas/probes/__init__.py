"""Probes: functions of a network's features, usable on any model and as training callbacks.

* :mod:`nnatlas.probes.features`: take any layer's outputs by name (forward hooks).
* :mod:`nnatlas.probes.callbacks`: :class:`ProbeCallback`, a probe computed every epoch.
"""

from nnatlas.probes.callbacks import ProbeCallback
from nnatlas.probes.features import capture_features, extract_features, layer_names

__all__ = ["ProbeCallback", "capture_features", "extract_features", "layer_names"]
