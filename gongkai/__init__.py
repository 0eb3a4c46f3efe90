"""gongkai: the domain core of the disclosure workflow (parser, checks, calendar, settings, CLI)."""
