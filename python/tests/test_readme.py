"""The runnable example of the README's "Python" section runs as printed."""

import re
import subprocess
import sys

from conftest import ROOT


def test_readme_python_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "no python example in the README's Python section"
    script = tmp_path / "example.py"
    script.write_text(blocks[0], encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "A 12155551212 ['12155551213'] TN-Validation-Passed" in out.stdout
    assert "NumberMismatch orig_mismatch 438" in out.stdout
