"""The negotiation advisor's math: utilities, concession tactics, counter-offers, AC-next,
simulated negotiations and the Pareto frontier. Pure functions over floats; it imports only
the standard library, pydantic and the policy's preference types.
"""

from dealflow.domain.advisor.offers import (
    Advice,
    Negotiator,
    accept_next,
    next_offer,
)
from dealflow.domain.advisor.pareto import distance_to_frontier, pareto_frontier
from dealflow.domain.advisor.scenario import Scenario, reference_scenario
from dealflow.domain.advisor.simulation import Agreement, Move, SimulationResult, simulate
from dealflow.domain.advisor.space import Issue, IssueSpace, Outcome
from dealflow.domain.advisor.tactics import EXPONENTS, exponent, target_utility

__all__ = [
    "EXPONENTS",
    "Advice",
    "Agreement",
    "Issue",
    "IssueSpace",
    "Move",
    "Negotiator",
    "Outcome",
    "Scenario",
    "SimulationResult",
    "accept_next",
    "distance_to_frontier",
    "exponent",
    "next_offer",
    "pareto_frontier",
    "reference_scenario",
    "simulate",
    "target_utility",
]
