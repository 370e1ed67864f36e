"""The README's promises that CI relies on."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command_verbatim():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", quick_start)
    assert len(commands) == 2, "the Quick start has exactly two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    assert f"TEST_COMMAND='{commands[1]}'" in ci
