"""``python -m agility``: the same as the ``agility`` command."""

from agility.cli.main import main

main()
