"""Make the demo's pictures and transcript in ``docs/_static/cli`` from today's code.

``make docs`` runs this before building (about a minute on 2 cores): the
pictures and lines that ``docs/cli.rst`` shows are those of ``make demo``'s
command as the code now runs it, never of an older run.

Run it by hand with ``python docs/cli_pictures.py``.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC = HERE / "_static" / "cli"
# make demo's command (see the Makefile)
DEMO = ["tune", "--dataset", "digits", "--n-iter", "24", "--n-rounds", "3", "--cv", "3",
        "--max-iter", "60", "--n-jobs", "-1"]
PICTURES = ("search.png", "learning_curves.png", "importance.png")


def main():
    STATIC.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        run = subprocess.run(
            [sys.executable, "-m", "skhp", *DEMO, "--output", str(out)],
            capture_output=True, text=True, check=True,
        )
        for name in PICTURES:
            shutil.copyfile(out / name, STATIC / name)
    # the output, its temporary folder named as make demo names it
    transcript = run.stdout.replace(str(out), "skhp-output")
    (STATIC / "demo.txt").write_text(transcript)
    # the progress line's last state of each rung, and its closing line
    progress = run.stderr.replace("\r", "\n").splitlines()
    shown = [line.strip() for line in progress if line.strip()]
    (STATIC / "progress.txt").write_text("\n".join(shown[-4:]) + "\n")
    print(f"wrote {', '.join(PICTURES)}, demo.txt and progress.txt to {STATIC}")


if __name__ == "__main__":
    main()
