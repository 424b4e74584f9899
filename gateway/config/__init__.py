"""Typed settings loaded from YAML: see schema.py for the shape, loader.py for validation."""

from gateway.config.loader import ConfigError, load_config, load_config_text
from gateway.config.schema import Config

__all__ = ["Config", "ConfigError", "load_config", "load_config_text"]
