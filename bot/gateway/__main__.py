"""``python -m bot.gateway``: run the gateway alone (``python -m bot serve`` starts it with Rasa)."""

from __future__ import annotations

from bot.logs import quiet_start

quiet_start()  # before the libraries below are imported: their deprecation warnings are not for operators

from bot.gateway.app import create_app  # noqa: E402
from bot.gateway.config import GatewayConfig  # noqa: E402
from bot.storage import upgrade  # noqa: E402


def main() -> None:
    quiet_start()  # again: importing Sanic asked for its deprecation warnings "once"
    upgrade()
    config = GatewayConfig.from_env()
    create_app(config).run(host="0.0.0.0", port=config.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
