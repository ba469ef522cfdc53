"""Allow ``python -m evidence``."""

from evidence.cli.main import main

if __name__ == "__main__":
    main()
