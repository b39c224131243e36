"""A quiet start for every process of the product: what its log shows is what an operator must read.

- Deprecation warnings of the libraries we pin (jieba's ``pkg_resources``, Sanic 21.12's
  ``asyncio.wait`` of coroutines, Rasa's and TensorFlow's own) say nothing an operator can act on;
  they are filtered at start-up, before those libraries are imported. Developers see them with
  ``PYTHONWARNINGS=default`` (an explicit setting wins: :func:`quiet_start` leaves it alone, except
  ``ignore``, which it puts first again).
  Sanic sets ``once`` for them when it is imported, so the filter is applied again where the
  process starts its work (:func:`quiet_start` is idempotent).
- jieba announces its dictionary at DEBUG on its own handler ("Building prefix dict…") and sets that
  level when it is imported: it is imported here and set to INFO.
- One log format for the gateway and the commands.

Called first by ``python -m bot`` (every command, ``serve`` included), ``python -m bot.gateway``,
``bot.rasa_server`` (again after Rasa configures its warnings: it sets UserWarnings, pyparsing's
deprecations among them, to ``once``) and ``bot.action_server``; the children ``serve`` starts also
get ``PYTHONWARNINGS=ignore`` (``bot.rasa_commands``). A normal disconnect logs no error either: ``bot.gateway.web.receive``.
"""

from __future__ import annotations

import logging
import warnings

from bot import settings

FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
QUIET_CATEGORIES = (DeprecationWarning, PendingDeprecationWarning)


def quiet_start(level: int = logging.INFO, configure_logging: bool = True) -> None:
    chosen = settings.python_warnings()
    if not chosen:
        for category in QUIET_CATEGORIES:
            warnings.filterwarnings("ignore", category=category)
    elif chosen == "ignore":  # serve's children: put first again what Sanic and Rasa put in front of it
        warnings.simplefilter("ignore")
    if configure_logging:
        logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # "setup plugin …" ×7 per start
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is pinned; a process without it has nothing to quieten
        return
    jieba.setLogLevel(logging.INFO)


def quiet_start_past_sanic() -> None:
    """:func:`quiet_start` for a process that configures its own logging (Rasa, rasa_sdk) and runs
    on Sanic: Sanic is imported here, which sets deprecation warnings to ``once``, and the filter is
    applied again after it, before the process imports the rest."""
    quiet_start(configure_logging=False)
    import sanic  # noqa: F401 - importing Sanic sets its deprecation warnings to "once"

    quiet_start(configure_logging=False)
