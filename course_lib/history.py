"""The per-epoch record of a training run, as ``fit`` returns it."""

from dataclasses import dataclass, field

__all__ = ["History"]


@dataclass
class History:
    """Per-epoch records of one training run; index 0 is epoch 1.

    loss, metric: the training loss and metric of each epoch
    val_loss, val_metric: the same on the validation data, measured after the epoch
    stopped: why training stopped early (a non-finite loss), or None
    """

    loss: list = field(default_factory=list)
    metric: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_metric: list = field(default_factory=list)
    metric_name: str = ""
    stopped: str | None = None

    @property
    def epochs(self):
        return len(self.loss)
