"""``python -m bot.gateway``: run the gateway alone (``python -m bot serve`` starts it with Rasa)."""

from __future__ import annotations

import logging

from bot.gateway.app import create_app
from bot.gateway.config import GatewayConfig
from bot.storage import upgrade


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    upgrade()
    config = GatewayConfig.from_env()
    create_app(config).run(host="0.0.0.0", port=config.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()
