"""Griffe extension: Sphinx roles in the numpydoc docstrings become links.

The docstrings follow scikit-learn's numpydoc style, with Sphinx roles such
as ``:class:`~sklearn_dl.MLPClassifier``` that mkdocstrings would print
verbatim. Each role is rewritten before rendering:

- a target inside ``sklearn_dl`` that resolves to a public object becomes an
  autorefs link to it (relative names are looked up from the docstring's own
  class and module, as Sphinx does), so a reference to a page that does not
  exist fails ``mkdocs build --strict``;
- a ``sklearn_dl`` target that does not resolve at all (a typo, a renamed
  function) is reported as a warning, which also fails the strict build;
- a private ``sklearn_dl`` object, or one from another library, becomes
  inline code; scikit-learn's get a link to its API page.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re

import griffe

log = logging.getLogger("mkdocs.plugins.rst_roles")

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|attr|mod|data|obj|exc|const):"
    r"`(?P<tilde>~?)(?P<target>[^`<]+?)(?:\s*<(?P<explicit>[^>]+)>)?`")
_SKLEARN_API = "https://scikit-learn.org/stable/modules/generated/{}.html"


def _lookup(path):
    """The object at a dotted path, importing the longest module prefix; None if absent."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        except Exception:  # a module that fails to import is a broken reference too
            return None
        for name in parts[i:]:
            try:
                obj = getattr(obj, name)
            except AttributeError:
                return None
        return obj
    return None


def _canonical(path, obj):
    """Where the object is documented: its defining module for classes and functions."""
    if inspect.ismodule(obj):
        return obj.__name__
    if inspect.isclass(obj) or inspect.isfunction(obj):
        module = getattr(obj, "__module__", "") or ""
        qualname = getattr(obj, "__qualname__", "") or ""
        if module.startswith("sklearn_dl") and "<" not in qualname:
            # a package re-exporting from a private module documents it there
            parent = module.rsplit(".", 1)[0]
            if module.rsplit(".", 1)[-1].startswith("_") and _lookup(
                    f"{parent}.{qualname}") is obj:
                return f"{parent}.{qualname}"
            return f"{module}.{qualname}"
    return path


def _candidates(target, obj):
    if target.startswith("sklearn_dl"):
        yield target
        return
    if "." in target:
        return  # a dotted path outside sklearn_dl names another library
    owner = obj
    while owner is not None:
        if owner.kind in (griffe.Kind.CLASS, griffe.Kind.MODULE):
            yield f"{owner.path}.{target}"
        owner = owner.parent
    yield f"sklearn_dl.{target}"


def _rewrite(match, obj):
    target = (match["explicit"] or match["target"]).strip()
    display = target.rsplit(".", 1)[-1] if match["tilde"] else target
    if match["explicit"]:
        display = match["target"].strip()
    if match["role"] in ("func", "meth"):
        display += "()"
    for path in _candidates(target, obj):
        if not path.startswith("sklearn_dl"):
            continue
        found = _lookup(path)
        if found is None:
            continue
        canonical = _canonical(path, found)
        if any(part.startswith("_") for part in canonical.split(".")):
            return f"`{display}`"
        return f"[`{display}`][{canonical}]"
    if target.startswith("sklearn_dl") or "." not in target:
        log.warning("%s: the docstring reference %s does not resolve to an object",
                    obj.path, match.group(0))
        return f"`{display}`"
    if target.startswith("sklearn.") and match["role"] in ("class", "func"):
        return f"[`{display}`]({_SKLEARN_API.format(target)})"
    return f"`{display}`"


class RstRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring of a package once griffe has loaded it."""

    def on_package(self, *, pkg, **kwargs):
        stack = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None and ":`" in obj.docstring.value:
                obj.docstring.value = _ROLE.sub(lambda m, o=obj: _rewrite(m, o),
                                                obj.docstring.value)
            stack.extend(m for m in obj.members.values() if not m.is_alias)
