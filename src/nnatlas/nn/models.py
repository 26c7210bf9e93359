"""Small reference models used across the papers' experiments: an MLP and LeNet-5.

LeNet follows "Gradient-based learning applied to document recognition" (LeCun, Bottou, Bengio,
Haffner, Proc. IEEE 1998): two convolution + pooling stages, then three fully connected
layers. Deviations from the paper, as in most modern reimplementations: ReLU instead of the
scaled tanh, max pooling instead of trainable subsampling, full connectivity between the
convolution stages (no C3 connection table), a plain linear output instead of RBF units, and
optional batch normalisation. For small images (under 16 pixels, e.g. the 8x8 digits) the
default kernels are 3x3 with "same" padding so the two poolings still leave a feature map.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from nnatlas.core.validation import check_int
from nnatlas.nn._checks import check_factory_dtype, check_input, module_dtype
from nnatlas.nn.activations import ActivationSpec, activation_module

__all__ = ["MLP", "LeNet", "num_parameters"]


def num_parameters(module: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of scalar parameters of ``module`` (shared parameters counted once).

    Args:
        module: any module.
        trainable_only: count only parameters with ``requires_grad`` (the default).

    Returns:
        The total number of elements.
    """
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be an nn.Module; got {type(module).__name__}")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class MLP(nn.Module):
    """Fully connected network: ``Linear -> activation`` per hidden width, then a ``Linear``.

    Inputs of any trailing shape are flattened, so an image batch ``(batch, 1, 8, 8)`` feeds an
    ``MLP(64, ...)`` directly.

    Args:
        in_features: number of input features (product of the per-sample input shape).
        hidden: widths of the hidden layers; empty gives a linear model.
        out_features: number of outputs.
        activation: a name of :data:`nnatlas.nn.activations.ACTIVATIONS` (``"relu"``,
            ``"tanh"``, ``"gelu"``, ...), or a zero-argument factory returning an ``nn.Module``
            (e.g. ``nn.PReLU``); one instance is made per hidden layer.
        bias: whether the linear layers have biases.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(batch, *)`` with ``prod(*) == in_features``.
        - Output: ``(batch, out_features)``.

    Example:
        >>> model = MLP(64, [128, 128], 10)
        >>> model(torch.randn(32, 1, 8, 8)).shape
        torch.Size([32, 10])
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int,
        *,
        activation: ActivationSpec = "relu",
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_features = check_int("in_features", in_features)
        self.out_features = check_int("out_features", out_features)
        if isinstance(hidden, int | str) or not isinstance(hidden, Sequence):
            raise ValueError(f"hidden must be a sequence of layer widths; got {hidden!r}")
        self.hidden = tuple(check_int(f"hidden[{i}]", h) for i, h in enumerate(hidden))
        self.bias = bias
        factory, self.activation_name = activation_module(activation)
        widths = (self.in_features, *self.hidden, self.out_features)
        layers: list[nn.Module] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(widths)):
            layers.append(nn.Linear(fan_in, fan_out, bias=bias, device=device, dtype=dtype))
            if i < len(self.hidden):
                # A user factory knows nothing of device/dtype; parametric activations
                # (e.g. PReLU) must still match the linear layers.
                layers.append(factory().to(device=device, dtype=dtype))
        self.layers = nn.Sequential(*layers)

    def reset_parameters(self) -> None:
        """Re-initialise every layer with its PyTorch default initialisation."""
        for layer in self.layers:
            reset = getattr(layer, "reset_parameters", None)
            if callable(reset):
                reset()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the network.

        Args:
            x: ``(batch, *)`` with ``prod(*) == in_features``.

        Returns:
            ``(batch, out_features)``.
        """
        check_input("MLP", x, dtype=module_dtype(self))
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(
                f"MLP expects input (batch, *) with {self.in_features} features per sample; "
                f"got shape {tuple(x.shape)}"
            )
        return self.layers(x.flatten(1))

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, hidden={self.hidden}, "
            f"out_features={self.out_features}, activation={self.activation_name}, "
            f"bias={self.bias}"
        )


