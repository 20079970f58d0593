"""``python -m carbonsim``: the carbonsim command."""

from carbonsim.cli import console

if __name__ == "__main__":
    console()
