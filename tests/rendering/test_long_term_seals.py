"""Trust, time and long-term seals, against a real CA, OCSP responder, CRL and timestamp
authority on 127.0.0.1 (:mod:`tests.pki`): a seal verifies under the root legal trusts and
fails under another; an expired certificate fails; a B-B seal fails after its certificate's
expiry while a B-LTA seal still verifies; ``seal refresh`` adds a document timestamp; bytes
no signature covers fail the seal; a TSA that cannot be reached seals nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import dealflow
from dealflow import verify_contract
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.adapters.seal_validation import judge_seal, trust_roots
from dealflow.adapters.signing import Pkcs12Sealer, make_dev_certificate, refresh_timestamp
from dealflow.application.demo import play_demo
from dealflow.domain.contract import contract_document
from tests.conftest import START, staffed
from tests.pki import PASSWORD, SEAL_EXPIRED, LocalPki, closed_port_url, running_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPki]:
    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


class Contracts:
    """One signed contract rendered once, sealed in each way the tests need."""

    def __init__(self, pki: LocalPki, folder: Path) -> None:
        service = staffed(
            dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START))
        )
        deal = play_demo(service)
        self.seal = Pkcs12Sealer(pki.seal, PASSWORD)
        document = contract_document(
            deal, events=service.store.load(deal.id), seal=self.seal.subject
        )
        self.unsealed = PdfRenderer(TemplateSet()).render(document)
        self.basic = self.seal.seal(self.unsealed)
        self.long_term_sealer = Pkcs12Sealer(pki.seal, PASSWORD, tsa=pki.tsa)
        self.long_term = self.long_term_sealer.seal(self.unsealed)
        self.expired = Pkcs12Sealer(pki.old_seal, PASSWORD).seal(self.unsealed)
        # Another key altogether: a self-signed certificate anybody can make.
        self.forged = Pkcs12Sealer(make_dev_certificate(folder / "other")).seal(self.unsealed)
        self.other_root = folder / "other" / "dev-seal.pem"
        service.close()


@pytest.fixture(scope="module")
def contracts(pki: LocalPki, tmp_path_factory: pytest.TempPathFactory) -> Contracts:
    return Contracts(pki, tmp_path_factory.mktemp("contracts"))


def seal_check(verdict: dealflow.Verdict) -> dealflow.Check:
    return next(c for c in verdict.checks if c.name == "seal")


def test_a_basic_seal_verifies_under_its_root_and_names_its_fingerprint(
    contracts: Contracts, pki: LocalPki
) -> None:
    verdict = verify_contract(contracts.basic, trust=[pki.root])
    assert verdict.ok, verdict.checks
    assert verdict.fingerprint == pki.seal_fingerprint
    assert (verdict.seal_level, verdict.signing_time, verdict.trusted) == ("B-B", None, True)
    detail = seal_check(verdict).detail
    assert pki.seal_fingerprint in detail
    assert "no trusted time" in detail
    assert "chain reaches a trusted root" in detail
    # Given as bytes (PEM or DER) as well as a path.
    der = trust_roots([pki.root])[0].dump()
    assert verify_contract(contracts.basic, trust=[der]).trusted is True


def test_without_roots_the_seal_is_judged_on_integrity_and_says_so(contracts: Contracts) -> None:
    verdict = verify_contract(contracts.basic)
    assert verdict.ok, verdict.checks
    assert verdict.trusted is None
    assert "NOT checked against trusted roots" in seal_check(verdict).detail


def test_a_seal_under_another_root_fails_naming_its_fingerprint(
    contracts: Contracts, pki: LocalPki
) -> None:
    verdict = verify_contract(contracts.basic, trust=[contracts.other_root])
    assert verdict.failed == ["seal"]
    assert verdict.trusted is False
    detail = seal_check(verdict).detail
    assert pki.seal_fingerprint in detail
    assert "does not chain to a trusted root" in detail


def test_a_contract_sealed_with_another_key_fails_once_the_genuine_root_is_trusted(
    contracts: Contracts, pki: LocalPki
) -> None:
    assert verify_contract(contracts.forged).ok  # integrity alone cannot tell
    verdict = verify_contract(contracts.forged, trust=[pki.root])
    assert verdict.failed == ["seal"]
    assert verdict.fingerprint != pki.seal_fingerprint
    assert "does not chain to a trusted root" in seal_check(verdict).detail


def test_a_certificate_expired_at_signing_fails(contracts: Contracts, pki: LocalPki) -> None:
    verdict = verify_contract(contracts.expired, trust=[pki.root])
    assert verdict.failed == ["seal"]
    assert "expired on" in seal_check(verdict).detail


def test_a_long_term_seal_has_trusted_time_and_outlives_its_certificate(
    contracts: Contracts, pki: LocalPki
) -> None:
    assert contracts.long_term_sealer.level == "B-LTA", contracts.long_term_sealer.note
    now = verify_contract(contracts.long_term, trust=[pki.root])
    assert now.ok, now.checks
    assert now.seal_level == "B-LTA"
    assert now.signing_time is not None
    assert "trusted time" in seal_check(now).detail
    # After the seal certificate's expiry: the basic seal fails, the long-term one holds.
    basic = verify_contract(contracts.basic, trust=[pki.root], at=SEAL_EXPIRED)
    assert basic.failed == ["seal"]
    assert "expired on" in seal_check(basic).detail
    later = verify_contract(contracts.long_term, trust=[pki.root], at=SEAL_EXPIRED)
    assert later.ok, later.checks


def test_seal_refresh_adds_a_document_timestamp_that_verifies(
    contracts: Contracts, pki: LocalPki
) -> None:
    roots = trust_roots([pki.root])
    refreshed = refresh_timestamp(contracts.long_term, pki.tsa, roots)
    assert refreshed.startswith(contracts.long_term)
    before, after = judge_seal(contracts.long_term, roots), judge_seal(refreshed, roots)
    assert len(after.timestamps) == len(before.timestamps) + 1 == 2
    verdict = verify_contract(refreshed, trust=[pki.root], at=SEAL_EXPIRED)
    assert verdict.ok, verdict.checks
    assert "2 document timestamp(s)" in seal_check(verdict).detail


def _signed_ranges(pdf: bytes) -> list[tuple[int, int, int, int]]:
    found = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    return [tuple(int(n) for n in r) for r in found]  # type: ignore[misc]


def test_a_document_timestamp_over_altered_bytes_fails(contracts: Contracts) -> None:
    pdf = contracts.long_term
    seal, stamp = _signed_ranges(pdf)[:2]
    # A byte the document timestamp covers but the seal does not: in the validation data
    # written between them.
    seal_end = seal[2] + seal[3]
    assert seal_end < stamp[1]
    position = pdf.index(b"/DSS", seal_end)
    tampered = bytearray(pdf)
    tampered[position + 1] = ord("X")  # /DSS becomes /XSS: still a PDF, another dictionary
    verdict = verify_contract(bytes(tampered))
    assert verdict.failed == ["seal"]
    assert "document timestamp 1" in seal_check(verdict).detail


def _unused(pdf: bytes) -> range:
    """The zero padding after the seal's signature, in its /Contents hex string."""
    _, length, resume, _ = _signed_ranges(pdf)[0]
    blob = bytes.fromhex(pdf[length + 1 : resume - 1].decode("ascii"))
    header = blob[1] & 0x7F if blob[1] & 0x80 else 0
    size = 2 + header + (int.from_bytes(blob[2 : 2 + header]) if header else blob[1])
    return range(length + 1 + 2 * size, resume - 1)


