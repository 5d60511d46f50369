import multiprocessing

from remix_desktop.cli import main

if __name__ == "__main__":  # the engine worker is spawned: it must not run the CLI again
    multiprocessing.freeze_support()
    raise SystemExit(main())
