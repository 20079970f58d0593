"""The project's exceptions: every error carbonsim raises on purpose derives from CarbonsimError."""

from __future__ import annotations

__all__ = ["CarbonsimError", "InvariantError", "RunError"]


class CarbonsimError(Exception):
    """Base class of carbonsim's own errors (bad scenarios, unknown plug-ins, failed runs)."""


class RunError(CarbonsimError):
    """A run could not be completed (e.g. an infeasible equilibrium); the message says why."""


class InvariantError(CarbonsimError):
    """An accounting invariant was broken: an allowance, offset or unit of cash went missing.

    This is a bug in carbonsim, never the user's fault; the message names the quantities.
    """
