"""YAML → typed Config, validated at load time with the line of every error.

The YAML is composed into nodes (which keep their line marks) and walked against the dataclasses
of schema.py. ``${NAME}`` / ``${NAME:-default}`` in scalars are read from the environment, so
secrets stay out of the file.
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateway.config import schema
from gateway.config.validate import validate

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_MISSING = object()


@dataclass
class ConfigIssue:
    line: int
    message: str


class ConfigError(Exception):
    """The config is invalid; ``issues`` has one entry per error, with its line."""

    def __init__(self, path: str, issues: list[ConfigIssue]):
        self.path = path
        self.issues = sorted(issues, key=lambda i: i.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.path}:{i.line}: {i.message}" for i in self.issues]


@dataclass
class _Walker:
    env: typing.Mapping[str, str]
    issues: list[ConfigIssue] = field(default_factory=list)
    lines: dict[tuple, int] = field(default_factory=dict)

    def error(self, node: yaml.Node, message: str) -> None:
        self.issues.append(ConfigIssue(node.start_mark.line + 1, message))

    def build(self, tp: Any, node: yaml.Node, path: tuple) -> Any:
        self.lines[path] = node.start_mark.line + 1
        origin = typing.get_origin(tp)
        if origin in (types.UnionType, typing.Union):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
                return None
            return self.build(args[0], node, path)
        if dataclasses.is_dataclass(tp):
            return self._dataclass(tp, node, path)
        if origin is list:
            if not isinstance(node, yaml.SequenceNode):
                self.error(node, f"{_dotted(path)}: expected a list")
                return []
            (item,) = typing.get_args(tp)
            return [self.build(item, n, (*path, i)) for i, n in enumerate(node.value)]
        if origin is dict:
            if not isinstance(node, yaml.MappingNode):
                self.error(node, f"{_dotted(path)}: expected a mapping")
                return {}
            _, value_tp = typing.get_args(tp)
            out = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in out:
                    self.error(key_node, f"{_dotted(path)}: duplicate key '{key}'")
                value = self.build(value_tp, value_node, (*path, key))
                if dataclasses.is_dataclass(value_tp) and "id" in {f.name for f in dataclasses.fields(value_tp)}:
                    value.id = key
                out[key] = value
            return out
        return self._scalar(tp, node, path)

    def _dataclass(self, tp: Any, node: yaml.Node, path: tuple) -> Any:
        if not isinstance(node, yaml.MappingNode):
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
                node = yaml.MappingNode("tag:yaml.org,2002:map", [], node.start_mark, node.end_mark)
            else:
                self.error(node, f"{_dotted(path)}: expected a mapping")
                return _default(tp)
        hints = typing.get_type_hints(tp)
        known = {f.name: f for f in dataclasses.fields(tp)}
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in known:
                self.error(key_node, f"{_dotted(path)}: unknown key '{key}' (known: {', '.join(known)})")
                continue
            values[key] = self.build(hints[key], value_node, (*path, key))
        for name, f in known.items():
            required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            if required and name not in values and name != "id":
                self.error(node, f"{_dotted(path)}: missing required key '{name}'")
                values[name] = _zero(hints[name])
        if "id" in known and "id" not in values:
            values["id"] = ""
        return tp(**values)

    def _scalar(self, tp: Any, node: yaml.Node, path: tuple) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.error(node, f"{_dotted(path)}: expected {_type_word(tp)}")
            return _zero(tp)
        raw: Any = _LOADER.construct_object(node)
        expanded = isinstance(raw, str) and "${" in raw
        if expanded:
            raw = self._expand(raw, node)
            if tp is not str:
                raw = yaml.safe_load(raw) if raw else None
        if tp is str:
            return "" if raw is None else str(raw)
        if tp is bool and isinstance(raw, bool):
            return raw
        if tp is bool and expanded and raw in (0, 1):  # a flag from the environment: FOO=1 / FOO=0
            return bool(raw)
        if tp is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if tp is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        self.error(node, f"{_dotted(path)}: expected {_type_word(tp)}, got {raw!r}")
        return _zero(tp)

    def _expand(self, text: str, node: yaml.Node) -> str:
        def repl(m: re.Match) -> str:
            name, default = m.group(1), m.group(2)
            value = self.env.get(name)
            if value is not None:
                return value
            if default is not None:
                return default
            self.error(node, f"environment variable ${{{name}}} is not set (and has no default)")
            return ""

        return _ENV.sub(repl, text)


_LOADER = yaml.SafeLoader("")


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path) or "(top)"


def _type_word(tp: Any) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}.get(tp, str(tp))


def _zero(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is list:
        return []
    if origin is dict:
        return {}
    if dataclasses.is_dataclass(tp):
        return _default(tp)
    return {str: "", int: 0, float: 0.0, bool: False}.get(tp)


def _default(tp: Any) -> Any:
    hints = typing.get_type_hints(tp)
    kwargs = {
        f.name: _zero(hints[f.name])
        for f in dataclasses.fields(tp)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    return tp(**kwargs)


def load_config_text(text: str, path: str = "<config>", env: typing.Mapping[str, str] | None = None) -> schema.Config:
    """Parse and validate YAML text; raises ConfigError listing every problem with its line."""
    walker = _Walker(env=os.environ if env is None else env)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        line = (err.problem_mark.line + 1) if err.problem_mark else 1
        raise ConfigError(path, [ConfigIssue(line, f"YAML syntax: {err.problem}")]) from err
    if root is None:
        raise ConfigError(path, [ConfigIssue(1, "the file is empty")])
    config = walker.build(schema.Config, root, ())
    if not walker.issues:
        for line_path, message in validate(config):
            line = _closest_line(walker.lines, line_path)
            walker.issues.append(ConfigIssue(line, message))
    if walker.issues:
        raise ConfigError(path, walker.issues)
    return config


def load_config(path: str | Path, env: typing.Mapping[str, str] | None = None) -> schema.Config:
    """Load a config file; raises ConfigError (with lines) when it is invalid or unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(str(path), [ConfigIssue(1, f"cannot read: {err.strerror}")]) from err
    return load_config_text(text, str(path), env)


def _closest_line(lines: dict[tuple, int], path: tuple) -> int:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return 1
