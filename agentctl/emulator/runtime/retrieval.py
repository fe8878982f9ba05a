"""Knowledge-base retrieval on the local target: project documents ranked with BM25.

A world knowledge base may list ``documents`` (files or globs relative to the project
directory, e.g. ``kb/hr/*.md``). Each file is split into chunks (Markdown sections, then
paragraphs up to ``CHUNK_WORDS`` words) and the chunks are ranked with ``rank_bm25``'s BM25Okapi,
a maintained implementation; the best-ranked chunks are returned, at most
``numberOfResults`` (5 unless the request's ``knowledgeBaseConfigurations`` says otherwise) of
the chunks sharing a term with the query.

References have Bedrock's ``RetrievedReference`` shape: ``content.text``, a ``CUSTOM`` location
whose ``customDocumentLocation.id`` is the file's project-relative path (the documents are not in
S3), and the ``x-amz-bedrock-kb-source-uri`` / ``x-amz-bedrock-kb-chunk-id`` metadata keys
Bedrock sets. Embeddings, hybrid search, filters and reranking are not emulated.

Must not: read files outside the project directory, or write anything.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from agentctl.spec.paths import files_inside

DEFAULT_RESULTS = 5
CHUNK_WORDS = 120
_TOKEN = re.compile(r"[a-z0-9]+")
# Function words carry no topic; without them short queries rank by their content words.
_STOP = frozenset("""a an and are as at be by can do does for from how i if in is it my of on or
our the to we what when where which who why will with you your me about after before""".split())


@dataclass(frozen=True)
class Chunk:
    source: str
    """Project-relative path of the file."""
    index: int
    text: str


def tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t not in _STOP]


def chunk_text(text: str, source: str) -> list[Chunk]:
    """Markdown sections (a heading starts one), split further at paragraphs past CHUNK_WORDS."""
    sections: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.lstrip().startswith("#") and any(sections[-1]):
            sections.append([])
        sections[-1].append(line)
    chunks: list[str] = []
    for sec in sections:
        paras = [p.strip() for p in "\n".join(sec).split("\n\n") if p.strip()]
        current: list[str] = []
        for p in paras:
            if current and sum(len(x.split()) for x in current) + len(p.split()) > CHUNK_WORDS:
                chunks.append("\n\n".join(current))
                current = []
            current.append(p)
        if current:
            chunks.append("\n\n".join(current))
    return [Chunk(source, i, c) for i, c in enumerate(chunks)]


def document_files(root: Path, patterns: Sequence[str]) -> list[Path]:
    return files_inside(root, patterns)


class Index:
    """The BM25 index of one knowledge base's documents."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self._bm25 = None
        if chunks:
            from rank_bm25 import BM25Okapi  # local import: numpy is only needed when retrieving

            corpus = [tokens(c.text) or ["\x00"] for c in chunks]
            self._bm25 = BM25Okapi(corpus)
            self._terms = [set(t) for t in corpus]

    def search(self, query: str, limit: int = DEFAULT_RESULTS) -> list[tuple[Chunk, float]]:
        q = tokens(query)
        if self._bm25 is None or not q:
            return []
        scores = self._bm25.get_scores(q)
        wanted = set(q)
        # Candidates share at least one query term. (Not "score > 0": BM25Okapi gives a term that
        # occurs in half the chunks or more a zero or floor idf, and a small corpus has many.)
        ranked = sorted(((float(s), i) for i, s in enumerate(scores) if wanted & self._terms[i]),
                        key=lambda x: (-x[0], x[1]))
        return [(self.chunks[i], s) for s, i in ranked[:limit]]


class Retriever:
    """Indexes per knowledge base, rebuilt when a document changes (mtime/size)."""

    def __init__(self, root: Path | None, documents: Mapping[str, Sequence[str]]):
        self.root = root
        self.documents = {k: list(v) for k, v in documents.items()}
        self._cache: dict[str, tuple[tuple, Index]] = {}
        self._lock = threading.Lock()

    def index(self, kb_id: str) -> Index:
        if self.root is None or not self.documents.get(kb_id):
            return Index([])
        files = document_files(self.root, self.documents[kb_id])
        key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        with self._lock:
            cached = self._cache.get(kb_id)
        if cached and cached[0] == key:
            return cached[1]
        chunks: list[Chunk] = []
        for f in files:
            rel = f.relative_to(self.root.resolve()).as_posix()
            try:
                chunks.extend(chunk_text(f.read_text(encoding="utf-8", errors="replace"), rel))
            except OSError:
                continue
        idx = Index(chunks)
        with self._lock:
            self._cache[kb_id] = (key, idx)
        return idx

    def retrieve(self, kb_id: str, query: str, limit: int = DEFAULT_RESULTS) -> list[dict[str, Any]]:
        return [reference(c, score) for c, score in self.index(kb_id).search(query, limit)]


def reference(chunk: Chunk, score: float) -> dict[str, Any]:
    return {
        "content": {"text": chunk.text, "type": "TEXT"},
        "location": {"type": "CUSTOM", "customDocumentLocation": {"id": chunk.source}},
        "metadata": {"x-amz-bedrock-kb-source-uri": chunk.source,
                     "x-amz-bedrock-kb-chunk-id": f"{chunk.source}#{chunk.index}",
                     "x-amz-bedrock-kb-data-source-id": "LOCAL",
                     "score": round(score, 4)},
    }