class LeNet(nn.Module):
    """LeNet-5: ``(conv -> [BN] -> act -> 2x2 max-pool) x 2 -> (Linear -> act) x 2 -> Linear``.

    The flattened size after the convolutions is found by a forward pass on a zero image, so
    any image size that survives the two poolings works. Defaults by ``image_size``:

    * at least 16 (MNIST 28x28, CIFAR/padded-MNIST 32x32): 5x5 kernels, no padding, as in the
      paper (28 -> 24 -> 12 -> 8 -> 4, so ``16 * 4 * 4 = 256`` features);
    * below 16 (the 8x8 digits): 3x3 kernels, padding 1 (8 -> 8 -> 4 -> 4 -> 2).

    Args:
        in_channels: input channels (1 for grey-scale).
        num_classes: number of outputs.
        image_size: input height and width, one int for square images.
        channels: output channels of the two convolutions.
        hidden: widths of the two hidden fully connected layers (any number of them works).
        kernel_size: convolution kernel size; defaults as above.
        padding: convolution padding; defaults as above.
        batch_norm: add ``BatchNorm2d`` after each convolution (whose bias is then dropped).
        activation: as in :class:`MLP`.
        device: device of the parameters.
        dtype: dtype of the parameters.

    Shape:
        - Input: ``(batch, in_channels, height, width)``.
        - Output: ``(batch, num_classes)``.

    Raises:
        ValueError: on non-positive sizes, or an image too small for the kernels and poolings.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 10,
        *,
        image_size: int | tuple[int, int] = 28,
        channels: Sequence[int] = (6, 16),
        hidden: Sequence[int] = (120, 84),
        kernel_size: int | None = None,
        padding: int | None = None,
        batch_norm: bool = False,
        activation: ActivationSpec = "relu",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        check_factory_dtype(dtype)
        super().__init__()
        self.in_channels = check_int("in_channels", in_channels)
        self.num_classes = check_int("num_classes", num_classes)
        if not isinstance(image_size, int | Sequence) or isinstance(image_size, str | bool):
            raise TypeError(f"image_size must be an int or (height, width); got {image_size!r}")
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(size) != 2:
            raise ValueError(f"image_size must be an int or (height, width); got {image_size!r}")
        self.image_size = (
            check_int("image_size", size[0]),
            check_int("image_size", size[1]),
        )
        if not isinstance(channels, Sequence) or isinstance(channels, str) or len(channels) != 2:
            raise ValueError(f"channels must hold two channel counts; got {channels!r}")
        self.channels = (
            check_int("channels[0]", channels[0]),
            check_int("channels[1]", channels[1]),
        )
        small = min(self.image_size) < 16
        self.kernel_size = check_int(
            "kernel_size", kernel_size if kernel_size is not None else (3 if small else 5)
        )
        if padding is None:
            padding = self.kernel_size // 2 if small else 0
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"padding must be a non-negative integer; got {padding!r}")
        self.padding = padding
        self.batch_norm = batch_norm
        factory, self.activation_name = activation_module(activation)

        features: list[nn.Module] = []
        fan_in = self.in_channels
        for fan_out in self.channels:
            features.append(
                nn.Conv2d(
                    fan_in,
                    fan_out,
                    self.kernel_size,
                    padding=self.padding,
                    bias=not batch_norm,
                    device=device,
                    dtype=dtype,
                )
            )
            if batch_norm:
                features.append(nn.BatchNorm2d(fan_out, device=device, dtype=dtype))
            features += [factory().to(device=device, dtype=dtype), nn.MaxPool2d(2)]
            fan_in = fan_out
        self.features = nn.Sequential(*features)
        self.flatten_size = self._dry_run_size(device, dtype)

        if not isinstance(hidden, Sequence) or isinstance(hidden, str):
            raise TypeError(f"hidden must be a sequence of layer widths; got {hidden!r}")
        widths = (self.flatten_size, *(check_int("hidden", h) for h in hidden))
        classifier: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            classifier += [
                nn.Linear(a, b, device=device, dtype=dtype),
                factory().to(device=device, dtype=dtype),
            ]
        classifier.append(nn.Linear(widths[-1], self.num_classes, device=device, dtype=dtype))
        self.hidden = widths[1:]
        self.classifier = nn.Sequential(*classifier)

    def _dry_run_size(self, device: torch.device | str | None, dtype: torch.dtype | None) -> int:
        """Flattened size of ``features`` on one zero image (in eval mode: BN stats untouched)."""
        probe = torch.zeros(1, self.in_channels, *self.image_size, device=device, dtype=dtype)
        try:
            with torch.no_grad():
                self.features.eval()
                out = self.features(probe)
        except RuntimeError as exc:
            raise ValueError(
                f"image_size={self.image_size} is too small for kernel_size={self.kernel_size}, "
                f"padding={self.padding} and two 2x2 max-poolings ({exc})"
            ) from None
        finally:
            self.features.train()
        if out.numel() == 0:
            raise ValueError(
                f"image_size={self.image_size} is too small for kernel_size={self.kernel_size}, "
                f"padding={self.padding} and two 2x2 max-poolings: no features are left"
            )
        return int(out[0].numel())

    def reset_parameters(self) -> None:
        """Re-initialise every layer with its PyTorch default initialisation."""
        for layer in (*self.features, *self.classifier):
            reset = getattr(layer, "reset_parameters", None)
            if callable(reset):
                reset()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Classify a batch of images.

        Args:
            x: ``(batch, in_channels, height, width)`` matching ``image_size``.

        Returns:
            Logits, ``(batch, num_classes)``.
        """
        check_input("LeNet", x, dtype=module_dtype(self))
        expected = (self.in_channels, *self.image_size)
        if x.ndim != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"LeNet expects input (batch, {', '.join(map(str, expected))}); "
                f"got shape {tuple(x.shape)}"
            )
        return self.classifier(self.features(x).flatten(1))

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, num_classes={self.num_classes}, "
            f"image_size={self.image_size}, kernel_size={self.kernel_size}, "
            f"padding={self.padding}, flatten_size={self.flatten_size}, "
            f"batch_norm={self.batch_norm}, activation={self.activation_name}"
        )
