import sys

from bot.logs import quiet_start

quiet_start(configure_logging=False)  # the commands configure their logging themselves

from bot.cli import main  # noqa: E402

sys.exit(main())
