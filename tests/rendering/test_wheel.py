"""The built wheel carries the templates, fonts and clauses: installed (not editable) in a fresh
virtual environment, it renders the signed sample contract from an unrelated folder."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from pypdf import PdfReader

REPO = Path(__file__).parents[2]


def test_an_installed_wheel_renders_a_contract_from_any_folder(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = wheels.glob("dealflow-*.whl")
    # The dependencies come from the test run's own environment (a path file appends its
    # site-packages after the new environment's); dealflow itself only from the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    own = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    outer = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(own) / "outer-environment.pth").write_text("\n".join(sorted(outer)) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import dealflow.files.clauses as c; print(c.builtin_templates())",
        ],
        cwd=elsewhere,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert Path(where).is_relative_to(env_dir)
    assert (Path(where) / "fonts" / "LiberationSerif-Regular.ttf").is_file()
    demo = subprocess.run(
        [str(env_dir / "bin" / "dealflow"), "demo", "-o", "."],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    (pdf,) = elsewhere.glob("*.pdf")
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "PERJANJIAN JUAL BELI" in text
