"""No copy-paste across modules: a piece of logic two modules need lives once.

The check reads every module of ``src/nnatlas`` as tokens and fails when the same run of
``WINDOW`` code lines stands in two different modules. What it reads as code: statements and
expressions, with comments, docstrings, imports, ``__all__`` lists, function signatures and bare
class-level annotations left out, and lines that hold only keywords and punctuation (``)``,
``else:``, ``self,``) passed over, so that a constructor's argument list or a closing bracket is
never a clone. Names, strings and numbers must match to the letter: lines of the same shape with
other names (two config classes, two ``__init__`` bodies storing their arguments) are not clones.

Why six lines: it is the smallest run that a reader would move into a shared function (the
``duplicates`` tool's default too); at five, the hits are two-line loss calls and argument checks.
Within one module, variants that forward their arguments to a shared base are allowed.
"""

from __future__ import annotations

import ast
import io
import keyword
import tokenize
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "nnatlas"
WINDOW = 6
_THIN_NAMES = {"self", "cls", "None", "True", "False"}
_SKIPPED_TOKENS = (
    tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
    tokenize.ENDMARKER,
)  # fmt: skip


def _left_out(tree: ast.Module) -> set[int]:
    """Line numbers of imports, docstrings, ``__all__``, signatures and bare annotations."""
    out: set[int] = set()

    def span(node: ast.AST) -> range:
        return range(node.lineno, (node.end_lineno or node.lineno) + 1)  # type: ignore[attr-defined]

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.update(span(node))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            out.update(span(node))  # docstrings (and any other bare constant)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            out.update(span(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.update(range(node.lineno, node.body[0].lineno))  # decorators excluded above
        elif isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                    out.update(span(stmt))
    return out


def code_lines(source: str) -> list[tuple[int, str]]:
    """(line number, the line's tokens joined by spaces) for each line read as code."""
    left_out = _left_out(ast.parse(source))
    by_line: dict[int, list[tokenize.TokenInfo]] = defaultdict(list)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in _SKIPPED_TOKENS and tok.start[0] not in left_out:
            by_line[tok.start[0]].append(tok)
    out = []
    for line, toks in sorted(by_line.items()):
        thick = any(
            t.type in (tokenize.NUMBER, tokenize.STRING)
            or (
                t.type == tokenize.NAME
                and not keyword.iskeyword(t.string)
                and t.string not in _THIN_NAMES
            )
            for t in toks
        )
        if thick:
            out.append((line, " ".join(t.string for t in toks)))
    return out


def clones(sources: dict[str, str], window: int = WINDOW) -> list[list[tuple[str, int]]]:
    """The places (module, first line) of every run of ``window`` code lines in ≥ 2 modules."""
    places: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
    for name, source in sources.items():
        lines = code_lines(source)
        for i in range(len(lines) - window + 1):
            run = tuple(text for _, text in lines[i : i + window])
            places[run].append((name, lines[i][0]))
    return [p for p in places.values() if len({name for name, _ in p}) > 1]


def test_no_run_of_code_lines_is_copied_across_modules() -> None:
    sources = {
        str(p.relative_to(SRC)): p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))
    }
    found = clones(sources)
    shown = "\n  ".join(", ".join(f"{n}:{line}" for n, line in p) for p in found[:20])
    assert not found, (
        f"{len(found)} runs of {WINDOW} code lines stand in more than one module (move the "
        f"shared piece into one function):\n  {shown}"
    )


# -- the detector itself: it must catch a copy and let the allowed repetitions pass ----------

_BODY = """
    total = 0.0
    for x, y in zip(xs, ys, strict=True):
        total += (x - y) ** 2
    mean = total / len(xs)
    root = math.sqrt(mean)
    scaled = root * scale
    return scaled
"""


def test_detector_flags_a_copied_function_body() -> None:
    a = '"""A."""\nimport math\n\n\ndef rmse(xs, ys, scale):\n' + _BODY
    b = "import math\n\n\ndef other(xs, ys, scale=1.0):\n    '''Doc.'''\n" + _BODY
    (places,) = clones({"a.py": a, "b.py": b})[:1]
    assert {name for name, _ in places} == {"a.py", "b.py"}


def test_detector_needs_the_same_names_and_a_full_window() -> None:
    a = "def f(xs, ys, scale):\n" + _BODY
    renamed = "def f(xs, ys, scale):\n" + _BODY.replace("total", "acc")
    short = "def f(xs, ys, scale):\n" + "\n".join(_BODY.splitlines()[:6]) + "\n    return mean\n"
    assert clones({"a.py": a, "b.py": renamed}) == []
    assert clones({"a.py": a, "b.py": short}) == []  # five shared code lines
    assert clones({"a.py": a, "a2.py": a}, window=len(code_lines(a)) + 1) == []
    assert clones({"a.py": a + a.replace("def f", "def g")}) == []  # within one module: allowed


def test_detector_passes_over_signatures_docstrings_and_brackets() -> None:
    signature = (
        "def g(\n    self,\n    in_features: int,\n    out_features: int,\n    *,\n"
        "    bias: bool = True,\n    device: str | None = None,\n    dtype: object = None,\n"
        ") -> None:\n"
        '    """Args:\n        in_features: a.\n        out_features: b.\n        bias: c.\n'
        '        device: d.\n        dtype: e.\n    """\n'
    )
    a = signature + "    return in_features\n"
    b = signature.replace("g(", "h(") + "    return out_features\n"
    assert code_lines(a) == [(17, "return in_features")]  # the signature and docstring are out
    assert clones({"a.py": a, "b.py": b}) == []
