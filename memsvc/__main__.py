"""`python -m memsvc ...` is the `memsvc` command line."""

from memsvc.cli.main import app

if __name__ == "__main__":
    app(prog_name="memsvc")
