"""How templates are compiled: each block's output is joined once where it is called, and
each `{{ … }}` is escaped to a plain string.

Jinja compiles a template to generators and, outside a buffer, calls a block or a parent
template with `yield from`, so every piece of text a block writes (a few thousand on a table
page: each `{{ … }}` and each run of markup) is handed up through every enclosing block and
the base template's root, one generator frame at a time. Joining a block's pieces where it
is called hands each piece up once: a page of thirty audit cards renders in about 15 % less
CPU, and the output is the same string. Templates are never streamed here (render_template
joins the whole page), so nothing is lost by it.

This is Jinja's own extension point (`Environment.code_generator_class`); the subclass only
rewrites the two delegations the compiler writes as one line each, and a test checks that
the compiled base template has no `yield from` left, so a Jinja that writes them otherwise is
noticed.

Every `{{ … }}` of an autoescaped template is compiled to `escape(value)`, and MarkupSafe's
escape wraps its result in a Markup, whose constructor is Python code: ~0.5 µs of each
~0.65 µs call, and a card list writes a thousand values or more. The wrapper is not needed
there: an output piece is only ever joined into the page, a block, a macro's or a `set`
block's text, which Jinja then marks safe itself. `output_escape` returns the same text as
a plain string (ints, which have nothing to escape, as they are); a test compares it with
MarkupSafe's on every kind of value, and the compiled templates with Jinja's own."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Node
from markupsafe import escape

try:  # MarkupSafe's C escaping of a str, without the Markup wrapper (MarkupSafe >= 2.1)
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover - another MarkupSafe: its public escape, as a str

    def _escape_inner(text: str) -> str:
        return str(escape(text))


# `yield from context.blocks['name'][0](context)` (a block called where it stands) and
# `yield from parent_template.root_render_func(context)` (a child handing over to its parent).
_DELEGATION = re.compile(
    r"yield from (?P<call>(?:context\.blocks\[[^\]]+\]\[0\]|parent_template\.root_render_func)"
    r"\(.*\))"
)


# The line every compiled template starts its imports with; the escape is imported after it.
_RUNTIME_IMPORT = "from jinja2.runtime import "
_ESCAPE_NAME = "_output_escape"


def output_escape(value: Any) -> str:
    """`str(markupsafe.escape(value))`, without building the Markup: a str escaped, an int
    as it is, an object with `__html__` (Markup, a macro's output) trusted, anything else
    escaped as its str."""
    kind = type(value)
    if kind is str:
        return _escape_inner(value)
    if kind is int:
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class JoinedBlocks(CodeGenerator):
    """Jinja's code generator, with a block's (or parent template's) output joined into one
    string where it is called instead of delegated to piece by piece, and output escaped by
    `output_escape`."""

    def writeline(self, x: str, node: Node | None = None, extra: int = 0) -> None:
        match = _DELEGATION.fullmatch(x)
        if match:
            x = f"yield environment.concat({match['call']})"
        super().writeline(x, node, extra)
        if x.startswith(_RUNTIME_IMPORT):
            super().writeline(f"from webapp.templating import output_escape as {_ESCAPE_NAME}")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile:
            self.write(f"({_ESCAPE_NAME} if context.eval_ctx.autoescape else str)(")
        elif frame.eval_ctx.autoescape:
            self.write(f"{_ESCAPE_NAME}(")
        else:
            self.write("str(")
        if finalize.src is not None:
            self.write(finalize.src)


def register(app: Flask) -> None:
    """Compile the app's templates with JoinedBlocks (before any template is loaded)."""
    app.jinja_env.code_generator_class = JoinedBlocks
