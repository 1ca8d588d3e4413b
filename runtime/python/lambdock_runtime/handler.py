"""Finding the user's handler from ``_HANDLER``, with the errors the Lambda Python runtime gives.

``_HANDLER`` is ``module.function``, where the module is a dotted module path, a file path
relative to the task root with ``/`` between folders (``src/app.handler``), or both. The module
is imported as awslambdaric imports it (``/`` read as ``.``), so packages, nested folders and
modules in plain sub-folders (namespace packages) all work, and ``__init__.py`` files run.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable

from .errors import (
    BUILT_IN_MODULE_CONFLICT,
    HANDLER_NOT_FOUND,
    IMPORT_MODULE_ERROR,
    MALFORMED_HANDLER_NAME,
    USER_CODE_SYNTAX_ERROR,
    FaultError,
)

Handler = Callable[[Any, Any], Any]


def search_path(task_root: str, *, opt_dir: str = "/opt") -> list[str]:
    """List the folders Lambda puts first on the Python path, in their order.

    The Lambda Python runtime searches the task root first, then a layer's
    ``/opt/python/lib/pythonX.Y/site-packages`` and ``/opt/python`` (AWS Lambda developer
    guide, "Working with layers for Python Lambda functions"). Layer folders that do not exist
    are left out.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layer_paths = [
        os.path.join(opt_dir, "python", "lib", version, "site-packages"),
        os.path.join(opt_dir, "python"),
    ]
    return [task_root] + [path for path in layer_paths if os.path.isdir(path)]


def prepare_sys_path(task_root: str, *, opt_dir: str = "/opt") -> None:
    """Put the task root and the layer folders at the front of ``sys.path``."""
    front = search_path(task_root, opt_dir=opt_dir)
    sys.path[:] = front + [entry for entry in sys.path if entry not in front]


def resolve_handler(name: str) -> Handler:
    """Import the handler's module and return the handler.

    Raises FaultError for the failures awslambdaric classifies (worded as it words them); any
    other exception raised while importing the user's module propagates unchanged.
    """
    module_name, function_name = _split_handler_name(name)
    module = _import_module(module_name)
    try:
        handler: Handler = getattr(module, function_name)
    except AttributeError:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise FaultError(HANDLER_NOT_FOUND, message) from None
    return handler


def _split_handler_name(name: str) -> tuple[str, str]:
    try:
        module_name, function_name = name.rsplit(".", 1)
    except ValueError as exc:
        raise FaultError(MALFORMED_HANDLER_NAME, f"Bad handler '{name}': {exc}") from None
    return module_name, function_name


def _import_module(module_name: str) -> Any:
    if module_name.split(".")[0] in sys.builtin_module_names:
        message = f"Cannot use built-in module {module_name} as a handler module"
        raise FaultError(BUILT_IN_MODULE_CONFLICT, message)
    try:
        return importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        message = f"Unable to import module '{module_name}': {exc}"
        raise FaultError(IMPORT_MODULE_ERROR, message) from None
    except SyntaxError as exc:
        # awslambdaric's one-entry trace for a syntax error: file, line and the offending text.
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        message = f"Syntax error in module '{module_name}': {exc}"
        raise FaultError(USER_CODE_SYNTAX_ERROR, message, trace) from None
