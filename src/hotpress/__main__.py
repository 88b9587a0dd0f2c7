from hotpress.cli import main

# Guarded: the site build's worker processes are spawned, and a spawned process imports the
# parent's main module again (as ``__mp_main__``).
if __name__ == "__main__":
    raise SystemExit(main())
