"""A relative TOPOGRAD_DATA means the folder it named where the program started."""

from __future__ import annotations

import os
import subprocess
import sys


def test_relative_data_home_survives_a_change_of_directory(tmp_path):
    (tmp_path / "start" / "data" / "mnist").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    code = ("import os, topograd\n"
            "os.chdir(os.path.join('..', 'elsewhere'))\n"
            "from topograd.data import get_data_home\n"
            "print(get_data_home())\n"
            "print(os.environ['TOPOGRAD_DATA'])\n")
    env = dict(os.environ, TOPOGRAD_DATA=os.path.join("data"))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "start", env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    expected = str(tmp_path / "start" / "data")
    assert out == [expected, expected]  # the library's home, and what child processes inherit
