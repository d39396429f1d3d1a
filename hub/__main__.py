"""`python -m hub` runs the same CLI as the `soko-hub` console script."""

from hub.cli import main

if __name__ == "__main__":
    main()
