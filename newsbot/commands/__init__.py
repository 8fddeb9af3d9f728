"""One module per `newsbot` subcommand.

Each module defines `NAME`, `HELP`, `EXAMPLE`, `add_arguments(parser)` and `run(args) -> int`;
`newsbot.cli` discovers them, so adding a command touches no other file.
"""