def test_bytes_written_into_the_seal_padding_fail(contracts: Contracts, pki: LocalPki) -> None:
    for pdf in (contracts.basic, contracts.long_term):
        unused = _unused(pdf)
        payload = os.urandom(2048).hex().encode()  # 4 KB of hex digits
        assert len(payload) < len(unused)
        tampered = bytearray(pdf)
        tampered[unused.start : unused.start + len(payload)] = payload
        verdict = verify_contract(bytes(tampered), trust=[pki.root])
        assert verdict.failed == ["seal"]
        assert "padding" in seal_check(verdict).detail
    # Bytes after the last signature: covered by none.
    verdict = verify_contract(contracts.basic + b"% appended\n")
    assert verdict.failed == ["seal"]
    assert "covered by no signature" in seal_check(verdict).detail


def test_an_unreachable_tsa_is_one_line_and_seals_nothing(
    contracts: Contracts, pki: LocalPki
) -> None:
    sealer = Pkcs12Sealer(pki.seal, PASSWORD, tsa=closed_port_url())
    with pytest.raises(dealflow.SealError) as raised:
        sealer.seal(contracts.unsealed)
    message = str(raised.value)
    assert "\n" not in message
    assert "timestamp authority" in message
    with pytest.raises(dealflow.SealError, match="timestamp authority"):
        refresh_timestamp(contracts.long_term, closed_port_url())


def test_a_trust_file_that_is_not_a_certificate_is_one_line(
    contracts: Contracts, tmp_path: Path
) -> None:
    text = tmp_path / "root.pem"
    text.write_text("not a certificate\n")
    with pytest.raises(dealflow.SealError, match="is not a certificate"):
        verify_contract(contracts.basic, trust=[text])
    with pytest.raises(dealflow.SealError, match="is not a certificate"):
        verify_contract(contracts.basic, trust=[b"\x30\x03\x02\x01\x01"])
    fifo = tmp_path / "fifo.pem"
    os.mkfifo(fifo)
    with pytest.raises(dealflow.SealError, match="named pipe"):
        verify_contract(contracts.basic, trust=[fifo])


# From the command line -------------------------------------------------------------------


