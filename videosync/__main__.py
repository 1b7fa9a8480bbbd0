"""Run the command line as `python -m videosync`."""

from videosync.cli import main

if __name__ == "__main__":
    main()
