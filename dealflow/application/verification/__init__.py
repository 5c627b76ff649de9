"""Verify a contract PDF: is it exactly what both parties signed?

:func:`verify_contract` runs named checks and never raises for a bad file: each check says
what holds and what does not. One module per check:

- ``pdf`` (:mod:`~.pdf`): the file is a readable, unencrypted PDF.
- ``contract`` (:mod:`~.contract`): it is a dealflow contract (its number, deal, version and
  terms hash in the metadata, the terms embedded as ``terms.json``), and a signed one, not a
  draft.
- ``agreement`` (:mod:`~.agreement`; ``terms`` for a contract made before agreement hashes):
  what was signed is canonical and hashes to the hash in the metadata, printed in the
  recitals and at the foot of every page.
- ``seal`` (:mod:`~.seal`): a PAdES seal is present, well formed (nothing but its signature in
  its ``/Contents``), intact, and covers the whole file, followed only by document timestamps
  that hold too; names the signer, the certificate's SHA-256 fingerprint, the PAdES level
  and the trusted time; with trusted roots, the chain reaches one and the certificate was
  valid at the trusted signing time (:mod:`dealflow.adapters.seal_validation` has the rules).
- ``signatures`` (:mod:`~.signatures`): the embedded evidence records a signature by each side
  on that hash.
- ``store`` (:mod:`~.store`, given a service): the deal's signed version has that hash; its
  events give the same evidence as the PDF; no signature was recorded afterwards; the store
  keeps this very file for that version.

:mod:`~.verdict` holds what they find (:class:`Verdict`, :class:`Check`), :mod:`~.verify` runs
them. The file is read through the ports :class:`~dealflow.ports.ContractInspector` and
:class:`~dealflow.ports.SealJudge`, which :mod:`dealflow.bootstrap` supplies. A damaged file
never makes it raise: whatever the PDF and signature libraries raise while a check reads the
file (the adapters raise it as DamagedPdfError) fails that check, with the library's message on
one line. A file larger than :data:`MAX_CONTRACT_BYTES` fails ``pdf`` unread.
"""

from dealflow.application.verification.pdf import MAX_CONTRACT_BYTES
from dealflow.application.verification.verdict import Check, Verdict
from dealflow.application.verification.verify import verify_contract

__all__ = ["MAX_CONTRACT_BYTES", "Check", "Verdict", "verify_contract"]
