"""Shared fixtures of the cliauth Python tests: the repository root and the vectors."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "vectors" / "passport.json"


def load_vectors():
    """The vector file of the repository (vectors/passport.json)."""
    with open(VECTORS, encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def root():
    return ROOT
