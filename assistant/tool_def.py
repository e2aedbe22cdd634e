"""One definition per tool: ``@tool`` reads the name from the function, the description from its docstring
and the argument schema (a pydantic model, also the LLM's JSON schema) from its typed signature.

Argument descriptions and bounds are ``Annotated[type, Field(...)]`` in the signature. LangChain's
``StructuredTool.from_function`` infers the same from a function, but through pydantic's deprecated
``validate_arguments`` and on every call; mishu builds each schema once, when the class is defined, and
hands it to LangChain as ``args_schema`` (``ToolBox.langchain_tools``).
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, create_model

from assistant.models import ToolResult


@dataclass(frozen=True)
class ToolDef:
    name: str
    description: str
    args_schema: type[BaseModel]
    fn: Callable[..., ToolResult]  # the unbound method: fn(owner, **validated arguments)
    writes: bool = False

    def run(self, owner: object, args: BaseModel) -> ToolResult:
        """Call the tool with the validated arguments (typed values, not their JSON dump)."""
        return self.fn(owner, **{k: getattr(args, k) for k in type(args).model_fields})


def args_model(fn: Callable[..., object], name: str) -> type[BaseModel]:
    """A pydantic model of ``fn``'s parameters after the first (``self``), with their defaults."""
    hints = typing.get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}  # (annotation, default) per parameter, as create_model takes them
    for i, (pname, p) in enumerate(inspect.signature(fn).parameters.items()):
        if i == 0:
            continue
        if pname not in hints:
            raise TypeError(f"tool {name}: parameter {pname} has no type")
        fields[pname] = (hints[pname], ... if p.default is inspect.Parameter.empty else p.default)
    model: type[BaseModel] = create_model(f"{name}_args", **fields)
    return model


def tool(fn: Callable[..., ToolResult]) -> ToolDef:
    """Turn a typed method into a tool: name, description and argument schema from the one definition."""
    doc = inspect.getdoc(fn)
    if not doc:
        raise TypeError(f"tool {fn.__name__} needs a docstring (its description)")
    return ToolDef(name=fn.__name__, description=doc, args_schema=args_model(fn, fn.__name__), fn=fn)


def writing_tool(fn: Callable[..., ToolResult]) -> ToolDef:
    """A tool that writes: never offered to a planner unless the caller allows writes."""
    return replace(tool(fn), writes=True)
