"""Looking things up by name: what ``keras.losses.get``, ``optimizers.get`` and
``metrics.get`` share."""

from __future__ import annotations


def from_registry(identifier, base: type, registry: dict, kind: str, cls_base=None):
    """An object for ``identifier``, or None when it is none of the forms handled here.

    Args:
        identifier: an instance of ``base`` (returned as is), a subclass of ``cls_base``
            (default ``base``; instantiated with no arguments), or a name in ``registry``
            (case-insensitive; its factory is called).
        base: the class of ready objects.
        registry: lowercase names -> classes or factories.
        kind: what is looked up, for the error ("loss", "metric", ...).
        cls_base: the class a passed class must derive from, when not ``base``.

    Raises:
        ValueError: an unknown name; the message lists the valid ones.

    >>> from_registry("Two", int, {"two": lambda: 2}, "number")
    2
    >>> from_registry(2.5, int, {}, "number") is None
    True
    """
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, cls_base or base):
        return identifier()
    if isinstance(identifier, str):
        factory = registry.get(identifier.lower())
        if factory is None:
            raise ValueError(f"unknown {kind} {identifier!r}; valid names: "
                             f"{', '.join(sorted(registry))}")
        return factory()
    return None