def dealflow_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_trust_time_and_refresh_from_the_command_line(
    contracts: Contracts, pki: LocalPki, tmp_path: Path
) -> None:
    (tmp_path / "basic.pdf").write_bytes(contracts.basic)
    (tmp_path / "lta.pdf").write_bytes(contracts.long_term)
    root = str(pki.root)
    plain = dealflow_cli("verify", "basic.pdf", cwd=tmp_path, env={})
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "NOT checked against trusted roots" in plain.stdout.splitlines()[-1]
    assert pki.seal_fingerprint in plain.stdout
    trusted = dealflow_cli(
        "--json", "verify", "basic.pdf", cwd=tmp_path, env={"DEALFLOW_TRUST": root}
    )
    report = json.loads(trusted.stdout)
    assert report["ok"] and report["trusted"] is True and report["trust_checked"] is True
    assert (report["seal_level"], report["trusted_time"]) == ("B-B", False)
    assert report["fingerprint"] == pki.seal_fingerprint
    at = SEAL_EXPIRED.date().isoformat()
    expired = dealflow_cli("verify", "basic.pdf", "--trust", root, "--at", at, cwd=tmp_path, env={})
    assert expired.returncode == 1
    assert "NOT VERIFIED: failed seal" in expired.stdout
    held = dealflow_cli("verify", "lta.pdf", "--trust", root, "--at", at, cwd=tmp_path, env={})
    assert held.returncode == 0, held.stdout
    assert "PAdES-B-LTA" in held.stdout.splitlines()[-1]
    bad_at = dealflow_cli("verify", "lta.pdf", "--at", "someday", cwd=tmp_path, env={})
    assert bad_at.returncode == 2
    (tmp_path / "not.pem").write_text("hello\n")
    bad = dealflow_cli("verify", "lta.pdf", "--trust", "not.pem", cwd=tmp_path, env={})
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "error: trust file 'not.pem' is not a certificate (PEM or DER X.509 expected)"
    ]
    # seal refresh: in place, a new document timestamp that verifies.
    refreshed = dealflow_cli(
        "--tsa", pki.tsa, "--json", "seal", "refresh", "lta.pdf", "--trust", root,
        cwd=tmp_path, env={},
    )  # fmt: skip
    assert refreshed.returncode == 0, refreshed.stderr
    assert len(json.loads(refreshed.stdout)["timestamps"]) == 2
    data = (tmp_path / "lta.pdf").read_bytes()
    assert data.startswith(contracts.long_term) and len(data) > len(contracts.long_term)
    again = dealflow_cli("verify", "lta.pdf", "--trust", root, "--at", at, cwd=tmp_path, env={})
    assert again.returncode == 0, again.stdout
    no_tsa = dealflow_cli("seal", "refresh", "lta.pdf", cwd=tmp_path, env={})
    assert no_tsa.returncode == 1
    assert no_tsa.stderr.strip().splitlines() == [
        "error: seal refresh needs a timestamp authority: give --tsa URL or DEALFLOW_TSA"
    ]
    assert (tmp_path / "lta.pdf").read_bytes() == data


def test_a_contract_sealed_through_the_command_line_is_long_term_or_not_kept(
    pki: LocalPki, tmp_path: Path
) -> None:
    store = tmp_path / "deals.db"
    service = staffed(
        dealflow.DealService(dealflow.SQLiteEventStore(store), dealflow.FixedClock(START))
    )
    deal_id = play_demo(service).id
    service.close()
    env = {"DEALFLOW_CERT": str(pki.seal), "DEALFLOW_CERT_PASSWORD": PASSWORD.decode()}
    down = dealflow_cli(
        "--store", str(store), "--tsa", closed_port_url(), "contract", deal_id, "-o", "x.pdf",
        cwd=tmp_path, env=env,
    )  # fmt: skip
    assert down.returncode == 1
    (line,) = down.stderr.strip().splitlines()
    assert line.startswith("error: could not seal the contract: the timestamp authority")
    assert not (tmp_path / "x.pdf").exists()
    check = dealflow.SQLiteEventStore(store)
    try:
        assert not [name for name in check.artifacts(deal_id) if name.endswith(".pdf")]
    finally:
        check.close()
    made = dealflow_cli(
        "--store", str(store), "contract", deal_id, "-o", "c.pdf", cwd=tmp_path,
        env={**env, "DEALFLOW_TSA": pki.tsa},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "(PAdES-B-LTA)" in made.stdout.splitlines()[0]  # the level of the seal just made
    verdict = verify_contract((tmp_path / "c.pdf").read_bytes(), trust=[pki.root])
    assert verdict.ok, verdict.checks
    assert verdict.seal_level == "B-LTA"


def test_keys_dev_writes_the_certificate_to_trust(tmp_path: Path) -> None:
    made = dealflow_cli("keys", "dev", "keys", cwd=tmp_path, env={})
    assert made.returncode == 0, made.stderr
    pem = tmp_path / "keys" / "dev-seal.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert f"--trust {Path('keys') / 'dev-seal.pem'}" in made.stdout
    assert "DEALFLOW_TRUST=" in made.stdout
    # The certificate alone, the one in the PKCS#12 file: what the verifier trusts.
    sealer = Pkcs12Sealer(tmp_path / "keys" / "dev-seal.p12")
    assert trust_roots([pem])[0].subject.human_friendly == sealer.subject
