"""The use cases: load a deal's events, decide with the domain, append, and render or report.

One module per area, each a mixin of :class:`~dealflow.DealService` or a function taking one:
``service`` (the service itself, its constructor and reads), ``deals`` (the lifecycle actions),
``members`` (who acts, the roster), ``aftersales`` (commitments, claims, reviews, health),
``advising`` (the negotiation advisor), ``contracts`` (a signed version's PDF), ``audit`` (the
hash chain), ``verification`` (a contract file checked), ``template_check`` and ``demo``.
They reach storage, rendering and signing only through :mod:`dealflow.ports`; which adapter
stands behind a port is decided in :mod:`dealflow.bootstrap`.
"""
