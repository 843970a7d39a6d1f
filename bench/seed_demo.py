"""Time `seed_demo` at a scale on a fresh database and print the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/chargeops_bench .venv/bin/python bench/seed_demo.py --scale large

Creates the database (PostgreSQL) or a temporary SQLite file, migrates, loads, prints the time
and the row counts, and drops the database again. Not part of the test run.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args, env):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    env = dict(os.environ, DEBUG="true")
    url = env.get("DATABASE_URL", "")
    scratch = None
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    else:
        scratch = tempfile.TemporaryDirectory()
        env["SQLITE_PATH"] = str(Path(scratch.name) / "bench.sqlite3")
    try:
        run(["migrate", "-v0"], env)
        started = time.monotonic()
        run(["seed_demo", "--scale", options.scale, "--seed", str(options.seed), "-v0"], env)
        elapsed = time.monotonic() - started
        print(f"seed_demo --scale {options.scale}: {elapsed:.1f} s on {'PostgreSQL' if scratch is None else 'SQLite'}")
    finally:
        if scratch is None:
            with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        else:
            scratch.cleanup()


if __name__ == "__main__":
    main()
