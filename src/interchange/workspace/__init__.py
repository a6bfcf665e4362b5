"""The workspace: `interchange.yaml`, its folders, and how commands find it."""

from .config import ConfigError, WorkspaceConfig, load_config, parse_config
from .layout import Workspace, find_workspace

__all__ = ["ConfigError", "Workspace", "WorkspaceConfig", "find_workspace", "load_config", "parse_config"]
