"""The command line interface (``agility``)."""
