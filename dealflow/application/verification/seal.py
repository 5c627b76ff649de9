"""The ``seal`` check: a PAdES seal is present, well formed, intact, and covers the whole file,
followed only by document timestamps that hold too; with trusted roots, its chain reaches one
and its certificate was valid at the trusted signing time. The :class:`~dealflow.ports.SealJudge`
decides (its adapter, :mod:`dealflow.adapters.seal_validation`, has the rules); the verdict
keeps who sealed, the certificate's fingerprint, the PAdES level and the trusted time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dealflow.application.verification.verdict import Findings
from dealflow.ports import SealJudge


def check_seal(
    data: bytes, judge: SealJudge, roots: Sequence[object], at: datetime | None, found: Findings
) -> None:
    """Record the ``seal`` check and the seal's facts."""
    seal = judge.judge(data, roots, at)
    found.signer = seal.signer
    found.fingerprint = seal.fingerprint
    found.seal_level = seal.level
    found.signing_time = seal.signing_time
    found.trusted = seal.trusted
    found.add("seal", seal.ok, seal.detail)
