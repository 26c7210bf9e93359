"""Names ``nnatlas.train.noprop`` exports beside what ``nnatlas.train`` re-exports."""

COVERED: set[str] = set()
EXEMPT = {"EmbeddingKind": "a type alias (Literal of the label-embedding kinds)"}
