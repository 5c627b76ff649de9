"""Time-dependent concession tactics (Faratin, Sierra & Jennings 1998).

The target utility at time ``t`` of a negotiation with deadline ``T`` is::

    u(t) = u_max - (u_max - u_res) * (t / T) ** (1 / e)

from ``u_max`` at ``t = 0`` down to the reservation utility ``u_res`` at the deadline. The
exponent ``e`` shapes the curve: Boulware (``e < 1``) holds out and concedes late, linear
(``e = 1``) concedes evenly, conceder (``e > 1``) concedes early. Time is whatever the caller
counts, elapsed days or rounds, in the same unit for ``t`` and ``T``.
"""

from __future__ import annotations

import math

from dealflow.domain.policy import Tactic

#: The exponent ``e`` of each named tactic. Boulware and conceder are reciprocal: the
#: conceder's curve is the Boulware's reflected through the linear one.
EXPONENTS: dict[Tactic, float] = {
    Tactic.BOULWARE: 0.5,
    Tactic.LINEAR: 1.0,
    Tactic.CONCEDER: 2.0,
}


def exponent(tactic: Tactic | float) -> float:
    """The exponent ``e`` of a named tactic (or its name), or ``tactic`` itself if it is a
    positive, finite number."""
    if isinstance(tactic, str):
        return EXPONENTS[Tactic(tactic)]
    e = float(tactic)
    if not (math.isfinite(e) and e > 0):
        raise ValueError(f"a tactic's exponent must be a positive number, not {tactic!r}")
    return e


def target_utility(
    t: float,
    deadline: float,
    tactic: Tactic | float,
    *,
    u_res: float,
    u_max: float = 1.0,
) -> float:
    """The target utility at time ``t`` before ``deadline`` (same unit), for a named tactic
    or an exponent ``e``: ``u_max - (u_max - u_res) * (t / deadline) ** (1 / e)``.

    ``t`` is clamped to [0, deadline]: before the start the target is ``u_max``, at and after
    the deadline ``u_res``. Needs ``deadline > 0`` and ``0 <= u_res <= u_max <= 1``. The
    target never increases with ``t`` and never leaves [u_res, u_max].
    """
    if not (math.isfinite(deadline) and deadline > 0):
        raise ValueError(f"the deadline must be a positive number, not {deadline!r}")
    if not 0.0 <= u_res <= u_max <= 1.0:
        raise ValueError(f"need 0 <= u_res <= u_max <= 1, not u_res={u_res}, u_max={u_max}")
    e = exponent(tactic)
    if math.isnan(t):
        raise ValueError("the time must be a number, not NaN")
    if t <= 0:
        return u_max
    if t >= deadline:
        return u_res
    target = u_max - (u_max - u_res) * math.pow(t / deadline, 1.0 / e)
    return min(u_max, max(u_res, target))
