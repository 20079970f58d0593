"""carbonsim: a discrete-event simulator of carbon-allowance trading (emissions trading systems)."""

__version__ = "0.1.0"
