"""RNN Gradient Flow's compute engine: exact log-space BPTT for RNN, LSTM and GRU."""

from .cancel import Cancelled
from .config import ConfigError, Limits, SimConfig
from .engine import simulate, sweep
from .result import SimResult, SweepResult

__version__ = "0.1.0"

__all__ = [
    "Cancelled",
    "ConfigError",
    "Limits",
    "SimConfig",
    "SimResult",
    "SweepResult",
    "__version__",
    "simulate",
    "sweep",
]
